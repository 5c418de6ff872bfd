"""``phonelist campaigns ...``: compose, preview, approve, launch, pause, resume, cancel, stats.

The CLI acts as the workspace owner (it holds the keys). See docs/campaigns.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from phonelist.campaigns import EXCLUSIONS, CampaignOut, Draft, Rendered
from phonelist.cli.consent_input import instant
from phonelist.cli.context import open_core
from phonelist.cli.output import (
    JsonFlag,
    UsageProblem,
    clean,
    emit_json,
    guarded,
    read_stdin,
    stdout,
    timestamp,
)
from phonelist.errors import ValidationError

__all__ = ["app"]

app = typer.Typer(
    name="campaigns",
    help="Compose, preview, approve, launch and follow SMS campaigns.",
    no_args_is_help=True,
)

CampaignId = Annotated[str, typer.Argument(metavar="ID", help="The campaign's id.")]

_LABELS = {
    "no_number": "no phone number",
    "invalid_number": "invalid number",
    "landline": "landline (no SMS)",
    "suppressed": "suppressed (do-not-contact)",
    "registry": "do-not-call registry",
    "no_consent": "no consent",
    "no_time_zone": "time zone unknown",
    "quiet_hours": "quiet hours (deferred)",
    "frequency_cap": "frequency cap (deferred)",
    "other": "other",
}


def _local(value: str | None) -> tuple[dt.date | None, str | None]:
    if value is None:
        return None, None
    day, _, wall = value.strip().partition(" ")
    try:
        return dt.date.fromisoformat(day), wall.strip()
    except ValueError:
        raise ValidationError(
            f"--local expects 'YYYY-MM-DD HH:MM', not {clean(value, 40)!r}", field="local_time"
        ) from None


def _audience(segment: str | None, list_: str | None, query: str | None) -> tuple[str, str]:
    given = [(k, v) for k, v in (("segment", segment), ("list", list_), ("query", query)) if v]
    if len(given) != 1:
        raise UsageProblem("give exactly one of --segment, --list or --query")
    kind, value = given[0]
    return kind, read_stdin() if value == "-" else value


def _show(campaign: CampaignOut) -> None:
    table = Table(box=box.SIMPLE, show_header=False)
    table.add_column(style="bold")
    table.add_column()
    schedule = campaign.schedule_kind
    if campaign.send_at:
        schedule += f" {campaign.send_at.isoformat()}"
    if campaign.local_date:
        schedule += f" {campaign.local_date} {campaign.local_time} (each recipient's zone)"
    rows = [
        ("id", campaign.id),
        ("name", campaign.name),
        ("status", campaign.status),
        ("purpose", campaign.purpose),
        ("audience", f"{campaign.audience_kind}: {campaign.audience}"),
        ("schedule", schedule),
        ("senders", ", ".join(campaign.senders) or "(gateway default)"),
        ("rate limit", f"{campaign.rate_limit:g}/s" if campaign.rate_limit else ""),
        ("queued", f"{campaign.queued:,}"),
        ("created", f"{timestamp(campaign.created_at)} by {campaign.created_by}"),
        ("approved", f"{timestamp(campaign.approved_at)} {campaign.approved_by or ''}".strip()),
        ("launched", f"{timestamp(campaign.launched_at)} {campaign.launched_by or ''}".strip()),
        ("message", campaign.body),
    ]
    if campaign.emergency_reason:
        rows.insert(4, ("emergency", campaign.emergency_reason))
    for name, value in rows:
        table.add_row(name, Text(value))
    stdout().print(table)


@app.command("create")
@guarded
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", metavar="TEXT", help="The campaign's name.")],
    body: Annotated[
        str,
        typer.Option(
            "--body",
            metavar="TEXT",
            help="The message template, e.g. 'Hi {first_name|there}!' (- reads stdin).",
        ),
    ],
    purpose: Annotated[
        str,
        typer.Option("--purpose", help="marketing, informational or emergency."),
    ] = "informational",
    segment: Annotated[
        str | None, typer.Option("--segment", metavar="NAME", help="Audience: a saved segment.")
    ] = None,
    list_: Annotated[
        str | None, typer.Option("--list", metavar="NAME", help="Audience: a static list.")
    ] = None,
    query: Annotated[
        str | None,
        typer.Option("--query", metavar="QUERY", help="Audience: a segment query (- reads stdin)."),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option("--at", metavar="ISO", help="Send at this instant, e.g. 2026-07-01T15:00Z."),
    ] = None,
    local: Annotated[
        str | None,
        typer.Option(
            "--local",
            metavar="'DATE HH:MM'",
            help="Send at this wall time in each recipient's own zone, e.g. '2026-07-01 09:30'.",
        ),
    ] = None,
    sender: Annotated[
        list[str] | None,
        typer.Option("--sender", metavar="NUMBER", help="A sender number (repeat for several)."),
    ] = None,
    rate: Annotated[
        float | None, typer.Option("--rate", metavar="N", help="At most N messages per second.")
    ] = None,
    emergency_reason: Annotated[
        str | None,
        typer.Option("--emergency-reason", metavar="TEXT", help="Required for emergency."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Compose a draft campaign: a message, an audience and a schedule (default: now).

    The template may use {first_name}, {last_name}, {display_name}, {city}, {region},
    {country}, {postal_code}, {status} and {custom.NAME}, each with a default after |.
    """
    kind, audience = _audience(segment, list_, query)
    if at and local:
        raise UsageProblem("give --at or --local, not both")
    day, wall = _local(local)
    draft = Draft(
        name=name,
        body=read_stdin() if body == "-" else body,
        purpose=purpose,
        audience_kind=kind,
        audience=audience,
        schedule_kind="utc" if at else "local" if local else "now",
        send_at=instant(at) if at else None,
        local_date=day,
        local_time=wall,
        senders=list(sender or []),
        rate_limit=rate,
        emergency_reason=emergency_reason,
    )
    with open_core(ctx) as core:
        created = core.campaigns.create(core.cli_actor(), draft)
    if as_json:
        emit_json(created)
        return
    stdout().print(Text(f"Created draft campaign {created.id}", style="green"))


