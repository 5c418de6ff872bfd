"""``phonelist privacy requests add|list|show|extend|close``: the request register (P4)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from phonelist.cli.context import open_core
from phonelist.cli.output import JsonFlag, UsageProblem, clean, emit_json, guarded, stdout
from phonelist.privacy.requests import KINDS, MAX_EXTENSION_MONTHS, RequestOut

__all__ = ["app"]

app = typer.Typer(
    name="requests",
    help="The register of privacy requests (access, erasure...) and their due dates.",
    no_args_is_help=True,
)

IdArgument = Annotated[
    str, typer.Argument(metavar="REQUEST_ID", help="The request's id, as 'requests list' shows it.")
]


@app.command("add")
@guarded
def add(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(metavar="KIND", help=f"One of: {', '.join(KINDS)}.")],
    contact: Annotated[
        str | None,
        typer.Option("--contact", metavar="CONTACT_ID", help="The contact the request is about."),
    ] = None,
    number: Annotated[
        str | None,
        typer.Option(
            "--number",
            metavar="NUMBER",
            help="The person's number; only its keyed hash is stored, never the number.",
        ),
    ] = None,
    note: Annotated[
        str | None,
        typer.Option(
            "--note",
            metavar="TEXT",
            help="How the person asked and how to answer them (stored encrypted).",
        ),
    ] = None,
    received: Annotated[
        str | None,
        typer.Option(
            "--received",
            metavar="DATE",
            help="When the request arrived: YYYY-MM-DD (UTC) or an ISO 8601 instant. "
            "Default: now. The answer is due one calendar month later.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Put a privacy request on the register; prints its id and due date.

    Name the person with --contact, --number or both. Owners and admins only (privacy.manage).
    """
    with open_core(ctx) as core:
        out = core.privacy_requests.add(
            core.cli_actor(),
            kind,
            contact_id=contact,
            number=number,
            note=note,
            received_at=_instant(received, "--received"),
        )
    _show_one(out, as_json)


@app.command("list")
@guarded
def list_(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            metavar="STATUS",
            help="Only open (open or extended), extended, done or refused requests.",
        ),
    ] = None,
    overdue: Annotated[
        bool, typer.Option("--overdue", metavar="", help="Only open requests past their due date.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """List the register, soonest due first, with days left; overdue requests are flagged.

    'privacy requests show' (or --json) gives each request's subject, dates and outcome.
    """
    with open_core(ctx) as core:
        items = core.privacy_requests.list_requests(
            core.cli_actor(), status=status, overdue=overdue
        )
    if as_json:
        emit_json([item.as_dict() for item in items])
        return
    if not items:
        stdout().print("no privacy requests")
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    for name in ("id", "kind", "status", "due (UTC)", "days left"):
        table.add_column(name, no_wrap=True)
    for item in items:
        left = "" if item.days_left is None else str(item.days_left)
        if item.overdue:
            left = f"{left} OVERDUE"
        table.add_row(
            item.id,
            item.kind,
            item.status,
            f"{item.due_at:%Y-%m-%d}",
            Text(left, style="bold red" if item.overdue else ""),
        )
    stdout().print(table)
    late = sum(1 for item in items if item.overdue)
    if late:
        stdout().print(Text(f"{late} overdue", style="bold red"))


@app.command("show")
@guarded
def show(ctx: typer.Context, request_id: IdArgument, as_json: JsonFlag = False) -> None:
    """Show one request: subject, dates, extension, status, outcome and the note."""
    with open_core(ctx) as core:
        out = core.privacy_requests.get(core.cli_actor(), request_id)
    _show_one(out, as_json)


@app.command("extend")
@guarded
def extend(
    ctx: typer.Context,
    request_id: IdArgument,
    reason: Annotated[
        str,
        typer.Option(
            "--reason", metavar="TEXT", help="Why more time is needed (the person must be told)."
        ),
    ],
    months: Annotated[
        int,
        typer.Option(
            "--months",
            metavar="N",
            help=f"Extra months (in all at most {MAX_EXTENSION_MONTHS}, GDPR Art. 12(3)).",
        ),
    ] = 1,
    as_json: JsonFlag = False,
) -> None:
    """Extend an open request's deadline; the due date moves by whole months from receipt."""
    with open_core(ctx) as core:
        out = core.privacy_requests.extend(core.cli_actor(), request_id, months, reason)
    _show_one(out, as_json)


@app.command("close")
@guarded
def close(
    ctx: typer.Context,
    request_id: IdArgument,
    status: Annotated[
        str,
        typer.Option("--status", metavar="done|refused", help="How the request ended."),
    ] = "done",
    outcome: Annotated[
        str | None,
        typer.Option(
            "--outcome",
            metavar="TEXT",
            help="What was done, or why it was refused (required to refuse; stored encrypted).",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Close a request as done or refused."""
    with open_core(ctx) as core:
        out = core.privacy_requests.close(core.cli_actor(), request_id, status, outcome)
    _show_one(out, as_json)


def _show_one(out: RequestOut, as_json: bool) -> None:
    if as_json:
        emit_json(out.as_dict())
        return
    console = stdout()
    console.print(Text(f"request {out.id}: {out.kind}, {out.status}"))
    console.print(Text(f"  subject:  {_subject(out)}"))
    console.print(Text(f"  received: {out.received_at:%Y-%m-%d %H:%M} UTC"))
    due = f"  due:      {out.due_at:%Y-%m-%d %H:%M} UTC"
    if out.days_left is not None:
        due += f" ({out.days_left} days left)" if not out.overdue else " (OVERDUE)"
    console.print(Text(due, style="bold red" if out.overdue else ""))
    if out.extended_months:
        reason = clean(out.extension_reason or "")
        console.print(Text(f"  extended: {out.extended_months} months: {reason}"))
    if out.closed_at is not None:
        console.print(Text(f"  closed:   {out.closed_at:%Y-%m-%d %H:%M} UTC by {out.handled_by}"))
    if out.outcome:
        console.print(Text(f"  outcome:  {clean(out.outcome)}"))
    if out.note:
        console.print(Text(f"  note:     {clean(out.note)}"))


def _subject(out: RequestOut) -> str:
    parts = []
    if out.contact_id:
        parts.append(f"contact {out.contact_id}")
    if out.number_index:
        parts.append(f"number #{out.number_index[:12]}")
    return ", ".join(parts)


def _instant(text: str | None, option: str) -> dt.datetime | None:
    """A date (midnight UTC) or an ISO 8601 instant (UTC when it has no zone)."""
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageProblem(f"{option} must be YYYY-MM-DD or an ISO 8601 instant") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
