"""A campaign's plan: for every contact of its audience, send (when), defer (until when) or
exclude (why), and the message it would get. Preview counts the plan; launch enqueues it.

Policy decisions come from the engine's bulk path, at each recipient's own instant: "now", the
campaign's UTC instant, or the local wall time in the recipient's zone (recipients that share
an instant are decided together).
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from phonelist.campaigns.audience import Recipient, chunks, load_recipients
from phonelist.campaigns.preview import (
    Tally,
    decision_category,
    number_category,
    price_of,
    recipient_instant,
    wall_time,
)
from phonelist.campaigns.schemas import Rendered
from phonelist.config import Settings
from phonelist.contacts.codec import mask_number
from phonelist.content.rules import ContentRules, Finished, finish
from phonelist.content.template import Template
from phonelist.policy.facts import Decision
from phonelist.policy.service import PolicyService
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor
from phonelist.store import Store
from phonelist.store.campaign_models import Campaign

__all__ = [
    "Planned",
    "Planner",
    "content_rules",
    "count_into",
    "outcome_of",
    "pick_sender",
    "rendered",
]


@dataclass(frozen=True, slots=True)
class Planned:
    recipient: Recipient
    category: str | None  # None: send
    not_before: dt.datetime | None  # None with "now": at once
    decision: Decision | None
    sender: str | None
    message: Finished | None  # for sends and deferrals
    missing: tuple[str, ...]
    cost: float


def content_rules(settings: Settings) -> ContentRules:
    return ContentRules(
        brand=settings.program_name,
        footer=settings.message_footer,
        opt_out_route=settings.opt_out_route,
    )


def pick_sender(senders: list[str], contact_id: str) -> str | None:
    """One of the campaign's senders, the same for a contact on every run (None: default)."""
    if not senders:
        return None
    return senders[zlib.crc32(contact_id.encode()) % len(senders)]


@dataclass(frozen=True, slots=True)
class Planner:
    store: Store
    keyring: Keyring
    policy: PolicyService
    settings: Settings

    def plan(
        self,
        actor: Actor,
        campaign: Campaign,
        template: Template,
        ids: list[str],
        now: dt.datetime,
    ) -> Iterator[list[Planned]]:
        """The plan, a chunk of contacts at a time (each chunk's facts read as committed then)."""
        for chunk in chunks(ids):
            with self.store.read() as session:
                recipients = load_recipients(
                    session, self.keyring, actor.workspace_id, chunk, template.fields
                )
            yield self._chunk(actor, campaign, template, recipients, now)

    def _chunk(
        self,
        actor: Actor,
        campaign: Campaign,
        template: Template,
        recipients: list[Recipient],
        now: dt.datetime,
    ) -> list[Planned]:
        instants: dict[str, dt.datetime | None] = {}
        early: dict[str, str] = {}
        for r in recipients:
            category = "no_number" if r.e164 is None else None
            category = category or number_category(
                campaign.channel, r.validity, r.number_type, r.line_type
            )
            when = self.instant_of(campaign, r, now)
            if category is None and when is None:
                category = "no_time_zone"
            if category is not None:
                early[r.contact_id] = category
            instants[r.contact_id] = when
        groups: dict[dt.datetime, list[str]] = {}
        for contact_id, when in instants.items():
            if contact_id not in early and when is not None:
                groups.setdefault(when, []).append(contact_id)
        decisions: dict[str, Decision] = {}
        for when, group in groups.items():
            decisions.update(
                self.policy.decide_audience(
                    actor,
                    campaign.channel,
                    campaign.purpose,
                    when,
                    contact_ids=group,
                    chunk_size=len(group),
                )
            )
        planned = []
        for r in recipients:
            decision = decisions.get(r.contact_id)
            category = early.get(r.contact_id)
            not_before: dt.datetime | None = None
            if category is None:
                if decision is None:  # no row in policy_facts: no primary number
                    category = "no_number"
                else:
                    category = decision_category(decision)
                    when = instants[r.contact_id]
                    if category is None:
                        not_before = None if campaign.schedule_kind == "now" else when
                    else:
                        not_before = decision.next_allowed_at
            planned.append(self._message(campaign, template, r, category, not_before, decision))
        return planned

    def instant_of(
        self, campaign: Campaign, recipient: Recipient, now: dt.datetime
    ) -> dt.datetime | None:
        """The instant the campaign means for ``recipient`` (None: the zone is unknown)."""
        if campaign.schedule_kind == "utc" and campaign.send_at is not None:
            return max(campaign.send_at, now)
        if campaign.schedule_kind == "local":
            assert campaign.local_date is not None and campaign.local_time is not None
            when = recipient_instant(
                campaign.local_date,
                wall_time(campaign.local_time),
                recipient.contact_zone,
                recipient.number_zones,
            )
            return None if when is None else max(when, now)
        return now

    def _message(
        self,
        campaign: Campaign,
        template: Template,
        r: Recipient,
        category: str | None,
        not_before: dt.datetime | None,
        decision: Decision | None,
    ) -> Planned:
        goes = category is None or not_before is not None
        sender = pick_sender(list(campaign.senders or []), r.contact_id)
        if not goes:
            return Planned(r, category, None, decision, sender, None, (), 0.0)
        finished = self.render(campaign.purpose, template, r.values, sender)
        cost = price_of(self.settings.sms_price_per_segment, r.region, finished.count.segments)
        return Planned(
            r, category, not_before, decision, sender, finished, template.missing(r.values), cost
        )

    def render(
        self,
        purpose: str,
        template: Template,
        values: dict[str, str | None],
        sender: str | None,
    ) -> Finished:
        two_way = sender is None or sender not in self.settings.one_way_senders
        return finish(
            template.render(values),
            purpose=purpose,
            rules=content_rules(self.settings),
            two_way=two_way,
        )


def count_into(tally: Tally, planned: Planned) -> None:
    codes = [r.code for r in planned.decision.blocking] if planned.decision else []
    tally.count(planned.category, planned.not_before, codes)
    if planned.message is not None:
        tally.message(
            planned.message.count.encoding,
            planned.message.count.segments,
            planned.cost,
            planned.missing,
            planned.message.added,
        )


def outcome_of(planned: Planned) -> str:
    if planned.category is None:
        return "send"
    return "deferred" if planned.message is not None else "excluded"


def rendered(planned: Planned, masked: bool) -> Rendered:
    r = planned.recipient
    to = r.e164 or ""
    if to and masked:
        to = mask_number(to)[0]
    message = planned.message
    decision = planned.decision
    return Rendered(
        contact_id=r.contact_id,
        to=to,
        text=message.text if message else "",
        encoding=message.count.encoding if message else "",
        segments=message.count.segments if message else 0,
        characters=message.count.characters if message else 0,
        added=list(message.added) if message else [],
        missing=list(planned.missing),
        cost=planned.cost,
        outcome=outcome_of(planned),
        category=planned.category,
        not_before=planned.not_before,
        reasons=[
            {"rule": x.rule, "code": x.code, "message": x.message, "blocks": x.blocks}
            for x in (decision.reasons if decision else ())
        ],
    )
