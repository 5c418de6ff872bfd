"""``phonelist backup create|verify|restore|list`` (docs/backups.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from phonelist.backup import BackupInfo, restore_backup, verify_backup
from phonelist.backup.service import Progress as ProgressCallback
from phonelist.backup.service import backup_secret, is_backup_name
from phonelist.cli.context import open_core, require_initialized, settings_of
from phonelist.cli.output import JsonFlag, confirm, emit_json, guarded, stderr, stdout
from phonelist.clock import utcnow
from phonelist.config import Settings
from phonelist.core import Phonelist
from phonelist.security.keystore import key_provider

__all__ = ["app"]

app = typer.Typer(
    name="backup",
    help="Make, check and restore encrypted backups of the whole store.",
    no_args_is_help=True,
)

FileArgument = Annotated[
    str,
    typer.Argument(
        metavar="FILE",
        help="A backup file: a path, or the name of a file in the backup directory.",
        show_default=False,
    ),
]


@contextmanager
def _progress(verb: str, *, quiet: bool) -> Iterator[ProgressCallback]:
    """A spinner on stderr naming the table and row being read (only on a terminal)."""
    console = stderr()
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet or not console.is_terminal,
    )
    with progress:
        task = progress.add_task(verb)

        def report(table: str, rows: int) -> None:
            progress.update(task, description=f"{verb} {table}: {rows} rows")

        yield report


def _file(settings: Settings, text: str) -> Path:
    path = Path(text)
    if not path.exists() and is_backup_name(text):
        return settings.resolved_backup_dir / text
    return path


def _summary(info: BackupInfo) -> dict[str, Any]:
    manifest = info.manifest or {}
    return {
        "path": str(info.path),
        "backup_id": info.header.get("backup_id"),
        "created_at": info.header.get("created_at"),
        "revision": info.header.get("revision"),
        "key_id": info.header.get("key_id"),
        "phonelist_version": info.header.get("phonelist_version"),
        "counts": manifest.get("counts"),
        "sha256": manifest.get("sha256"),
    }


def _show(info: BackupInfo, headline: str) -> None:
    console = stdout()
    console.print(Text(headline, style="green"))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    summary = _summary(info)
    for label in ("path", "created_at", "revision", "key_id", "sha256"):
        grid.add_row(label.replace("_", " "), Text(str(summary[label] or "")))
    counts = summary["counts"] or {}
    shown = ", ".join(f"{table} {count}" for table, count in counts.items() if count)
    grid.add_row("rows", Text(shown or "none"))
    console.print(grid)


@app.command("create")
@guarded
def create(
    ctx: typer.Context,
    to: Annotated[
        Path | None,
        typer.Option(
            "--to",
            metavar="DIR",
            help="Directory to write the backup into (created if missing); "
            "default: the backup_dir setting.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Write an encrypted, compressed, consistent snapshot of the whole store.

    The backup key (backup.key in the keys directory) is created on first use. Keep a copy of
    it and of the keyring somewhere else: without them the backup cannot be read.
    """
    with open_core(ctx) as core, _progress("backing up", quiet=as_json) as progress:
        info = core.backups.create(core.cli_actor(), to=to, now=utcnow(), progress=progress)
    if as_json:
        emit_json(_summary(info))
        return
    _show(info, f"Backup written: {info.path}")


@app.command("verify")
@guarded
def verify(ctx: typer.Context, file: FileArgument, as_json: JsonFlag = False) -> None:
    """Check a backup without restoring it: every chunk, the row counts and the checksum.

    Needs only the backup key; no database is opened. Exit code 12 when the file is damaged
    or was made with another key.
    """
    settings = settings_of(ctx)
    with _progress("verifying", quiet=as_json) as progress:
        info = verify_backup(
            _file(settings, file),
            settings.resolved_keys_dir,
            backup_secret=backup_secret(settings),
            progress=progress,
        )
    if as_json:
        emit_json({"ok": True, **_summary(info)})
        return
    _show(info, "Backup verified: intact, and readable with this backup key.")


@app.command("restore")
@guarded
def restore(
    ctx: typer.Context,
    file: FileArgument,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Restore a backup into an empty store (a new data directory or an empty database).

    The keys directory must hold the backup.key and the keyring that were in use when the
    backup was made (or PHONELIST_BACKUP_KEY and the keys provider give them). A store with
    any rows is refused; nothing is overwritten. The restore is recorded in the restored
    store's audit log (backup.restore).
    """
    settings = settings_of(ctx)
    require_initialized(settings)
    confirm(
        f"Restore {file} into {settings.resolved_database_url}?",
        yes=yes,
        refusal="nothing restored",
    )
    with _progress("restoring", quiet=as_json) as progress:
        info = restore_backup(
            _file(settings, file),
            settings.resolved_database_url,
            settings.resolved_keys_dir,
            actor=Phonelist.cli_actor(),
            keys=key_provider(settings),
            backup_secret=backup_secret(settings),
            progress=progress,
        )
    if as_json:
        emit_json(_summary(info))
        return
    _show(info, "Backup restored.")


@app.command("list")
@guarded
def list_backups(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List the backups in the backup directory, oldest first (headers only, not verified)."""
    with open_core(ctx) as core:
        found = core.backups.list_backups()
        where = core.backups.backup_dir
    if as_json:
        emit_json({"directory": str(where), "items": [_summary(info) for info in found]})
        return
    if not found:
        typer.echo(f"no backups in {where}", err=True)
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    for column in ("file", "created", "revision", "key", "size"):
        table.add_column(column, overflow="fold")
    for info in found:
        size = info.path.stat().st_size if info.path.exists() else 0
        table.add_row(
            Text(info.path.name),
            Text(str(info.header.get("created_at", info.header.get("error", "")))),
            Text(str(info.header.get("revision", ""))),
            Text(str(info.header.get("key_id", ""))),
            Text(f"{size:,} B"),
        )
    stdout().print(table)
