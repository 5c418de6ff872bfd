"""``phonelist audit show|verify``: read the audit log and check its hash chain."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from phonelist.audit import AuditFilter, EventOut
from phonelist.audit.service import MAX_LIMIT
from phonelist.cli.consent_ledger import show_verification
from phonelist.cli.context import open_core
from phonelist.cli.output import JsonFlag, clean, emit_json, guarded, stdout
from phonelist.errors import ValidationError

__all__ = ["app"]

app = typer.Typer(
    name="audit", help="Show the audit log and verify its hash chain.", no_args_is_help=True
)

DETAIL_WIDTH = 80


@app.command("show")
@guarded
def show(
    ctx: typer.Context,
    action: Annotated[
        str | None,
        typer.Option(
            "--action",
            metavar="ACTION",
            help="Only this action, e.g. user.sign_in_failed; 'user.' or 'user.*' for a family.",
        ),
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option(
            "--actor", metavar="KIND:REF", help="Only this actor, e.g. user:01J... or cli:alice."
        ),
    ] = None,
    subject: Annotated[
        str | None,
        typer.Option(
            "--subject",
            metavar="TYPE[:ID]",
            help="Only events about this kind of thing (contact, user, token...), or one of them.",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="DATE",
            help="Only events at or after DATE (YYYY-MM-DD, UTC) or an ISO 8601 instant.",
        ),
    ] = None,
    limit: Annotated[
        int,
        typer.Option("--limit", metavar="N", help=f"At most N events (1 to {MAX_LIMIT})."),
    ] = 50,
    as_json: JsonFlag = False,
) -> None:
    """Print the newest audit events first: sequence, time (UTC), actor, action, subject, detail.

    Events hold ids, counts and field names, never contacts' personal data.
    """
    subject_type, _, subject_id = (subject or "").partition(":")
    where = AuditFilter(
        action=action,
        actor=actor,
        subject_type=subject_type or None,
        subject_id=subject_id or None,
        since=_since(since),
    )
    with open_core(ctx) as core:
        page = core.audit.events(core.cli_actor(), where, limit=limit)
    if as_json:
        emit_json(page.items)
    elif not page.items:
        stdout().print("no audit events")
    else:
        stdout().print(event_table(page.items))


@app.command("verify")
@guarded
def verify(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Check that no audit event was edited, deleted or reordered since it was written.

    Walks the hash chain of the workspace and compares its end with the head row. Exits 0 when
    the chain holds, 10 when it does not, after printing each problem (each names the event).
    """
    with open_core(ctx) as core:
        report = core.audit.verify(core.cli_actor())
    problems = [f"problem ({problem.kind}): {problem.message}" for problem in report.problems]
    show_verification(
        "audit log", f"{report.events} events", problems, report.as_dict(), as_json=as_json
    )


def event_table(events: list[EventOut]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    table.add_column("seq", justify="right", no_wrap=True)
    table.add_column("at (UTC)", no_wrap=True)
    table.add_column("actor", overflow="fold")
    table.add_column("action", no_wrap=True)
    for column in ("subject", "detail"):
        table.add_column(column, overflow="fold")
    for event in events:
        subject = event.subject_type + (f":{event.subject_id}" if event.subject_id else "")
        detail = json.dumps(event.detail, ensure_ascii=False, separators=(",", ":"))
        table.add_row(
            Text(str(event.seq) if event.seq is not None else "-"),
            Text(f"{event.at:%Y-%m-%d %H:%M:%S}"),
            Text(clean(event.actor)),
            Text(clean(event.action)),
            Text(clean(subject)),
            Text(clean(detail if detail != "{}" else "", DETAIL_WIDTH)),
        )
    return table


def _since(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(
            f"--since expects a date (YYYY-MM-DD) or an ISO 8601 instant, not {clean(value, 60)!r}",
            field="since",
        ) from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=dt.UTC)  # a bare date or time is UTC, as the log is
    return parsed.astimezone(dt.UTC)
