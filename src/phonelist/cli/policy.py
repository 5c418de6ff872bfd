"""``phonelist policy check``: may we contact this number, on this channel, for this purpose, now?

The answer is the policy engine's :class:`~phonelist.policy.facts.Decision`, with every reason
and its rule id. A blocked answer exits 11, so that scripts can branch without parsing.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from phonelist.cli.consent_input import At, ChannelChoice, Number, instant, local_time
from phonelist.cli.context import open_core
from phonelist.cli.output import JsonFlag, emit_json, guarded, stdout
from phonelist.policy.facts import Decision

__all__ = ["BLOCKED_EXIT", "app"]

# Listed in phonelist.cli.output.EXIT_CODES (and so in docs/cli.md).
BLOCKED_EXIT = 11
_ZONE_SOURCES = {"contact": "the contact's stored time zone", "number": "the number"}

app = typer.Typer(name="policy", help="Ask the policy engine about a send.", no_args_is_help=True)


class PurposeChoice(StrEnum):
    MARKETING = "marketing"
    INFORMATIONAL = "informational"
    EMERGENCY = "emergency"


@app.command("check")
@guarded
def check(
    ctx: typer.Context,
    number: Number,
    channel: Annotated[
        ChannelChoice, typer.Option("--channel", case_sensitive=False, help="sms or voice.")
    ],
    purpose: Annotated[
        PurposeChoice,
        typer.Option("--purpose", case_sensitive=False, help="Why the message or call is made."),
    ],
    at: At = None,
    sender: Annotated[
        str | None,
        typer.Option("--sender", metavar="S", help="The sender or brand that would send."),
    ] = None,
    subject: Annotated[
        str | None,
        typer.Option(
            "--subject",
            metavar="S",
            help="The subject of the message, for caps counted per subject (H4).",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Decide whether NUMBER may be contacted on CHANNEL for PURPOSE at an instant.

    Prints allowed or blocked, every reason with its rule id (COMPLIANCE.md), the rule-pack
    version, the recipient's time zones and where they came from, and the next allowed
    instant. Nothing is sent or stored. Exits 0 when allowed, 11 when blocked.
    """
    when = instant(at)
    with open_core(ctx) as core:
        found = core.policy.check(
            core.cli_actor(),
            number,
            channel.value,
            purpose.value,
            when,
            sender=sender,
            subject=subject,
        )
    decision = found.decision
    zone = decision.time_zones[0] if decision.time_zones else None
    if as_json:
        data: dict[str, Any] = {
            "number": found.e164,
            "channel": channel.value,
            "purpose": purpose.value,
            "at": when,
            "sender": sender,
            "subject": subject,
            **decision.as_dict(),
            "next_allowed_local": _local(decision.next_allowed_at, zone),
        }
        emit_json(data)
    else:
        _print(found.e164, channel.value, purpose.value, when, decision)
    if not decision.allowed:
        raise typer.Exit(BLOCKED_EXIT)


def _print(e164: str, channel: str, purpose: str, when: dt.datetime, decision: Decision) -> None:
    console = stdout()
    zone = decision.time_zones[0] if decision.time_zones else None
    verdict = (
        Text("ALLOWED", style="bold green")
        if decision.allowed
        else Text("BLOCKED", style="bold red")
    )
    console.print(Text.assemble(verdict, f"  {e164} {channel} {purpose} at {_utc(when)} UTC"))
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    table.add_column("effect", no_wrap=True)
    table.add_column("rule", no_wrap=True)
    table.add_column("code", no_wrap=True)
    table.add_column("reason", overflow="fold")
    for reason in decision.reasons:
        effect = Text("blocks", style="red") if reason.blocks else Text("ok", style="green")
        table.add_row(effect, reason.rule, reason.code, Text(reason.message))
    console.print(table)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("rules", Text(decision.rules_version))
    if decision.time_zones:
        source = _ZONE_SOURCES.get(decision.time_zone_source, decision.time_zone_source)
        grid.add_row("time zones", Text(f"{', '.join(decision.time_zones)} (from {source})"))
        grid.add_row("local time", Text(local_time(when, zone)))
    else:
        grid.add_row("time zones", "unknown")
    if not decision.allowed:  # when allowed, the next allowed instant is the one asked about
        grid.add_row("next allowed", Text(_next_allowed(decision, zone)))
    console.print(grid)


def _next_allowed(decision: Decision, zone: str | None) -> str:
    if decision.next_allowed_at is None:
        return "not by waiting: a block that time does not lift"
    local = _local(decision.next_allowed_at, zone)
    return f"{_utc(decision.next_allowed_at)} UTC" + (f" = {local}" if local else "")


def _local(value: dt.datetime | None, zone: str | None) -> str | None:
    if value is None or zone is None:
        return None
    return local_time(value, zone) or None


def _utc(value: dt.datetime) -> str:
    return f"{value.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S}"
