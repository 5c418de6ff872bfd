"""Campaigns: compose a draft, preview it, approve it, launch it into the outbox, pause, resume,
cancel. Every change checks the actor's permission here and is audited in its transaction.

Lifecycle: ``draft`` -> (``awaiting_approval`` -> ``approved``) -> ``sending`` -> ``done``,
with ``paused`` (queued messages wait; the dispatcher claims a campaign's messages only while
the campaign is ``sending``) and ``cancelled`` (its queued messages become cancelled).
Launching enqueues one outbox message per recipient under the key
``campaign:<campaign id>:<contact id>``, so a launch that is repeated (after a crash, or by
mistake) adds only what is missing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields, replace
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from phonelist.audit import record
from phonelist.campaigns.audience import audience_ids
from phonelist.campaigns.drafts import template_of, validate
from phonelist.campaigns.plan import Planned, Planner, count_into, rendered
from phonelist.campaigns.preview import Tally
from phonelist.campaigns.schemas import (
    EDITABLE,
    CampaignOut,
    Draft,
    Launch,
    Rendered,
)
from phonelist.campaigns.stats import OPT_OUT_WINDOW, Stats, campaign_stats
from phonelist.clock import utcnow
from phonelist.config import Settings
from phonelist.contacts.queries import load_contact, masks_numbers
from phonelist.content.template import Template
from phonelist.dispatch.outbox import enqueue
from phonelist.errors import Conflict, NotFound, PermissionDenied, ValidationError
from phonelist.ids import new_id
from phonelist.policy.service import PolicyService
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor, Permission, Role
from phonelist.segments.service import SegmentService
from phonelist.store import Store
from phonelist.store.campaign_models import Campaign
from phonelist.store.consent_models import Message

__all__ = ["CampaignService", "campaign_key"]

SAMPLE = 5


def campaign_key(campaign_id: str, contact_id: str) -> str:
    """The outbox idempotency key of a campaign's message to one contact."""
    return f"campaign:{campaign_id}:{contact_id}"


@dataclass(frozen=True, slots=True)
class Preview:
    summary: dict[str, Any]  # counts only: stored on the campaign
    samples: list[Rendered]  # rendered messages of the first recipients (personal data)

    def as_dict(self) -> dict[str, Any]:
        return {**self.summary, "samples": [s.as_dict() for s in self.samples]}


