"""``phonelist consent ...``: record, withdraw, show and prove the consent of a phone number.

Every change goes through the core's one write path (``core.consent.apply``); the ledger
commands (verify, rebuild, evidence) live in :mod:`phonelist.cli.consent_ledger` and the
disclosure texts and the review queue in :mod:`phonelist.cli.consent_admin`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from phonelist.cli import consent_admin, consent_ledger
from phonelist.cli.consent_input import (
    At,
    ChannelChoice,
    ConsentPurpose,
    Number,
    evidence_pairs,
    instant,
)
from phonelist.cli.context import open_core
from phonelist.cli.output import JsonFlag, UsageProblem, emit_json, guarded, stdout
from phonelist.cli.suppress import suppression_json
from phonelist.consent.commands import Grant, RequestOptIn, Revoke
from phonelist.consent.evidence import current_state, record_dict, state_dict
from phonelist.store.models import ConsentRecord

__all__ = ["app", "history_cards", "utc"]

app = typer.Typer(
    name="consent",
    help="Record, withdraw, show and prove consent (COMPLIANCE.md C1-C8, O3-O8).",
    no_args_is_help=True,
)

_STATUS_STYLES = {"granted": "green", "revoked": "red", "pending": "yellow", "unknown": "dim"}
_ACTION_STYLES = {"grant": "green", "revoke": "red", "request": "yellow"}


@app.command("grant")
@guarded
def grant(
    ctx: typer.Context,
    number: Number,
    channel: Annotated[
        ChannelChoice, typer.Option("--channel", case_sensitive=False, help="sms or voice.")
    ],
    purpose: Annotated[
        ConsentPurpose,
        typer.Option(
            "--purpose",
            case_sensitive=False,
            help="What the consent covers; one purpose never covers another (C5).",
        ),
    ],
    method: Annotated[
        str,
        typer.Option(
            "--method",
            metavar="METHOD",
            help="How consent was given: web_form, keyword, double_opt_in, verbal, paper, "
            "import, api, soft_opt_in (C7), casl_implied_purchase or casl_implied_inquiry (C8).",
        ),
    ],
    disclosure: Annotated[
        str | None,
        typer.Option(
            "--disclosure",
            metavar="NAME",
            help="The disclosure text shown, by name (its newest version) or id; see "
            "'consent disclosure add'. Written consent (C1) needs one.",
        ),
    ] = None,
    at: At = None,
    sender: Annotated[
        str | None,
        typer.Option(
            "--sender", metavar="S", help="The sender or brand consented to (default: any)."
        ),
    ] = None,
    action: Annotated[
        str | None,
        typer.Option(
            "--action",
            metavar="TEXT",
            help="What the person did, e.g. 'ticked the unchecked box and pressed Join'.",
        ),
    ] = None,
    language: Annotated[
        str | None,
        typer.Option("--language", metavar="L", help="Language the disclosure was shown in."),
    ] = None,
    source_url: Annotated[
        str | None,
        typer.Option("--source-url", metavar="U", help="The page where consent was given."),
    ] = None,
    form_id: Annotated[
        str | None, typer.Option("--form-id", metavar="F", help="The form's id.")
    ] = None,
    evidence_ref: Annotated[
        str | None,
        typer.Option(
            "--evidence-ref",
            metavar="R",
            help="Where the evidence is kept: a file, a recording, a signed paper's reference.",
        ),
    ] = None,
    evidence: Annotated[
        list[str] | None,
        typer.Option(
            "--evidence",
            metavar="KEY=VALUE",
            help="A fact of the evidence, e.g. obtained_in_sale=true (true/false become "
            "booleans; soft opt-in needs its three facts). Repeatable.",
        ),
    ] = None,
    prechecked: Annotated[
        bool,
        typer.Option(
            "--prechecked",
            help="The box was pre-checked. Such consent is refused (C4); the option exists "
            "so that imports and forms can say so honestly.",
        ),
    ] = False,
    condition_of_purchase: Annotated[
        bool,
        typer.Option(
            "--condition-of-purchase",
            help="Consent was a condition of purchase. Such consent is refused (C4).",
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Record that NUMBER consented to CHANNEL messages for PURPOSE, with its evidence (C2).

    Records are append-only: a correction is a new record. Marketing counts as prior express
    written consent (C1) only with a disclosure that states automated marketing and that
    consent is not a condition of purchase.
    """
    command = Grant(
        number=number,
        channel=channel.value,
        purpose=purpose.value,
        method=method,
        occurred_at=instant(at) if at is not None else None,
        sender=sender,
        disclosure=disclosure,
        affirmative_action=action,
        checkbox_prechecked=prechecked,
        condition_of_purchase=condition_of_purchase,
        language=language,
        source_url=source_url,
        form_id=form_id,
        evidence_ref=evidence_ref,
        evidence=evidence_pairs(evidence),
    )
    with open_core(ctx) as core:
        actor = core.cli_actor()
        outcome = core.consent.apply(actor, command)
        records = _records(core.consent.records(actor, outcome.e164), outcome.record_ids)
    if as_json:
        emit_json(_outcome_json(outcome.e164, records, outcome.request_id))
        return
    console = stdout()
    for record in records:
        console.print(
            Text(
                f"Recorded consent #{record.seq} for {outcome.e164}: {record.channel} "
                f"{record.purpose} by {record.method} (record {record.id}).",
                style="green",
            )
        )
        if record.purpose == "marketing":
            if record.written:
                console.print(
                    Text(f"Prior express written consent (C1): {record.disclosure_version}.")
                )
            else:
                console.print(
                    Text(
                        "Not written consent (C1): marketing needs a disclosure that states "
                        "automated marketing and not a condition of purchase.",
                        style="yellow",
                    )
                )


