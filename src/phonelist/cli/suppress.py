"""``phonelist suppress ...`` and ``phonelist dnc ...``: who must not be contacted (D1-D5, O7).

Suppressions are never deleted: lifting one keeps it, with who lifted it and when. National
registry files (the US Do Not Call Registry, Portugal's opt-out list) are imported per area
code with the registry's own date, which the policy engine checks for freshness (D3).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from phonelist.cli.consent_input import At, Number, instant
from phonelist.cli.context import open_core
from phonelist.cli.output import JsonFlag, emit_json, guarded, stderr, stdout
from phonelist.errors import ValidationError
from phonelist.suppression.registry import FileResult
from phonelist.suppression.service import SuppressionOut

__all__ = [
    "RegistryChoice",
    "RegistryKind",
    "SuppressionKind",
    "app",
    "dnc_app",
    "suppression_json",
]

app = typer.Typer(
    name="suppress",
    help="The do-not-contact list: add, list, show and lift suppressions (D1, O7).",
    no_args_is_help=True,
)
dnc_app = typer.Typer(
    name="dnc",
    help="National do-not-call registries: import files, show freshness (D2, D3, D5).",
    no_args_is_help=True,
)


class SuppressionKind(StrEnum):
    """Why a number is suppressed (mirrors phonelist.suppression.service.KINDS)."""

    INTERNAL_DNC = "internal_dnc"
    PROVIDER_OPT_OUT = "provider_opt_out"
    CARRIER_DEACTIVATED = "carrier_deactivated"
    REASSIGNED = "reassigned"
    ERASED = "erased"


class RegistryKind(StrEnum):
    """What a registry file holds (mirrors phonelist.suppression.registry_files.KINDS)."""

    FULL = "full"
    ADDITIONS = "additions"
    DELETIONS = "deletions"
    CHANGES = "changes"


class RegistryChoice(StrEnum):
    """Which registry (mirrors phonelist.suppression.registry.REGISTRIES)."""

    US_DNC = "us_dnc"
    PT_OPTOUT = "pt_optout"


Source = Annotated[
    str | None,
    typer.Option("--source", metavar="S", help="Where the request came from, e.g. 'call centre'."),
]


@app.command("add")
@guarded
def add(
    ctx: typer.Context,
    number: Number,
    kind: Annotated[
        SuppressionKind,
        typer.Option("--kind", case_sensitive=False, help="Why the number is suppressed."),
    ] = SuppressionKind.INTERNAL_DNC,
    source: Source = None,
    reason: Annotated[
        str | None,
        typer.Option("--reason", metavar="R", help="Why, in words (kept at least 5 years, D1)."),
    ] = None,
    at: At = None,
    as_json: JsonFlag = False,
) -> None:
    """Put NUMBER on the do-not-contact list; whatever consent says, it is not contacted.

    Adding a number already suppressed for the same kind returns the existing entry.
    """
    with open_core(ctx) as core:
        entry = core.suppressions.add(
            core.cli_actor(),
            number,
            kind=kind.value,
            source=source,
            reason=reason,
            at=instant(at) if at is not None else None,
        )
    if as_json:
        emit_json(suppression_json(entry))
        return
    stdout().print(
        Text(
            f"Suppressed {entry.e164} ({entry.kind}) since {_utc(entry.created_at)} UTC: "
            f"entry {entry.id}.",
            style="green",
        )
    )


@app.command("list")
@guarded
def list_(
    ctx: typer.Context,
    kind: Annotated[
        SuppressionKind | None,
        typer.Option("--kind", case_sensitive=False, help="Only this kind."),
    ] = None,
    include_lifted: Annotated[
        bool, typer.Option("--all", help="Include lifted suppressions.")
    ] = False,
    limit: Annotated[
        int, typer.Option("--limit", metavar="N", min=1, max=10_000, help="At most N entries.")
    ] = 100,
    as_json: JsonFlag = False,
) -> None:
    """List suppressions, newest first (active ones unless --all)."""
    with open_core(ctx) as core:
        entries = core.suppressions.entries(
            core.cli_actor(),
            kind=kind.value if kind else None,
            include_lifted=include_lifted,
            limit=limit,
        )
    if as_json:
        emit_json([suppression_json(e) for e in entries])
        return
    if not entries:
        stdout().print("no suppressions")
        return
    stdout().print(_table(entries, number=True))


@app.command("show")
@guarded
def show(ctx: typer.Context, number: Number, as_json: JsonFlag = False) -> None:
    """Show every suppression of NUMBER, lifted ones included: its history."""
    with open_core(ctx) as core:
        actor = core.cli_actor()
        e164 = core.consent.e164(number)
        entries = core.suppressions.show(actor, e164)
    if as_json:
        emit_json({"number": e164, "suppressions": [suppression_json(e) for e in entries]})
        return
    if not entries:
        stdout().print(Text(f"{e164} has never been suppressed"))
        return
    stdout().print(Text(e164, style="bold underline"))
    stdout().print(_table(entries, number=False))


@app.command("lift")
@guarded
def lift(
    ctx: typer.Context,
    suppression_id: Annotated[
        str, typer.Argument(metavar="ID", help="The suppression's id (see 'suppress show').")
    ],
    reason: Annotated[
        str,
        typer.Option(
            "--reason",
            metavar="R",
            help="Why, e.g. 'asked to hear from us again by letter of 2025-03-01'.",
        ),
    ],
    as_json: JsonFlag = False,
) -> None:
    """End a suppression; the entry stays, marked lifted. Erasures cannot be lifted."""
    with open_core(ctx) as core:
        entry = core.suppressions.lift(core.cli_actor(), suppression_id, reason)
    if as_json:
        emit_json(suppression_json(entry))
        return
    stdout().print(Text(f"Lifted suppression {entry.id} ({entry.kind}).", style="green"))


@app.command("deactivations")
@guarded
def deactivations(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="A carrier deactivation file: one number per line, optionally ',YYYY-MM-DD'.",
        ),
    ],
    source: Annotated[
        str | None,
        typer.Option("--source", metavar="S", help="Which carrier (default: the file name)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Suppress every number of a carrier deactivation file (O7), in one transaction."""
    if not file.is_file():
        raise ValidationError(f"{file}: no such file", field="file", code="file_missing")
    with open_core(ctx) as core:
        count = core.suppressions.import_deactivations(core.cli_actor(), file, source=source)
    if as_json:
        emit_json({"file": file.name, "suppressed": count})
        return
    stdout().print(Text(f"{count:,} numbers from {file.name} suppressed as deactivated."))