class CampaignService:
    def __init__(
        self,
        store: Store,
        keyring: Keyring,
        settings: Settings,
        segments: SegmentService,
        policy: PolicyService,
    ) -> None:
        self.store = store
        self.keyring = keyring
        self.settings = settings
        self.segments = segments
        self.policy = policy
        self.planner = Planner(store, keyring, policy, settings)

    # -- composing ------------------------------------------------------------------------------
    def create(self, actor: Actor, draft: Draft, *, now: dt.datetime | None = None) -> CampaignOut:
        actor.require(Permission.CAMPAIGNS_MANAGE)
        now = now or utcnow()
        given = {f.name: getattr(draft, f.name) for f in fields(draft)}
        values = {
            "channel": "sms",
            "purpose": "informational",
            "audience_kind": "segment",
            "schedule_kind": "now",
            "senders": [],
            **{name: value for name, value in given.items() if value is not None},
        }
        for required in ("name", "body", "audience"):
            if not values.get(required):
                raise ValidationError(f"a campaign needs a {required}", field=required)
        row = Campaign(
            id=new_id(),
            workspace_id=actor.workspace_id,
            status="draft",
            preview={},
            created_by=actor.label,
            created_at=now,
            updated_at=now,
            queued=0,
            **values,
        )
        self._validate(actor, row, now)
        with self.store.write() as session:
            session.add(row)
            session.flush()
            record(session, actor, "campaign.create", "campaign", row.id, _detail(row))
            return CampaignOut.of(row)

    def update(
        self, actor: Actor, campaign_id: str, draft: Draft, *, now: dt.datetime | None = None
    ) -> CampaignOut:
        """Change a draft; an approval is void once the campaign changes (back to draft)."""
        actor.require(Permission.CAMPAIGNS_MANAGE)
        now = now or utcnow()
        with self.store.write() as session:
            row = _load(session, actor, campaign_id, for_update=True)
            if row.status not in EDITABLE:
                raise Conflict(
                    f"a {row.status} campaign cannot be changed", code="campaign_not_editable"
                )
            if row.purpose == "emergency":  # also when the change would make it an ordinary one
                actor.require(Permission.CAMPAIGNS_EMERGENCY)
            changed = []
            for f in fields(draft):
                value = getattr(draft, f.name)
                if value is not None and value != getattr(row, f.name):
                    setattr(row, f.name, value)
                    changed.append(f.name)
            if draft.schedule_kind == "now":
                row.send_at = row.local_date = row.local_time = None
            self._validate(actor, row, now)
            if changed:
                row.updated_at = now
                row.status, row.approved_by, row.approved_at = "draft", None, None
                record(
                    session,
                    actor,
                    "campaign.update",
                    "campaign",
                    row.id,
                    {**_detail(row), "fields": sorted(changed)},
                )
            return CampaignOut.of(row)

    def get(self, actor: Actor, campaign_id: str) -> CampaignOut:
        actor.require(Permission.MESSAGES_READ)
        with self.store.read() as session:
            return CampaignOut.of(_load(session, actor, campaign_id))

    def all(self, actor: Actor, *, status: str | None = None) -> list[CampaignOut]:
        actor.require(Permission.MESSAGES_READ)
        query = select(Campaign).where(Campaign.workspace_id == actor.workspace_id)
        if status is not None:
            query = query.where(Campaign.status == status)
        with self.store.read() as session:
            return [CampaignOut.of(r) for r in session.scalars(query.order_by(Campaign.id))]

    def _validate(self, actor: Actor, row: Campaign, now: dt.datetime) -> None:
        validate(self.store, self.segments, actor, row, now)

    def _template(self, actor: Actor, row: Campaign) -> Template:
        return template_of(self.store, actor, row)

    # -- preview --------------------------------------------------------------------------------
    def preview(
        self,
        actor: Actor,
        campaign_id: str,
        *,
        now: dt.datetime | None = None,
        sample: int = SAMPLE,
    ) -> Preview:
        """Audience size, every exclusion counted, the message's encoding, segments and cost,
        and the rendered message of the first ``sample`` recipients."""
        actor.require(Permission.CAMPAIGNS_MANAGE)
        now = now or utcnow()
        row = self._row(actor, campaign_id)
        template = self._template(actor, row)
        ids = audience_ids(self.store, self.segments, actor, row.audience_kind, row.audience, now)
        tally = Tally()
        samples: list[Rendered] = []
        masked = masks_numbers(actor)
        for chunk in self.planner.plan(actor, row, template, ids, now):
            for planned in chunk:
                count_into(tally, planned)
                if len(samples) < sample and planned.message is not None:
                    samples.append(rendered(planned, masked))
        summary = tally.as_dict(now, self.policy.rules.version)
        summary["needs_approval"] = self._needs_approval(row, tally.audience)
        with self.store.write() as session:
            stored = _load(session, actor, campaign_id, for_update=True)
            stored.preview = summary
        return Preview(summary, samples)

    def preview_contact(
        self, actor: Actor, campaign_id: str, contact_id: str, *, now: dt.datetime | None = None
    ) -> Rendered:
        """The campaign's message for one contact, and what the policy says about sending it."""
        actor.require(Permission.CAMPAIGNS_MANAGE)
        now = now or utcnow()
        row = self._row(actor, campaign_id)
        template = self._template(actor, row)
        with self.store.read() as session:
            load_contact(session, actor, contact_id)  # NotFound for another workspace's id
        ids = audience_ids(self.store, self.segments, actor, row.audience_kind, row.audience, now)
        planned = next(iter(next(self.planner.plan(actor, row, template, [contact_id], now))))
        one = rendered(planned, masks_numbers(actor))
        return replace(one, in_audience=contact_id in set(ids))

    def _needs_approval(self, row: Campaign, audience: int) -> bool:
        return (
            row.purpose == "marketing"
            and audience > self.settings.campaign_approval_threshold
            and row.approved_at is None
        )

    # -- approval -------------------------------------------------------------------------------
    def approve(
        self, actor: Actor, campaign_id: str, *, now: dt.datetime | None = None
    ) -> CampaignOut:
        """Approve a campaign. Its creator may not, unless the creator is an owner."""
        actor.require(Permission.CAMPAIGNS_APPROVE)
        now = now or utcnow()
        with self.store.write() as session:
            row = _load(session, actor, campaign_id, for_update=True)
            if row.status not in ("draft", "awaiting_approval"):
                raise Conflict(
                    f"a {row.status} campaign cannot be approved", code="campaign_not_approvable"
                )
            own = row.created_by == actor.label
            if own and actor.role != Role.OWNER:
                raise PermissionDenied(
                    "a campaign's creator may not approve it (an owner may)",
                    details={"permission": Permission.CAMPAIGNS_APPROVE.value},
                    code="self_approval",
                )
            row.status, row.approved_by, row.approved_at = "approved", actor.label, now
            row.updated_at = now
            record(
                session,
                actor,
                "campaign.approve",
                "campaign",
                row.id,
                {**_detail(row), "self_approved": own},
            )
            return CampaignOut.of(row)

    # -- launching ------------------------------------------------------------------------------
    def launch(self, actor: Actor, campaign_id: str, *, now: dt.datetime | None = None) -> Launch:
        """Put the campaign's messages in the outbox; a marketing campaign above the approval
        threshold, not yet approved, goes to awaiting_approval instead."""
        actor.require(Permission.CAMPAIGNS_MANAGE)
        now = now or utcnow()
        row = self._row(actor, campaign_id)
        if row.purpose == "emergency":
            actor.require(Permission.CAMPAIGNS_EMERGENCY)
        if row.status in ("done", "cancelled", "paused", "awaiting_approval"):
            hint = {"paused": ": resume it", "awaiting_approval": ": it needs approval"}
            raise Conflict(
                f"a {row.status} campaign cannot be launched{hint.get(row.status, '')}",
                code="campaign_not_launchable",
            )
        template = self._template(actor, row)
        ids = audience_ids(self.store, self.segments, actor, row.audience_kind, row.audience, now)
        if row.status == "draft" and self._needs_approval(row, len(ids)):
            with self.store.write() as session:
                stored = _load(session, actor, campaign_id, for_update=True)
                _expect(stored, row.status)
                stored.status, stored.updated_at = "awaiting_approval", now
                record(
                    session,
                    actor,
                    "campaign.submit",
                    "campaign",
                    row.id,
                    {**_detail(stored), "audience": len(ids)},
                )
            return Launch(row.id, "awaiting_approval", 0, 0, True, {"audience": len(ids)})
        with self.store.write() as session:
            stored = _load(session, actor, campaign_id, for_update=True)
            _expect(stored, row.status)
            first = stored.status != "sending"
            stored.status = "sending"
            if first:
                stored.launched_by, stored.launched_at = actor.label, now
            action = (
                "campaign.emergency_launch" if row.purpose == "emergency" else "campaign.launch"
            )
            record(
                session,
                actor,
                action if first else "campaign.relaunch",
                "campaign",
                row.id,
                {**_detail(stored), "audience": len(ids)},
            )
        tally, added = Tally(), 0
        for chunk in self.planner.plan(actor, row, template, ids, now):
            with self.store.write() as session:
                status = session.scalar(select(Campaign.status).where(Campaign.id == row.id))
                if status == "cancelled":
                    break
                for planned in chunk:
                    count_into(tally, planned)
                    added += self._enqueue(session, actor, row, planned, now)
        with self.store.write() as session:
            stored = _load(session, actor, campaign_id, for_update=True)
            stored.queued = _outbox_count(session, actor.workspace_id, row.id)
            stored.preview = tally.as_dict(now, self.policy.rules.version)
            record(
                session,
                actor,
                "campaign.enqueue",
                "campaign",
                row.id,
                {"enqueued": added, "queued": stored.queued, "excluded": tally.excluded},
            )
            return Launch(row.id, stored.status, added, stored.queued, False, stored.preview)

    def _enqueue(
        self, session: Session, actor: Actor, row: Campaign, planned: Planned, now: dt.datetime
    ) -> int:
        if planned.message is None:
            return 0
        r = planned.recipient
        assert r.e164 is not None
        message_id = enqueue(
            session,
            self.keyring,
            actor.workspace_id,
            e164=r.e164,
            body=planned.message.text,
            channel=row.channel,
            purpose=row.purpose,
            kind="campaign",
            idempotency_key=campaign_key(row.id, r.contact_id),
            campaign_id=row.id,
            contact_id=r.contact_id,
            sender=planned.sender,
            not_before=planned.not_before,
            encoding=planned.message.count.encoding,
            segments=planned.message.count.segments,
            at=planned.not_before or now,
        )
        return 0 if message_id is None else 1

    # -- pause, resume, cancel ------------------------------------------------------------------
    def pause(
        self, actor: Actor, campaign_id: str, *, now: dt.datetime | None = None
    ) -> CampaignOut:
        return self._move(actor, campaign_id, ("sending",), "paused", "campaign.pause", now)

    def resume(
        self, actor: Actor, campaign_id: str, *, now: dt.datetime | None = None
    ) -> CampaignOut:
        return self._move(actor, campaign_id, ("paused",), "sending", "campaign.resume", now)

    def cancel(
        self, actor: Actor, campaign_id: str, *, now: dt.datetime | None = None
    ) -> CampaignOut:
        """Stop for good: queued messages become cancelled; sent ones stay as they are."""
        froms = ("draft", "awaiting_approval", "approved", "sending", "paused")
        return self._move(actor, campaign_id, froms, "cancelled", "campaign.cancel", now)

    def _move(
        self,
        actor: Actor,
        campaign_id: str,
        froms: tuple[str, ...],
        to: str,
        action: str,
        now: dt.datetime | None,
    ) -> CampaignOut:
        actor.require(Permission.CAMPAIGNS_MANAGE)
        now = now or utcnow()
        with self.store.write() as session:
            row = _load(session, actor, campaign_id, for_update=True)
            if row.purpose == "emergency":
                actor.require(Permission.CAMPAIGNS_EMERGENCY)
            if row.status not in froms:
                raise Conflict(
                    f"a {row.status} campaign cannot be {to}", code="campaign_wrong_status"
                )
            row.status, row.updated_at = to, now
            detail = _detail(row)
            if to == "cancelled":
                row.finished_at = now
                detail["cancelled_messages"] = _cancel_queued(session, actor.workspace_id, row.id)
            record(session, actor, action, "campaign", row.id, detail)
            return CampaignOut.of(row)

    def stats(
        self,
        actor: Actor,
        campaign_id: str,
        *,
        window: dt.timedelta = OPT_OUT_WINDOW,
        now: dt.datetime | None = None,
    ) -> Stats:
        return campaign_stats(self.store, self.settings, actor, campaign_id, window=window, now=now)

    def _row(self, actor: Actor, campaign_id: str) -> Campaign:
        with self.store.read() as session:
            row = _load(session, actor, campaign_id)
            session.expunge(row)
            return row


