"""``phonelist inbound FROM TEXT``: process an inbound message exactly as the webhook will."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from phonelist.cli.consent_input import At, instant
from phonelist.cli.context import open_core
from phonelist.cli.output import JsonFlag, emit_json, guarded, stdout

__all__ = ["inbound"]


@guarded
def inbound(
    ctx: typer.Context,
    sender: Annotated[
        str, typer.Argument(metavar="FROM", help="The number the message came from.")
    ],
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The message text, as received.")],
    to: Annotated[
        str | None,
        typer.Option("--to", metavar="NUMBER", help="Our number that received it."),
    ] = None,
    at: At = None,
    language: Annotated[
        str | None,
        typer.Option(
            "--language",
            metavar="L",
            help="The sender's language, e.g. es, for its keywords (default: every language).",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Store, classify and act on an inbound message, and send the replies it calls for.

    STOP and clear opt-out phrases revoke at once (O1, O2, O3) with one confirmation (O5);
    ambiguous replies go to the review queue; HELP is always answered; START re-subscribes
    (O6); YES confirms a pending double opt-in (C3). Replies go through the configured
    gateway after the opt-out is committed.
    """
    when = instant(at)
    with open_core(ctx) as core:
        result = core.inbound.handle(
            core.cli_actor(), sender, text, to=to, at=when, language=language
        )
        gateway = core.gateway.name
    if as_json:
        emit_json({**result.as_dict(), "at": when, "gateway": gateway})
        return
    found = result.classification
    console = stdout()
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("from", Text(result.e164))
    grid.add_row("message", Text(result.message_id))
    kind = found.kind.value + (f" ({found.rule})" if found.rule else "")
    if found.keyword:
        kind += f", matched {found.keyword!r}"
    grid.add_row("classified", Text(kind))
    grid.add_row("why", Text(found.reason))
    grid.add_row("actions", Text(", ".join(result.actions) or "none"))
    if result.review_id:
        grid.add_row("review item", Text(result.review_id))
    if result.note:
        grid.add_row("note", Text(result.note))
    for body in result.replies:
        grid.add_row(f"reply ({gateway})", Text(body))
    if not result.replies:
        grid.add_row("reply", "none")
    console.print(grid)