# -- national registries ----------------------------------------------------------------------
@dnc_app.command("import")
@guarded
def dnc_import(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE...",
            help="Registry files: text ('2025550123' or '202,5550123' lines), XML, or zip.",
        ),
    ],
    registry_date: Annotated[
        dt.datetime,
        typer.Option(
            "--registry-date",
            metavar="YYYY-MM-DD",
            formats=["%Y-%m-%d"],
            help="The date of the registry data (not of the download): freshness counts "
            "from it (D3).",
        ),
    ],
    kind: Annotated[
        RegistryKind,
        typer.Option(
            "--kind",
            case_sensitive=False,
            help="full replaces what is held for each area code in the file; the others "
            "add and delete.",
        ),
    ] = RegistryKind.FULL,
    registry: Annotated[
        RegistryChoice,
        typer.Option("--registry", case_sensitive=False, help="Which registry the files are."),
    ] = RegistryChoice.US_DNC,
    as_json: JsonFlag = False,
) -> None:
    """Import national registry files, each in one transaction (a bad line leaves its file
    unapplied; files before it stay imported).
    """
    for file in files:
        if not file.is_file():
            raise ValidationError(f"{file}: no such file", field="file", code="file_missing")
    console = stderr()
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,.0f} numbers"),
        TimeElapsedColumn(),
        console=console,
        disable=as_json or not console.is_terminal,
    )
    results: list[FileResult] = []
    with open_core(ctx) as core, progress:
        actor = core.cli_actor()
        for file in files:
            task = progress.add_task(file.name, total=None)

            def advance(seen: int, task: TaskID = task) -> None:
                progress.update(task, completed=seen)

            results.append(
                core.registries.import_file(
                    actor,
                    file,
                    registry_date=registry_date.date(),
                    kind=kind.value,
                    registry=registry.value,
                    progress=advance,
                )
            )
    if as_json:
        emit_json({"registry_date": registry_date.date(), "files": results})
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    table.add_column("file", overflow="fold")
    table.add_column("registry")
    table.add_column("kind")
    table.add_column("area codes", overflow="fold")
    table.add_column("added", justify="right")
    table.add_column("deleted", justify="right")
    for result in results:
        table.add_row(
            Text(result.file),
            result.registry,
            result.kind,
            ", ".join(result.area_codes),
            f"{result.added:,}",
            f"{result.deleted:,}",
        )
    stdout().print(table)


@dnc_app.command("status")
@guarded
def dnc_status(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Per registry and area code: the newest data's date, its age, whether it is stale.

    Marketing to an area code whose data is stale (older than the rule pack's limit, 31 days
    in the US) is blocked until a fresh import (D3).
    """
    with open_core(ctx) as core:
        areas = core.registries.status(core.cli_actor())
    if as_json:
        emit_json(areas)
        return
    if not areas:
        stdout().print("no registry data imported")
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    for column in ("registry", "area code", "registry date", "age (days)", "stale", "numbers"):
        table.add_column(column, justify="right" if column in ("age (days)", "numbers") else "left")
    for area in areas:
        table.add_row(
            area.registry,
            area.area_code,
            area.registry_date.isoformat(),
            str(area.age_days),
            Text("STALE", style="red") if area.stale else Text("fresh", style="green"),
            f"{area.numbers:,}",
        )
    stdout().print(table)


def suppression_json(entry: SuppressionOut) -> dict[str, object]:
    """One suppression for --json output; ``number`` is None once the person is erased."""
    return {
        "id": entry.id,
        "number": entry.e164,
        "kind": entry.kind,
        "source": entry.source,
        "reason": entry.reason,
        "created_at": entry.created_at,
        "created_by": entry.created_by,
        "lifted_at": entry.lifted_at,
        "lifted_by": entry.lifted_by,
        "active": entry.active,
    }


def _table(entries: list[SuppressionOut], *, number: bool) -> Table:
    """Dates only, so that the table fits a terminal; --json has the exact times and actors."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    table.add_column("id", no_wrap=True)
    if number:
        table.add_column("number", no_wrap=True)
    for column in ("kind", "added", "state"):
        table.add_column(column, overflow="fold")
    table.add_column("source and reason", overflow="fold")
    for entry in entries:
        state = (
            Text(f"lifted {entry.lifted_at:%Y-%m-%d}", style="dim")
            if entry.lifted_at
            else Text("active", style="red")
        )
        why = "; ".join(x for x in (entry.source, entry.reason) if x)
        cells: list[str | Text] = [entry.id]
        if number:
            cells.append(Text(entry.e164 or "(erased)"))
        cells += [Text(entry.kind), f"{entry.created_at:%Y-%m-%d}", state, Text(why)]
        table.add_row(*cells)
    return table


def _utc(value: dt.datetime) -> str:
    return f"{value.astimezone(dt.UTC):%Y-%m-%d %H:%M}"