def _load(
    session: Session, actor: Actor, campaign_id: str, *, for_update: bool = False
) -> Campaign:
    query = select(Campaign).where(
        Campaign.id == campaign_id, Campaign.workspace_id == actor.workspace_id
    )
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.scalar(query)
    if row is None:
        raise NotFound(f"no campaign with id {campaign_id!r}", field="id")
    return row


def _expect(row: Campaign, status: str) -> None:
    if row.status != status:  # another launch or a cancel got there first
        raise Conflict(
            f"the campaign changed meanwhile (now {row.status}): try again",
            code="campaign_changed",
        )


def _detail(row: Campaign) -> dict[str, Any]:
    return {
        "status": row.status,
        "purpose": row.purpose,
        "audience_kind": row.audience_kind,
        "schedule": row.schedule_kind,
        "emergency": row.purpose == "emergency",
    }


def _outbox_count(session: Session, workspace_id: int, campaign_id: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.workspace_id == workspace_id, Message.campaign_id == campaign_id)
        )
        or 0
    )


def _cancel_queued(session: Session, workspace_id: int, campaign_id: str) -> int:
    result = session.execute(
        update(Message)
        .where(
            Message.workspace_id == workspace_id,
            Message.campaign_id == campaign_id,
            Message.status == "queued",
        )
        .values(status="cancelled", error_code="campaign_cancelled", error="campaign cancelled")
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
