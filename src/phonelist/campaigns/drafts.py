"""Checking a campaign draft: name, channel, purpose (emergency needs its permission and a
reason), template against the workspace's custom fields, audience, schedule, senders, rate."""

from __future__ import annotations

import datetime as dt

from phonelist.campaigns.audience import list_id
from phonelist.campaigns.preview import wall_time
from phonelist.campaigns.schemas import AUDIENCE_KINDS, CAMPAIGN_PURPOSES, SCHEDULE_KINDS
from phonelist.contacts.fields import load_fields
from phonelist.content.template import Template, parse_template
from phonelist.errors import ValidationError
from phonelist.security.permissions import Actor, Permission
from phonelist.segments.service import SegmentService
from phonelist.store import Store
from phonelist.store.campaign_models import Campaign

__all__ = ["MAX_RATE", "MAX_SENDERS", "template_of", "validate", "validate_schedule"]

MAX_SENDERS = 20
MAX_RATE = 10_000.0  # messages per second


def validate(
    store: Store, segments: SegmentService, actor: Actor, row: Campaign, now: dt.datetime
) -> None:
    """Check a draft (and tidy its text fields) before it is stored; raises ValidationError."""
    name = (row.name or "").strip()
    if not name or len(name) > 100 or not name.isprintable():
        raise ValidationError("the name must be 1 to 100 printable characters", field="name")
    row.name = name
    if row.channel != "sms":
        raise ValidationError("campaigns go by sms (channel must be sms)", field="channel")
    if row.purpose not in CAMPAIGN_PURPOSES:
        raise ValidationError(
            f"purpose must be one of {', '.join(CAMPAIGN_PURPOSES)}", field="purpose"
        )
    if row.purpose == "emergency":
        actor.require(Permission.CAMPAIGNS_EMERGENCY)
        reason = (row.emergency_reason or "").strip()
        if not reason or len(reason) > 300:
            raise ValidationError(
                "an emergency campaign needs an emergency_reason (1 to 300 characters)",
                field="emergency_reason",
            )
        row.emergency_reason = reason
    template_of(store, actor, row)
    if row.audience_kind not in AUDIENCE_KINDS:
        raise ValidationError(
            f"audience_kind must be one of {', '.join(AUDIENCE_KINDS)}", field="audience_kind"
        )
    row.audience = (row.audience or "").strip()
    if not row.audience:
        raise ValidationError("the audience is empty", field="audience")
    if row.audience_kind == "query":
        segments.prepare(actor, row.audience, at=now)  # a QueryError points at it
    elif row.audience_kind == "segment":
        segments.get(actor, row.audience)  # NotFound when there is no such segment
    else:
        with store.read() as session:
            list_id(session, actor.workspace_id, row.audience)
    validate_schedule(row)
    senders = [s.strip() for s in row.senders or []]
    if len(senders) > MAX_SENDERS or any(
        not s or len(s) > 32 or not s.isprintable() for s in senders
    ):
        raise ValidationError(
            f"senders: at most {MAX_SENDERS}, each 1 to 32 characters", field="senders"
        )
    row.senders = senders
    if row.rate_limit is not None and not 0 < row.rate_limit <= MAX_RATE:
        raise ValidationError(
            f"rate_limit must be above 0 and at most {MAX_RATE:g} messages/s",
            field="rate_limit",
        )


def template_of(store: Store, actor: Actor, row: Campaign) -> Template:
    """The campaign's template, parsed against the workspace's custom fields."""
    with store.read() as session:
        custom = frozenset(load_fields(session, actor.workspace_id))
    return parse_template(row.body or "", custom)


def validate_schedule(row: Campaign) -> None:
    if row.schedule_kind not in SCHEDULE_KINDS:
        raise ValidationError(
            f"schedule must be one of {', '.join(SCHEDULE_KINDS)}", field="schedule_kind"
        )
    if row.schedule_kind == "utc":
        if row.send_at is None or row.send_at.tzinfo is None:
            raise ValidationError(
                "a utc schedule needs send_at, an instant with a zone (e.g. Z)", field="send_at"
            )
        row.send_at = row.send_at.astimezone(dt.UTC)
        row.local_date = row.local_time = None
    elif row.schedule_kind == "local":
        if row.local_date is None or row.local_time is None:
            raise ValidationError(
                "a local schedule needs local_date and local_time (HH:MM)", field="local_time"
            )
        try:
            wall_time(row.local_time)
        except ValueError as exc:
            raise ValidationError(str(exc), field="local_time") from exc
        row.send_at = None
    else:
        row.send_at = row.local_date = row.local_time = None
