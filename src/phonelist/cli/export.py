"""``phonelist export``: contacts to a CSV, XLSX, vCard or JSON Lines file (see docs/files.md)."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Annotated, TypedDict

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.text import Text

from phonelist.cli.context import open_core
from phonelist.cli.output import JsonFlag, UsageProblem, emit_json, guarded, stderr, stdout
from phonelist.clock import utcnow
from phonelist.core import Phonelist
from phonelist.errors import ValidationError
from phonelist.exports.service import Progress as ProgressCallback
from phonelist.files.writers import EXPORT_FORMATS, export_format

__all__ = [
    "Columns",
    "Force",
    "Format",
    "Numbers",
    "Output",
    "WriteOptions",
    "Writer",
    "export",
    "write_export",
]

_BY_SUFFIX = {
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".vcf": "vcard",
    ".vcard": "vcard",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}


Format = Annotated[
    str | None,
    typer.Option(
        "--format",
        metavar="FORMAT",
        help=f"One of {', '.join(EXPORT_FORMATS)}. Default: from the --output file's "
        "extension, else csv.",
    ),
]
Output = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="The file to write, or - for standard output. Default: "
        "phonelist-export-YYYY-MM-DD.EXT in the current directory.",
    ),
]
Columns = Annotated[
    str | None,
    typer.Option(
        "--columns",
        metavar="A,B,C",
        help="Only these columns, in this order, e.g. first_name,last_name,phone. "
        "Default: every column but created_at and updated_at.",
    ),
]
Numbers = Annotated[
    str,
    typer.Option(
        "--numbers",
        metavar="e164|national",
        help="Write numbers in E.164 (+351912345678, the default) or national format "
        "(912 345 678).",
    ),
]
Force = Annotated[bool, typer.Option("--force", metavar="", help="Overwrite FILE if it exists.")]


class WriteOptions(TypedDict):
    """What :func:`write_export` chose for the core's export call, passed on as keywords."""

    columns: list[str] | None
    number_format: str
    progress: ProgressCallback | None


Writer = Callable[[Phonelist, IO[bytes], str, WriteOptions], int]
"""Writes the chosen contacts to ``out`` by a core service; returns how many."""


@guarded
def export(
    ctx: typer.Context,
    format_: Format = None,
    output: Output = None,
    columns: Columns = None,
    numbers: Numbers = "e164",
    status: Annotated[
        str | None,
        typer.Option("--status", metavar="STATUS", help="Only contacts with this status."),
    ] = None,
    tag: Annotated[
        str | None, typer.Option("--tag", metavar="TAG", help="Only contacts with this tag.")
    ] = None,
    list_: Annotated[
        str | None,
        typer.Option("--list", metavar="LIST", help="Only contacts on this list."),
    ] = None,
    force: Force = False,
    as_json: JsonFlag = False,
) -> None:
    """Export contacts to CSV, XLSX, vCard or JSON Lines: all, or those of a status, tag or list.

    The file holds personal data; it is created readable by you only. CSV and XLSX cells that
    a spreadsheet could run as formulas start with '. Every export is recorded in the audit
    log. 'phonelist import' reads an export back as it was written.
    """

    def write(core: Phonelist, out: IO[bytes], kind: str, options: WriteOptions) -> int:
        return core.exports.export(
            core.cli_actor(), out, kind, status=status, tag=tag, list_name=list_, **options
        )

    write_export(ctx, write, format_, output, columns, numbers, force=force, as_json=as_json)


def write_export(
    ctx: typer.Context,
    write: Writer,
    format_: str | None,
    output: str | None,
    columns: str | None,
    numbers: str,
    *,
    force: bool,
    as_json: bool,
) -> None:
    """Run ``write`` into the file (or stdout) the options name, then say what was written.

    ``format_``, ``output``, ``columns`` and ``numbers`` are the values of the shared
    :data:`Format`, :data:`Output`, :data:`Columns` and :data:`Numbers` options, in that order.

    Shared by ``export`` and ``segment export``: the file is written beside its target and
    moved into place only when complete, with a spinner for a person at a terminal.
    """
    to_stdout = output == "-"
    kind = _format(format_, None if to_stdout else output)
    chosen = [c.strip() for c in columns.split(",")] if columns is not None else None
    if to_stdout and as_json:
        raise UsageProblem("--json prints a summary on stdout, so it cannot go with --output -")
    if to_stdout and kind == "xlsx" and sys.stdout.isatty():
        raise UsageProblem("XLSX is not text: name a file with --output instead of -")
    path = None
    if not to_stdout:
        extension = EXPORT_FORMATS[kind].extension
        path = Path(output or f"phonelist-export-{utcnow().date().isoformat()}.{extension}")
        if path.exists() and not force:
            raise UsageProblem(f"{path} already exists; pass --force to overwrite it")
    with open_core(ctx) as core:

        def run(out: IO[bytes], progress: ProgressCallback | None) -> int:
            options = WriteOptions(columns=chosen, number_format=numbers, progress=progress)
            return write(core, out, kind, options)

        with _progress(as_json) as progress:
            if path is None:
                rows = run(sys.stdout.buffer, progress)
                sys.stdout.buffer.flush()
            else:
                with _replacing(path, force) as out:
                    rows = run(out, progress)
        written = chosen or core.exports.columns(core.cli_actor())
    where = "-" if path is None else str(path)
    if as_json:
        emit_json(
            {"rows": rows, "path": where, "format": kind, "numbers": numbers, "columns": written}
        )
        return
    console = stderr() if path is None else stdout()
    noun = "contact" if rows == 1 else "contacts"
    target = "standard output" if path is None else str(path)
    console.print(Text(f"Exported {rows:,} {noun} to {target} ({kind}).", style="green"))


def _format(given: str | None, output: str | None) -> str:
    if given is not None:
        return export_format(given).name
    if output is not None:
        return _BY_SUFFIX.get(Path(output).suffix.lower(), "csv")
    return "csv"


@contextlib.contextmanager
def _progress(as_json: bool) -> Iterator[ProgressCallback | None]:
    """A spinner with a count on stderr, for a person at a terminal; nothing otherwise."""
    if as_json or not sys.stderr.isatty():
        yield None
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("exporting: {task.completed:,} contacts"),
        console=stderr(),
        transient=True,
    ) as bar:
        task = bar.add_task("export", total=None)

        def advance(rows: int) -> None:
            bar.update(task, completed=rows)

        yield advance


@contextlib.contextmanager
def _replacing(path: Path, force: bool) -> Iterator[IO[bytes]]:
    """A private temporary file beside ``path`` that becomes ``path`` only when complete."""
    try:
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=".phonelist-export-", suffix=".part"
        )
    except OSError as exc:
        raise _unwritable(path, exc) from None
    part = Path(temporary)
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
        _move(part, path, force)
    except OSError as exc:
        raise _unwritable(path, exc) from None
    finally:
        part.unlink(missing_ok=True)


def _move(part: Path, path: Path, force: bool) -> None:
    if force:
        os.replace(part, path)
        return
    try:
        os.link(part, path)  # fails if path appeared meanwhile: never overwrite by accident
    except FileExistsError:
        raise UsageProblem(f"{path} already exists; pass --force to overwrite it") from None
    except OSError:  # a file system without hard links
        if path.exists():
            raise UsageProblem(f"{path} already exists; pass --force to overwrite it") from None
        os.replace(part, path)


def _unwritable(path: Path, exc: OSError) -> ValidationError:
    return ValidationError(
        f"cannot write {path}: {exc.strerror or type(exc).__name__}",
        field="output",
        code="output_unwritable",
    )
