"""What the campaigns domain takes and gives: a draft, a campaign, a preview, a launch, stats."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from phonelist.store.campaign_models import Campaign

__all__ = [
    "AUDIENCE_KINDS",
    "CAMPAIGN_PURPOSES",
    "EXCLUSIONS",
    "SCHEDULE_KINDS",
    "STATUSES",
    "CampaignOut",
    "Draft",
    "Launch",
    "Rendered",
]

AUDIENCE_KINDS = ("segment", "list", "query")
SCHEDULE_KINDS = ("now", "utc", "local")
CAMPAIGN_PURPOSES = ("marketing", "informational", "emergency")
STATUSES = ("draft", "awaiting_approval", "approved", "sending", "paused", "done", "cancelled")
EDITABLE = ("draft", "awaiting_approval", "approved")
# Every reason a contact of the audience gets no message (or a later one), in the order a
# contact is counted under the first that applies (docs/campaigns.md, "Preview").
EXCLUSIONS = (
    "no_number",  # no primary number
    "invalid_number",  # the stored number is not a valid number
    "landline",  # a fixed line cannot receive SMS
    "suppressed",  # do-not-contact list, provider opt-out, reassigned, erased (D1, O7, D4, P2)
    "registry",  # national registry, stale registry data, Portugal's list (D2, D3, D5)
    "no_consent",  # no, revoked, pending or insufficient consent (C1-C8, O3)
    "no_time_zone",  # local-time schedule or hours rules without a known zone (H1)
    "quiet_hours",  # outside the hours or on a banned holiday: deferred (H2, H3, H5)
    "frequency_cap",  # the cap is reached: deferred until it is not (H4)
    "other",  # a reason this version does not know: never sent (default deny)
)
DEFERRABLE = ("quiet_hours", "frequency_cap")


@dataclass(frozen=True, slots=True)
class Draft:
    """The fields of a campaign a user composes; ``None`` in an update leaves a field alone."""

    name: str | None = None
    body: str | None = None
    purpose: str | None = None
    channel: str | None = None
    audience_kind: str | None = None
    audience: str | None = None
    schedule_kind: str | None = None
    send_at: dt.datetime | None = None  # schedule utc
    local_date: dt.date | None = None  # schedule local
    local_time: str | None = None  # "HH:MM"
    senders: list[str] | None = None
    rate_limit: float | None = None
    emergency_reason: str | None = None


@dataclass(frozen=True, slots=True)
class CampaignOut:
    id: str
    name: str
    body: str
    channel: str
    purpose: str
    audience_kind: str
    audience: str
    schedule_kind: str
    send_at: dt.datetime | None
    local_date: dt.date | None
    local_time: str | None
    senders: list[str]
    rate_limit: float | None
    status: str
    preview: dict[str, Any]
    emergency_reason: str | None
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    approved_by: str | None
    approved_at: dt.datetime | None
    launched_by: str | None
    launched_at: dt.datetime | None
    finished_at: dt.datetime | None
    queued: int

    @classmethod
    def of(cls, row: Campaign) -> CampaignOut:
        return cls(
            id=row.id,
            name=row.name,
            body=row.body,
            channel=row.channel,
            purpose=row.purpose,
            audience_kind=row.audience_kind,
            audience=row.audience,
            schedule_kind=row.schedule_kind,
            send_at=row.send_at,
            local_date=row.local_date,
            local_time=row.local_time,
            senders=list(row.senders or []),
            rate_limit=row.rate_limit,
            status=row.status,
            preview=dict(row.preview or {}),
            emergency_reason=row.emergency_reason,
            created_by=row.created_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
            approved_by=row.approved_by,
            approved_at=row.approved_at,
            launched_by=row.launched_by,
            launched_at=row.launched_at,
            finished_at=row.finished_at,
            queued=row.queued or 0,
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Rendered:
    """One recipient's message as it would go out, and what the policy says about it."""

    contact_id: str
    to: str  # the number, masked for roles without contacts.numbers
    text: str
    encoding: str
    segments: int
    characters: int
    added: list[str]  # "opt_out_footer", "no_reply_notice"
    missing: list[str]  # placeholders without a default that this contact lacks
    cost: float
    outcome: str  # send | deferred | excluded
    category: str | None  # the exclusion, if any
    not_before: dt.datetime | None  # when it would go
    reasons: list[dict[str, Any]] = field(default_factory=list)
    in_audience: bool = True

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Launch:
    """What a launch did: the campaign's status, messages added now, and in the outbox."""

    campaign_id: str
    status: str
    enqueued: int  # new outbox rows this run (0 when a re-launch found them all)
    queued: int  # every outbox row of the campaign
    needs_approval: bool
    preview: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