@app.command("revoke")
@guarded
def revoke(
    ctx: typer.Context,
    number: Number,
    method: Annotated[
        str,
        typer.Option(
            "--method",
            metavar="METHOD",
            help="How the opt-out arrived: agent, voice_agent, voice_keypress (O8), paper, "
            "api or web.",
        ),
    ] = "agent",
    at: At = None,
    action: Annotated[
        str | None,
        typer.Option(
            "--action",
            metavar="TEXT",
            help="What the person did or said, e.g. 'asked the agent to stop calling'.",
        ),
    ] = None,
    evidence_ref: Annotated[
        str | None,
        typer.Option(
            "--evidence-ref", metavar="R", help="Where the evidence is kept, e.g. a recording."
        ),
    ] = None,
    channel: Annotated[
        ChannelChoice | None,
        typer.Option(
            "--channel",
            case_sensitive=False,
            help="With --purpose: revoke only this pair. Honoured only when revocation_scope "
            "is 'purpose'; by default every channel and purpose is revoked (O3).",
        ),
    ] = None,
    purpose: Annotated[
        ConsentPurpose | None,
        typer.Option("--purpose", case_sensitive=False, help="With --channel: see --channel."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Record that NUMBER opted out (C6, O3): it takes effect before the next send (O4).

    Voice opt-outs said to an agent or pressed on a prerecorded call use this same path (O8).
    """
    if (channel is None) != (purpose is None):
        raise UsageProblem("--channel and --purpose go together")
    command = Revoke(
        number=number,
        method=method,
        occurred_at=instant(at) if at is not None else None,
        channel=channel.value if channel else None,
        purpose=purpose.value if purpose else None,
        affirmative_action=action,
        evidence_ref=evidence_ref,
        scope="one" if channel else "all",
    )
    with open_core(ctx) as core:
        actor = core.cli_actor()
        outcome = core.consent.apply(actor, command)
        records = _records(core.consent.records(actor, outcome.e164), outcome.record_ids)
    if as_json:
        emit_json(_outcome_json(outcome.e164, records, None))
        return
    console = stdout()
    for record in records:
        what = (
            "every channel and purpose"
            if record.scope == "all"
            else f"{record.channel} {record.purpose}"
        )
        console.print(
            Text(
                f"Revoked {what} for {outcome.e164} by {record.method} "
                f"(record #{record.seq}, {record.id}).",
                style="green",
            )
        )
        if channel is not None and record.scope == "all":
            console.print(
                Text(
                    "revocation_scope is 'all', so the opt-out covers every channel and "
                    "purpose (O3).",
                    style="yellow",
                )
            )


@app.command("request")
@guarded
def request(
    ctx: typer.Context,
    number: Number,
    purpose: Annotated[
        list[ConsentPurpose] | None,
        typer.Option(
            "--purpose",
            case_sensitive=False,
            help="Purpose to confirm (default: marketing). Repeatable.",
        ),
    ] = None,
    disclosure: Annotated[
        str | None,
        typer.Option(
            "--disclosure",
            metavar="NAME",
            help="The disclosure shown on the first step, by name or id.",
        ),
    ] = None,
    method: Annotated[
        str,
        typer.Option(
            "--method",
            metavar="METHOD",
            help="How the first step was taken, e.g. web_form or paper.",
        ),
    ] = "web_form",
    sender: Annotated[
        str | None,
        typer.Option("--sender", metavar="S", help="The sender or brand asking."),
    ] = None,
    source_url: Annotated[
        str | None,
        typer.Option("--source-url", metavar="U", help="The page of the first step."),
    ] = None,
    form_id: Annotated[
        str | None, typer.Option("--form-id", metavar="F", help="The form's id.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Start a double opt-in (C3): send NUMBER a confirmation request with no marketing.

    Consent becomes active only when the person replies YES within the configured window
    (double_opt_in_hours); 'phonelist inbound' processes that reply.
    """
    purposes = tuple(p.value for p in purpose) if purpose else ("marketing",)
    command = RequestOptIn(
        number=number,
        purposes=purposes,
        method=method,
        disclosure=disclosure,
        sender=sender,
        source_url=source_url,
        form_id=form_id,
    )
    with open_core(ctx) as core:
        actor = core.cli_actor()
        outcome = core.consent.apply(actor, command)
        records = _records(core.consent.records(actor, outcome.e164), outcome.record_ids)
    if as_json:
        emit_json(_outcome_json(outcome.e164, records, outcome.request_id))
        return
    console = stdout()
    console.print(
        Text(
            f"Asked {outcome.e164} to confirm {', '.join(purposes)} (request "
            f"{outcome.request_id}); consent is pending until the reply.",
            style="green",
        )
    )
    messages = {str(r.evidence.get("request_message_id")) for r in records if r.evidence}
    for message_id in sorted(messages):
        console.print(Text(f"confirmation request: message {message_id}"))


@app.command("show")
@guarded
def show(ctx: typer.Context, number: Number, as_json: JsonFlag = False) -> None:
    """Show the current consent of NUMBER per channel and purpose, and its active suppressions.

    A pair with no record is 'unknown': never sendable for marketing (C5).
    """
    with open_core(ctx) as core:
        actor = core.cli_actor()
        e164 = core.consent.e164(number)
        state = state_dict(current_state(core.consent, actor, e164))
        suppressions = [s for s in core.suppressions.show(actor, e164) if s.active]
    if as_json:
        emit_json(
            {
                "number": e164,
                "consents": state,
                "suppressions": [suppression_json(s) for s in suppressions],
            }
        )
        return
    console = stdout()
    console.print(Text(e164, style="bold underline"))
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    for column in ("channel", "purpose", "status"):
        table.add_column(column, no_wrap=True)
    table.add_column("since (UTC)", no_wrap=True)
    table.add_column("how", overflow="fold")
    for row in state:
        status = row["status"]
        how = [row["method"] or ""]
        if row["method"] and row["written"]:
            how.append("written")
        if row["sender"]:
            how.append(f"sender {row['sender']}")
        table.add_row(
            row["channel"],
            row["purpose"],
            Text(status, style=_STATUS_STYLES.get(status, "")),
            Text(_iso_text(row["since"])),
            Text(", ".join(h for h in how if h)),
        )
    console.print(table)
    if not suppressions:
        console.print(Text("not suppressed"))
    for entry in suppressions:
        console.print(
            Text(
                f"suppressed: {entry.kind} since {utc(entry.created_at)}"
                + (f", source {entry.source}" if entry.source else "")
                + (f", reason {entry.reason}" if entry.reason else "")
                + f" ({entry.id})",
                style="red",
            )
        )


@app.command("history")
@guarded
def history(ctx: typer.Context, number: Number, as_json: JsonFlag = False) -> None:
    """List every consent record of NUMBER in ledger order: grants, requests and opt-outs."""
    with open_core(ctx) as core:
        actor = core.cli_actor()
        e164 = core.consent.e164(number)
        records = core.consent.records(actor, e164)
    if as_json:
        emit_json({"number": e164, "records": [record_dict(r) for r in records]})
        return
    if not records:
        stdout().print(Text(f"no consent records for {e164}"))
        return
    stdout().print(history_cards(records))


def history_cards(records: Sequence[ConsentRecord]) -> RenderableType:
    """One short card per record, in ledger order; --json has every field."""
    cards: list[RenderableType] = []
    for record in records:
        scope = (
            "every channel and purpose"
            if record.scope == "all"
            else f"{record.channel} {record.purpose}"
        )
        head = Text.assemble(
            (f"#{record.seq} ", "bold"),
            (record.action, _ACTION_STYLES.get(record.action, "")),
            f" {scope} by {record.method}",
        )
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        grid.add_row("  occurred", Text(f"{utc(record.occurred_at)} UTC"))
        grid.add_row("  recorded", Text(f"{utc(record.recorded_at)} UTC by {record.actor}"))
        if record.sender:
            grid.add_row("  sender", Text(record.sender))
        if record.disclosure_version:
            written = ", written consent (C1)" if record.written else ""
            grid.add_row("  disclosure", Text(record.disclosure_version + written))
        if record.affirmative_action:
            grid.add_row("  action", Text(record.affirmative_action))
        if record.evidence_ref:
            grid.add_row("  evidence", Text(record.evidence_ref))
        cards += [head, grid]
    return Group(*cards)


def utc(value: dt.datetime | None) -> str:
    """A UTC instant to the second, as people read it: ``2025-03-09 15:05:00``."""
    if value is None:
        return ""
    return f"{value.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S}"


def _iso_text(value: str | None) -> str:
    return utc(dt.datetime.fromisoformat(value)) if value else ""


def _records(records: Sequence[ConsentRecord], ids: Sequence[str]) -> list[ConsentRecord]:
    wanted = set(ids)
    return [r for r in records if r.id in wanted]


def _outcome_json(
    e164: str, records: list[ConsentRecord], request_id: str | None
) -> dict[str, Any]:
    return {
        "number": e164,
        "request_id": request_id,
        "records": [record_dict(r) for r in records],
    }


app.command("verify")(consent_ledger.verify)
app.command("rebuild")(consent_ledger.rebuild)
app.command("evidence")(consent_ledger.evidence)
app.add_typer(consent_admin.disclosure_app)
app.add_typer(consent_admin.review_app)
