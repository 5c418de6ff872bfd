"""``phonelist keys rotate|generate``: rotate the data key; make a keyring to keep elsewhere."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from phonelist.cli.context import open_core
from phonelist.cli.output import Interrupted, JsonFlag, emit_json, guarded, stderr, stdout
from phonelist.errors import ValidationError
from phonelist.security.crypto import Keyring
from phonelist.security.keystore import StagedKeys

__all__ = ["app"]

app = typer.Typer(name="keys", help="Manage the encryption keys.", no_args_is_help=True)


@app.command("rotate")
@guarded
def rotate(
    ctx: typer.Context,
    to: Annotated[
        Path | None,
        typer.Option(
            "--to",
            metavar="FILE",
            help="For a keyring from PHONELIST_KEYRING or a key manager (read-only): write the "
            "next keyring to FILE (mode 0600) for you to put in place.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Re-encrypt all personal data under a new data key, then retire the old key.

    Safe to interrupt: every row stays readable, and running the command again resumes.
    Back up the keys directory afterwards. A keyring phonelist cannot write (keys_provider env
    or command) is rotated in two runs with --to FILE; see docs/security.md.
    """
    with open_core(ctx) as core:
        rotation = core.rotation(to=to)
        total = rotation.total_rows()
        console = stderr()
        progress = Progress(
            TextColumn("re-encrypting"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=as_json or not console.is_terminal,
        )
        try:
            with progress:
                task = progress.add_task("rotate", total=total)
                report = rotation.run(
                    core.cli_actor(), progress=lambda rows: progress.advance(task, rows)
                )
        except KeyboardInterrupt:
            raise Interrupted(
                "interrupted: nothing is lost; run 'phonelist keys rotate' again to resume"
            ) from None
    if as_json:
        emit_json(report)
        return
    keys = rotation.keys
    if report.staged and isinstance(keys, StagedKeys):
        stdout().print(
            Text(
                f"Wrote the next keyring (new active key {report.active_key}) to {keys.out}. "
                f"Nothing is re-encrypted yet. Put its contents in place of "
                f"{keys.source.describe()}, restart phonelist with it, then run "
                f"'phonelist keys rotate --to {keys.out}' again.",
                style="green",
            )
        )
        return
    verb = "Resumed and finished" if report.resumed else "Finished"
    retired = ", ".join(report.retired_keys) or "none"
    done = (
        f"{verb} key rotation: {report.rewritten} values re-encrypted, active key "
        f"{report.active_key}, retired keys: {retired}."
    )
    if isinstance(keys, StagedKeys):
        done += (
            f" The final keyring is in {keys.out}: put it in place of "
            f"{keys.source.describe()}, restart phonelist, then delete {keys.out}."
        )
    else:
        done += " Back up the keys directory now."
    stdout().print(Text(done, style="green"))


@app.command("generate")
@guarded
def generate(
    to: Annotated[
        Path | None,
        typer.Option(
            "--to",
            metavar="FILE",
            help="Write the keyring to FILE (mode 0600; must not exist) instead of stdout.",
        ),
    ] = None,
    as_base64: Annotated[
        bool,
        typer.Option("--base64", help="Base64 of the JSON: one line, easy to put in a variable."),
    ] = False,
) -> None:
    """Make a new keyring, for keys_provider env (PHONELIST_KEYRING) or command (a key manager).

    Prints key material: pipe it straight into your secret store, or use --to. Not needed with
    the default keys_provider file: 'phonelist init' creates keyring.json itself.
    """
    text = Keyring.generate().to_json()
    if as_base64:
        text = base64.b64encode(text.encode()).decode("ascii")
    if to is None:
        typer.echo(text)
        return
    try:
        fd = os.open(to, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ValidationError(f"{to} exists: give a new file name", field="to") from None
    except OSError as exc:
        raise ValidationError(f"cannot write {to}: {exc.strerror}", field="to") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
    stderr().print(Text(f"Keyring written to {to} (mode 0600)."))
