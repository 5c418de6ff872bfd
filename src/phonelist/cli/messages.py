"""``phonelist messages ...``: a one-to-one follow-up, a call log, a contact's conversation."""

from __future__ import annotations

from typing import Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from phonelist.campaigns import CALL_OUTCOMES
from phonelist.cli.consent_input import instant
from phonelist.cli.context import open_core
from phonelist.cli.output import JsonFlag, emit_json, guarded, read_stdin, stdout, timestamp

__all__ = ["app"]

app = typer.Typer(
    name="messages",
    help="Send a one-to-one message, log a call, read a contact's conversation.",
    no_args_is_help=True,
)

ContactId = Annotated[str, typer.Argument(metavar="CONTACT", help="The contact's id.")]
Number = Annotated[
    str | None,
    typer.Option(
        "--number", metavar="NUMBER", help="One of the contact's numbers (default primary)."
    ),
]
Purpose = Annotated[str, typer.Option("--purpose", help="informational, marketing or emergency.")]


@app.command("send")
@guarded
def send(
    ctx: typer.Context,
    contact: ContactId,
    text: Annotated[
        str,
        typer.Argument(
            metavar="TEXT", help="The message; may use {first_name|there} (- reads stdin)."
        ),
    ],
    purpose: Purpose = "informational",
    sender: Annotated[
        str | None, typer.Option("--sender", metavar="NUMBER", help="Our sender number.")
    ] = None,
    number: Number = None,
    defer: Annotated[
        bool,
        typer.Option("--defer", help="When not allowed now (quiet hours, a cap), queue for later."),
    ] = False,
    key: Annotated[
        str | None,
        typer.Option("--key", metavar="KEY", help="Idempotency key: the same key sends once."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Queue one SMS to a contact after the policy check; the worker sends it.

    A blocked message exits 4 with the reasons; --defer queues it for when it is allowed.
    """
    with open_core(ctx) as core:
        sent = core.conversations.send(
            core.cli_actor(),
            contact,
            read_stdin() if text == "-" else text,
            purpose=purpose,
            sender=sender,
            number=number,
            defer=defer,
            idempotency_key=key,
        )
    if as_json:
        emit_json(sent)
        return
    when = f" for {sent.not_before.isoformat()}" if sent.not_before else ""
    note = " (already queued under this key)" if sent.duplicate else ""
    stdout().print(
        Text(
            f"Queued {sent.message_id}{when}: {sent.segments} {sent.encoding} segment(s){note}",
            style="green",
        )
    )


@app.command("log-call")
@guarded
def log_call(
    ctx: typer.Context,
    contact: ContactId,
    outcome: Annotated[
        str, typer.Argument(metavar="OUTCOME", help=f"One of: {', '.join(CALL_OUTCOMES)}.")
    ],
    notes: Annotated[
        str, typer.Option("--notes", metavar="TEXT", help="The agent's notes (- reads stdin).")
    ] = "",
    number: Number = None,
    purpose: Purpose = "informational",
    at: Annotated[
        str | None,
        typer.Option("--at", metavar="ISO", help="When the call happened (default now)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Record a call made to a contact: its outcome and notes (also added as a contact note)."""
    with open_core(ctx) as core:
        logged = core.conversations.log_call(
            core.cli_actor(),
            contact,
            outcome,
            notes=read_stdin() if notes == "-" else notes,
            number=number,
            purpose=purpose,
            at=instant(at) if at else None,
        )
    if as_json:
        emit_json(logged)
        return
    stdout().print(Text(f"Logged call {logged.id} ({outcome})", style="green"))


@app.command("conversation")
@guarded
def conversation(
    ctx: typer.Context,
    contact: ContactId,
    limit: Annotated[
        int, typer.Option("--limit", metavar="N", min=1, max=500, help="The last N messages.")
    ] = 50,
    as_json: JsonFlag = False,
) -> None:
    """Show a contact's messages in and out, and logged calls, newest last.

    Numbers are masked for roles without contacts.numbers; with --json every message has its
    number, body, status, campaign and times.
    """
    with open_core(ctx) as core:
        found = core.conversations.conversation(core.cli_actor(), contact, limit=limit)
    if as_json:
        emit_json(found)
        return
    if not found:
        stdout().print("no messages")
        return
    table = Table(box=box.SIMPLE)
    table.add_column("at", no_wrap=True)
    table.add_column("", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("text")
    for m in found:
        arrow = "<-" if m.direction == "in" else "->"
        kind = f"call: {m.subject}" if m.kind == "call_log" and m.subject else m.kind
        table.add_row(timestamp(m.at), arrow, kind, m.status, Text(m.body or ""))
    stdout().print(Text(f"number: {found[-1].number}"))
    stdout().print(table)