@app.command("list")
@guarded
def list_(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option("--status", metavar="STATUS", help="Only this status.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """List campaigns, oldest first: id, name, status, purpose and messages queued."""
    with open_core(ctx) as core:
        found = core.campaigns.all(core.cli_actor(), status=status)
    if as_json:
        emit_json(found)
        return
    table = Table(box=box.SIMPLE)
    table.add_column("id", no_wrap=True, min_width=26)
    for column in ("name", "status", "purpose"):
        table.add_column(column)
    table.add_column("queued", justify="right")
    for c in found:
        table.add_row(c.id, Text(c.name), c.status, c.purpose, f"{c.queued:,}")
    stdout().print(table if found else Text("no campaigns"))


@app.command("show")
@guarded
def show(ctx: typer.Context, campaign_id: CampaignId, as_json: JsonFlag = False) -> None:
    """Show one campaign: its message, audience, schedule and status."""
    with open_core(ctx) as core:
        found = core.campaigns.get(core.cli_actor(), campaign_id)
    if as_json:
        emit_json(found)
        return
    _show(found)


def _rendered_table(samples: list[Rendered]) -> Table:
    table = Table(box=box.SIMPLE, title="messages")
    table.add_column("contact", no_wrap=True, min_width=26)
    for column in ("to", "outcome", "when", "segments", "text"):
        table.add_column(column)
    for s in samples:
        when = s.not_before.isoformat() if s.not_before else "now"
        table.add_row(
            s.contact_id,
            s.to,
            s.category or s.outcome,
            when if s.outcome != "excluded" else "",
            f"{s.segments} {s.encoding}",
            Text(s.text),
        )
    return table


def _summary(summary: dict[str, Any]) -> None:
    console = stdout()
    console.print(
        Text(
            f"audience {summary['audience']:,}: {summary['send']:,} to send, "
            f"{summary['deferred']:,} deferred, {summary['excluded']:,} excluded",
            style="bold",
        )
    )
    table = Table(box=box.SIMPLE, title="exclusions")
    table.add_column("reason")
    table.add_column("contacts", justify="right")
    table.add_column("deferred to")
    for name in EXCLUSIONS:
        window = summary["deferred_until"].get(name)
        when = f"{window['first']} .. {window['last']}" if window else ""
        table.add_row(_LABELS[name], f"{summary['exclusions'][name]:,}", when)
    console.print(table)
    message = summary["message"]
    encodings = ", ".join(f"{k} x{v:,}" for k, v in message["encodings"].items()) or "-"
    console.print(
        f"message: {encodings}; up to {message['max_segments']} segment(s) each, "
        f"{message['segments']:,} in all; estimated cost {summary['cost']:.2f}"
    )
    for field, count in message["missing_fields"].items():
        console.print(Text(f"warning: {count:,} recipient(s) lack {field}", style="yellow"))
    if summary.get("needs_approval"):
        console.print(Text("needs approval before launch (campaigns.approve)", style="yellow"))


@app.command("preview")
@guarded
def preview(
    ctx: typer.Context,
    campaign_id: CampaignId,
    contact: Annotated[
        str | None,
        typer.Option("--contact", metavar="ID", help="Preview the message for this contact."),
    ] = None,
    sample: Annotated[
        int,
        typer.Option("--sample", metavar="N", min=0, max=50, help="Show N rendered messages."),
    ] = 5,
    as_json: JsonFlag = False,
) -> None:
    """Count the audience and every exclusion, and show the message, segments and cost.

    With --contact, show that contact's message and what the policy says about it.
    """
    with open_core(ctx) as core:
        actor = core.cli_actor()
        if contact is not None:
            one = core.campaigns.preview_contact(actor, campaign_id, contact)
            if as_json:
                emit_json(one)
                return
            stdout().print(_rendered_table([one]))
            for reason in one.reasons:
                if reason["blocks"]:
                    stdout().print(Text(f"{reason['rule']} {reason['code']}: {reason['message']}"))
            if not one.in_audience:
                stdout().print(Text("this contact is not in the audience", style="yellow"))
            return
        result = core.campaigns.preview(actor, campaign_id, sample=sample)
    if as_json:
        emit_json(result.as_dict())
        return
    _summary(result.summary)
    if result.samples:
        stdout().print(_rendered_table(result.samples))


@app.command("approve")
@guarded
def approve(ctx: typer.Context, campaign_id: CampaignId, as_json: JsonFlag = False) -> None:
    """Approve a campaign (needed for marketing above campaign_approval_threshold)."""
    with open_core(ctx) as core:
        done = core.campaigns.approve(core.cli_actor(), campaign_id)
    if as_json:
        emit_json(done)
        return
    stdout().print(Text(f"Approved {done.id}", style="green"))


@app.command("launch")
@guarded
def launch(ctx: typer.Context, campaign_id: CampaignId, as_json: JsonFlag = False) -> None:
    """Queue the campaign's messages in the outbox; running it again adds only what is missing.

    A marketing campaign above the approval threshold goes to awaiting_approval instead.
    """
    with open_core(ctx) as core:
        done = core.campaigns.launch(core.cli_actor(), campaign_id)
    if as_json:
        emit_json(done)
        return
    if done.needs_approval:
        stdout().print(
            Text(
                f"{campaign_id} awaits approval ({done.preview.get('audience', 0):,} contacts): "
                "'phonelist campaigns approve' by another admin",
                style="yellow",
            )
        )
        return
    stdout().print(
        Text(
            f"{done.status}: {done.enqueued:,} message(s) queued now, {done.queued:,} in all",
            style="green",
        )
    )


def _move(ctx: typer.Context, campaign_id: str, verb: str, as_json: bool) -> None:
    with open_core(ctx) as core:
        done = getattr(core.campaigns, verb)(core.cli_actor(), campaign_id)
    if as_json:
        emit_json(done)
        return
    stdout().print(Text(f"{done.id} is {done.status}", style="green"))


@app.command("pause")
@guarded
def pause(ctx: typer.Context, campaign_id: CampaignId, as_json: JsonFlag = False) -> None:
    """Pause a sending campaign: its queued messages wait until resume."""
    _move(ctx, campaign_id, "pause", as_json)


@app.command("resume")
@guarded
def resume(ctx: typer.Context, campaign_id: CampaignId, as_json: JsonFlag = False) -> None:
    """Resume a paused campaign."""
    _move(ctx, campaign_id, "resume", as_json)


@app.command("cancel")
@guarded
def cancel(ctx: typer.Context, campaign_id: CampaignId, as_json: JsonFlag = False) -> None:
    """Cancel a campaign for good: its queued messages are cancelled."""
    _move(ctx, campaign_id, "cancel", as_json)


@app.command("stats")
@guarded
def stats(
    ctx: typer.Context,
    campaign_id: CampaignId,
    window: Annotated[
        float,
        typer.Option("--window", metavar="HOURS", min=1, help="Count opt-outs this long after."),
    ] = 168,
    as_json: JsonFlag = False,
) -> None:
    """Messages by state, delivery rate, opt-outs caused and cost."""
    with open_core(ctx) as core:
        found = core.campaigns.stats(
            core.cli_actor(), campaign_id, window=dt.timedelta(hours=window)
        )
    if as_json:
        emit_json(found)
        return
    table = Table(box=box.SIMPLE, show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("status", found.status)
    for state, count in found.by_state.items():
        table.add_row(state, f"{count:,}")
    rate = f"{found.delivery_rate:.1%}" if found.delivery_rate is not None else "-"
    table.add_row("delivery rate", rate)
    table.add_row(f"opt-outs ({found.opt_out_window_hours:g} h)", f"{found.opt_outs:,}")
    table.add_row("segments", f"{found.segments:,}")
    table.add_row("cost spent", f"{found.cost_spent:.2f}")
    table.add_row("cost estimate", f"{found.cost_estimate:.2f}")
    stdout().print(table)
