"""``phonelist import FILE``: contacts from CSV/TSV, XLSX, vCard or JSON Lines."""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from phonelist.cli.context import open_core
from phonelist.cli.output import Interrupted, JsonFlag, emit_json, guarded, stderr, stdout
from phonelist.errors import ValidationError
from phonelist.imports import ConsentBasis, ImportOptions, ImportReport
from phonelist.imports.options import parse_map
from phonelist.imports.rejects import REJECT_COLUMNS, write_reject
from phonelist.store.models import ImportJob

__all__ = ["app", "run_import"]

app = typer.Typer(
    name="imports", help="Show import jobs and their rejected rows.", no_args_is_help=True
)


@guarded
def run_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The file to import.")],
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            metavar="XX",
            help="Region for numbers written without +, e.g. PT (else the row's "
            "country column, else the workspace default).",
        ),
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            metavar="COLUMN=FIELD",
            help="Map a column explicitly, e.g. --map 'Tel. casa=phone:home' or "
            "--map Size=custom:size. Repeatable.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and count only; write nothing.")
    ] = False,
    on_duplicate: Annotated[
        str,
        typer.Option(
            "--on-duplicate",
            metavar="skip|update|replace",
            help="A number already in the store: leave the contact (skip), add the "
            "row's values to it (update), or make it the row (replace).",
        ),
    ] = "skip",
    tag: Annotated[
        list[str] | None, typer.Option("--tag", metavar="TAG", help="Tag every row. Repeatable.")
    ] = None,
    list_: Annotated[
        list[str] | None,
        typer.Option("--list", metavar="LIST", help="Add every row to a list. Repeatable."),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option("--source", metavar="LABEL", help="Where these contacts came from."),
    ] = None,
    consent_basis: Annotated[
        str | None,
        typer.Option(
            "--consent-basis",
            metavar="CHANNEL:PURPOSE:METHOD",
            help="What the file's consent columns prove, e.g. sms:marketing:web_form. "
            "Without it no consent is recorded.",
        ),
    ] = None,
    suppress: Annotated[
        bool,
        typer.Option(
            "--suppress", help="Add the numbers to the do-not-contact list instead of the contacts."
        ),
    ] = False,
    create_fields: Annotated[
        bool,
        typer.Option("--create-fields", help="Make every unmapped column a text custom field."),
    ] = False,
    rejects: Annotated[
        Path | None,
        typer.Option(
            "--rejects",
            metavar="FILE",
            help="Write every rejected row (row, column, value, reason) to this CSV.",
        ),
    ] = None,
    resume: Annotated[
        str | None,
        typer.Option(
            "--resume",
            metavar="JOB",
            help="Continue an interrupted import after its last committed row.",
        ),
    ] = None,
    file_format: Annotated[
        str | None,
        typer.Option(
            "--format", metavar="csv|tsv|xlsx|vcard|jsonl", help="Override the detected format."
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", metavar="NAME", help="Override the detected encoding."),
    ] = None,
    delimiter: Annotated[
        str | None,
        typer.Option("--delimiter", metavar="CHAR", help="Override the detected delimiter."),
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", metavar="N", help="Rows per transaction.")
    ] = 2000,
    as_json: JsonFlag = False,
) -> None:
    """Import contacts, with a report of every row that could not be used.

    Numbers are validated and stored in E.164 with their line type, region, carrier and time
    zones; duplicates (in the file, or already stored) are found by number. An import never
    invents consent. Interrupted imports leave the store consistent: resume with --resume JOB,
    or run the same import again (already imported numbers are then duplicates).
    """
    options = ImportOptions(
        region=region,
        on_duplicate=on_duplicate,
        tags=tuple(tag or ()),
        lists=tuple(list_ or ()),
        source=source,
        dry_run=dry_run,
        consent_basis=ConsentBasis.parse(consent_basis) if consent_basis else None,
        suppress=suppress,
        mapping=parse_map(mapping or []),
        create_fields=create_fields,
        format=file_format,
        encoding=encoding,
        delimiter=delimiter,
        batch_size=batch_size,
    )
    if not file.is_file():
        raise ValidationError(f"{file}: no such file", field="file", code="file_missing")
    if rejects is not None and rejects.exists():
        raise ValidationError(f"{rejects} exists; choose another rejects file", field="rejects")
    console = stderr()
    progress = Progress(
        SpinnerColumn(),
        BarColumn(),
        TextColumn("importing {task.completed:,.0f} rows"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=console,
        disable=as_json or not console.is_terminal,
    )
    with open_core(ctx) as core:
        task = progress.add_task("import", total=None, rate="")
        elapsed = _Clock()

        def advance(rows: int, total: int | None) -> None:
            progress.update(
                task, completed=rows, total=total, rate=f"{rows / elapsed():,.0f} rows/s"
            )

        try:
            with progress:
                if rejects is not None:
                    with rejects.open("w", newline="", encoding="utf-8") as handle:
                        report = core.imports.run(
                            core.cli_actor(),
                            file,
                            options,
                            resume=resume,
                            rejects=handle,
                            progress=advance,
                        )
                else:
                    report = core.imports.run(
                        core.cli_actor(), file, options, resume=resume, progress=advance
                    )
        except KeyboardInterrupt:
            raise Interrupted(
                "interrupted: the store is consistent; 'phonelist imports list' shows the job, "
                "resume it with --resume JOB"
            ) from None
    if as_json:
        emit_json(report.to_json())
    else:
        _print_report(report, rejects)


class _Clock:
    def __init__(self) -> None:
        self._start = time.perf_counter()

    def __call__(self) -> float:
        return max(time.perf_counter() - self._start, 1e-6)


def _print_report(report: ImportReport, rejects: Path | None) -> None:
    counts = report.counts
    out = stdout()
    title = "Dry run (nothing written)" if report.dry_run else f"Import {report.job_id}"
    table = Table(title=title, box=box.SIMPLE_HEAD, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    rows = [
        ("rows read", counts.rows),
        ("imported" if not report.dry_run else "would import", counts.imported),
        ("updated", counts.updated),
        ("duplicates in the file", counts.duplicates_in_file),
        ("duplicates already stored", counts.duplicates_in_store),
        ("rejected", counts.rejected),
        ("extra numbers dropped", counts.numbers_dropped),
    ]
    if counts.suppressed:
        rows.append(("added to do-not-contact", counts.suppressed))
    if counts.consent_records:
        rows.append(("consent records", counts.consent_records))
    for label, value in rows:
        table.add_row(label, f"{value:,}")
    for reason, value in sorted(counts.rejected_by_reason.items(), key=lambda kv: -kv[1]):
        table.add_row(Text(f"  rejected: {reason}", style="dim"), f"{value:,}")
    out.print(table)
    if counts.by_type:
        kinds = ", ".join(f"{k} {v:,}" for k, v in counts.by_type.most_common())
        out.print(Text(f"line types: {kinds}"))
    if counts.by_country:
        places = ", ".join(f"{k} {v:,}" for k, v in counts.by_country.most_common(12))
        out.print(Text(f"countries: {places}"))
    out.print(
        Text(
            f"{report.format} ({report.encoding or '-'}), "
            f"{report.seconds:.1f} s, {report.rows_per_second:,.0f} rows/s"
        )
    )
    if report.ignored_columns:
        out.print(
            Text(
                "ignored columns: "
                + ", ".join(report.ignored_columns)
                + " (map them with --map or keep them with --create-fields)"
            )
        )
    for warning in report.warnings:
        out.print(Text(f"warning: {warning}", style="yellow"))
    if rejects is not None and (counts.rejected or counts.numbers_dropped):
        out.print(Text(f"rejected rows written to {rejects}"))


@app.command("list")
@guarded
def list_jobs(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List import jobs, newest first: id, file, status, rows committed."""
    with open_core(ctx) as core:
        jobs = core.imports.jobs(core.cli_actor())
    if as_json:
        emit_json([_job_json(job) for job in jobs])
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    for column in ("id", "file", "status", "rows", "started"):
        table.add_column(column)
    for job in jobs:
        table.add_row(
            job.id,
            Text(job.file_name),
            job.status,
            f"{job.rows_committed:,}",
            job.started_at.isoformat(timespec="seconds"),
        )
    stdout().print(table)


@app.command("rejects")
@guarded
def job_rejects(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(metavar="JOB", help="The import job id.")],
) -> None:
    """Print a job's rejected rows as CSV (row, column, value, reason, message)."""
    writer = csv.writer(sys.stdout)
    writer.writerow(REJECT_COLUMNS)
    with open_core(ctx) as core:
        for row in core.imports.rejects(core.cli_actor(), job_id):
            write_reject(writer, *row)


def _job_json(job: ImportJob) -> dict[str, object]:
    return {
        "id": job.id,
        "file": job.file_name,
        "status": job.status,
        "format": job.format,
        "rows_committed": job.rows_committed,
        "counts": job.counts,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }
