"""``phonelist retention show|set|run``: retention periods per field and the purge (P3)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich import box
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table
from rich.text import Text

from phonelist.cli.context import open_core
from phonelist.cli.output import JsonFlag, emit_json, guarded, stderr, stdout
from phonelist.privacy.retention import FIELDS, RuleOut

__all__ = ["app"]

app = typer.Typer(
    name="retention",
    help="How long each kind of personal data is kept, and the purge that applies it.",
    no_args_is_help=True,
)


def _days(days: int) -> str:
    return "never purged" if days == 0 else f"{days} days"


@app.command("show")
@guarded
def show(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Show the retention period of each field, its default, and what a purge does to it."""
    with open_core(ctx) as core:
        actor = core.cli_actor()
        rules = core.retention.rules(actor)
        last = core.retention.last_run(actor)
    if as_json:
        emit_json({"rules": [r.as_dict() for r in rules], "last_run": last})
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    table.add_column("field", no_wrap=True)
    table.add_column("kept", no_wrap=True)
    table.add_column("default", no_wrap=True)
    table.add_column("what the purge does")
    for rule in rules:
        kept = _days(rule.days) + (" (set)" if rule.source == "set" else "")
        table.add_row(rule.field, kept, _days(rule.default_days), rule.description)
    console = stdout()
    console.print(table)
    shown = f"{last:%Y-%m-%d %H:%M} UTC" if last else "never"
    console.print(Text(f"last purge: {shown}"))


@app.command("set")
@guarded
def set_(
    ctx: typer.Context,
    field: Annotated[str, typer.Argument(metavar="FIELD", help=f"One of: {', '.join(FIELDS)}.")],
    days: Annotated[
        int,
        typer.Argument(
            metavar="DAYS",
            help="Keep this many days; 0 keeps it forever. consent_evidence: at least 1826.",
        ),
    ],
    as_json: JsonFlag = False,
) -> None:
    """Set how long one field is kept (audited). Owners and admins only (privacy.manage)."""
    with open_core(ctx) as core:
        rule: RuleOut = core.retention.set(core.cli_actor(), field, days)
    if as_json:
        emit_json(rule.as_dict())
    else:
        stdout().print(Text(f"{rule.field}: kept {_days(rule.days)}"))


@app.command("run")
@guarded
def run(
    ctx: typer.Context,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", metavar="", help="Only count what would be purged; change nothing."
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Purge everything past its retention period now, and print the counts per field.

    Inactive contacts are erased (their numbers stay suppressed as keyed hashes); consent
    records keep their rows and chain and lose only their personal evidence. The run writes one
    audit event with the counts; a dry run writes nothing. 'phonelist serve' runs this daily.
    """
    console = stderr()
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
        disable=as_json or not console.is_terminal,
    )
    with open_core(ctx) as core, progress:
        task = progress.add_task("purging" if not dry_run else "counting")

        def report(name: str, count: int) -> None:
            progress.update(task, description=f"{name}: {count}")

        result = core.retention.run(core.cli_actor(), dry_run=dry_run, progress=report)
    if as_json:
        emit_json(result.as_dict())
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    table.add_column("field", no_wrap=True)
    table.add_column("kept", no_wrap=True)
    table.add_column("would purge" if dry_run else "purged", justify="right", no_wrap=True)
    for name, count in result.counts.items():
        kept = _days(result.days[name]) if name in result.days else ""
        table.add_row(name, kept, str(count))
    out = stdout()
    out.print(table)
    for name, why in result.skipped.items():
        out.print(Text(f"{name} skipped: {why}", style="yellow"))
    if dry_run:
        out.print(Text("dry run: nothing was changed"))
