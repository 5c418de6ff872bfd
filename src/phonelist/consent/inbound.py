"""Inbound messages: every reply is stored, classified and acted on, exactly as the webhook will.

The order is the promise of O4: the opt-out is committed before any reply leaves, and once it
is committed no later decision lets a send through. Replies (O5 confirmation, O6 HELP and
re-subscription, C3 confirmation) are queued in that same transaction and sent after it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from phonelist.audit import record as audit
from phonelist.clock import utcnow
from phonelist.consent.classify import (
    Classification,
    KeywordPack,
    Reply,
    classify_reply,
    normalize_reply,
)
from phonelist.consent.commands import ConfirmOptIn, Grant, Revoke
from phonelist.consent.ledger import StateValue, fact_of, fold
from phonelist.consent.messages import Delivery, queue, store_message
from phonelist.consent.service import ConsentService
from phonelist.contacts.commands import AddToLists
from phonelist.contacts.service import ContactService
from phonelist.errors import NotFound, ValidationError
from phonelist.gateways import Outbound
from phonelist.ids import new_id
from phonelist.policy.calendar import add_business_days
from phonelist.security.permissions import Actor, Permission
from phonelist.store.consent_models import Message, ReviewItem
from phonelist.store.models import PhoneNumber

__all__ = ["InboundResult", "InboundService", "ReviewOut"]

MAX_TEXT = 1600  # ten concatenated segments: longer is not an sms


@dataclass(frozen=True, slots=True)
class InboundResult:
    message_id: str
    e164: str
    classification: Classification
    actions: tuple[str, ...]  # revoked, review_opened, confirmed, resubscribed, granted, replied
    replies: tuple[str, ...]
    review_id: str | None = None
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "message_id": self.message_id,
            "number": self.e164,
            "kind": self.classification.kind.value,
            "keyword": self.classification.keyword,
            "rule": self.classification.rule,
            "reason": self.classification.reason,
            "actions": list(self.actions),
            "replies": list(self.replies),
            "review_id": self.review_id,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class ReviewOut:
    id: str
    message_id: str
    keyword: str | None
    received_at: dt.datetime
    due_at: dt.datetime
    policy: str
    status: str
    resolution: str | None


class InboundService:
    def __init__(
        self,
        consent: ConsentService,
        keywords: KeywordPack,
        contacts: ContactService | None = None,
    ) -> None:
        self.consent = consent
        self.contacts = contacts
        self.store = consent.store
        self.keyring = consent.keyring
        self.settings = consent.settings
        # A keyword program's word ("DEALS") is an opt-in word, or texting it would do nothing.
        self.programs = {
            normalize_reply(word): program
            for word, program in self.settings.keyword_programs.items()
            if normalize_reply(word)
        }
        if self.programs:
            keywords = keywords.merged(
                {"version": "keyword-programs", "opt_in": {"*": sorted(self.programs)}}
            )
        self.keywords = keywords

    def handle(
        self,
        actor: Actor,
        number: str,
        text: str,
        *,
        to: str | None = None,
        at: dt.datetime | None = None,
        language: str | None = None,
    ) -> InboundResult:
        """Process one inbound message from ``number``; returns what was done and said."""
        result = self.handle_once(actor, number, text, to=to, at=at, language=language)
        assert result is not None  # without a provider reference nothing is a repeat
        return result

    def handle_once(
        self,
        actor: Actor,
        number: str,
        text: str,
        *,
        provider_ref: str | None = None,
        to: str | None = None,
        at: dt.datetime | None = None,
        language: str | None = None,
    ) -> InboundResult | None:
        """:meth:`handle`, once per ``provider_ref`` (the provider's id of the message).

        A provider retrying a webhook sends the same message again; one already processed
        is not processed twice, and the answer is None.
        """
        actor.require(Permission.INBOUND_PROCESS)
        if len(text) > MAX_TEXT:
            raise ValidationError(f"message longer than {MAX_TEXT} characters", field="text")
        if to is not None and len(to) > 32:
            raise ValidationError("'to' is longer than 32 characters", field="to")
        at = at or utcnow()
        if at.tzinfo is None:
            raise ValidationError("the time needs a time zone (e.g. Z)", field="at")
        e164 = self.consent.e164(number)
        classification = classify_reply(text, language, self.keywords)
        with self.store.write() as session:
            if provider_ref is not None and self._seen(session, actor, provider_ref):
                return None
            message = store_message(
                session,
                self.keyring,
                actor.workspace_id,
                direction="in",
                e164=e164,
                body=text,
                at=at,
                kind=f"reply:{classification.kind.value}",
                status="received",
                sender=to,
            )
            message.provider_ref = provider_ref
            session.flush()
            result, outbox = self._act(session, actor, e164, message, classification, at, to)
            audit(
                session,
                actor,
                "inbound.process",
                "message",
                message.id,
                {"kind": classification.kind.value, "actions": list(result.actions)},
            )
        self.consent.send(actor, outbox)
        return result

    @staticmethod
    def _seen(session: Session, actor: Actor, provider_ref: str) -> bool:
        return (
            session.scalar(
                select(Message.id).where(
                    Message.workspace_id == actor.workspace_id,
                    Message.provider_ref == provider_ref,
                    Message.direction == "in",
                )
            )
            is not None
        )

    def _act(
        self,
        session: Session,
        actor: Actor,
        e164: str,
        message: Message,
        found: Classification,
        at: dt.datetime,
        to: str | None,
    ) -> tuple[InboundResult, list[Delivery]]:
        actions: list[str] = []
        outbox: list[Delivery] = []
        review_id, note = None, ""
        replies = self.consent.replies
        keyword = found.keyword or ""

        def reply(body: str, kind: str) -> None:
            outbox.append(
                queue(session, self.keyring, actor.workspace_id, Outbound(e164, body, to, kind), at)
            )
            actions.append("replied")

        if found.kind is Reply.REVIEW:
            review_id = new_id()
            policy = self.settings.review_policy
            session.add(
                ReviewItem(
                    id=review_id,
                    workspace_id=actor.workspace_id,
                    message_id=message.id,
                    e164_index=message.e164_index,
                    keyword=keyword[:64] or None,
                    received_at=at,
                    due_at=add_business_days(
                        at,
                        self.consent.rules.review_business_days,
                        self.consent.rules.federal_holidays,
                    ),
                    policy=policy,
                    status="open",
                )
            )
            actions.append("review_opened")
            if policy == "opt_out":
                note = "ambiguous reply: treated as an opt-out by the default policy (O2)"
            else:
                note = "ambiguous reply: held for review; consent unchanged until resolved (O2)"
        if found.kind is Reply.OPT_OUT or (
            found.kind is Reply.REVIEW and self.settings.review_policy == "opt_out"
        ):
            method = "keyword" if found.kind is Reply.OPT_OUT else "review_default"
            self.consent.apply_in(
                session,
                actor,
                Revoke(
                    e164,
                    method=method,
                    occurred_at=at,
                    evidence_ref=f"message:{message.id}",
                    affirmative_action=f"replied with the opt-out {keyword!r} ({found.rule})",
                ),
                at,
            )
            actions.append("revoked")
            if self._confirmed_recently(session, actor.workspace_id, message.e164_index, at):
                note = (
                    note + "; " if note else ""
                ) + "no second confirmation inside the window (O5)"
            else:
                reply(replies.opted_out(), "opt_out_confirmation")
        elif found.kind is Reply.HELP:
            reply(replies.help(), "help")
        elif found.kind in (Reply.OPT_IN, Reply.CONFIRM):
            pending = self.consent.pending_request(session, actor.workspace_id, e164, at)
            if pending is not None:
                _, sent = self.consent.apply_in(
                    session, actor, ConfirmOptIn(pending.id, message.id, at, keyword), at
                )
                outbox.extend(sent)
                actions.extend(["confirmed", "replied"])
            elif found.kind is Reply.OPT_IN:
                granted = self._opt_in(session, actor, e164, message, keyword, at)
                if granted == "already":
                    reply(replies.opted_in(), "opt_in_confirmation")  # nothing to restore
                elif granted:
                    actions.append(granted)
                    reply(replies.opted_in(), "opt_in_confirmation")
                else:
                    reply(replies.not_subscribed(), "help")
        return InboundResult(
            message.id,
            e164,
            found,
            tuple(actions),
            tuple(d.outbound.body for d in outbox),
            review_id,
            note,
        ), outbox

    def _opt_in(
        self,
        session: Session,
        actor: Actor,
        e164: str,
        message: Message,
        keyword: str,
        at: dt.datetime,
    ) -> str | None:
        """START after an opt-out restores what it ended; a program keyword grants its purposes."""
        program = self.programs.get(normalize_reply(keyword))
        evidence = {"message_id": message.id}
        if program is not None:
            for purpose in program.get("purposes", ["marketing"]):
                self.consent.apply_in(
                    session,
                    actor,
                    Grant(
                        e164,
                        "sms",
                        str(purpose),
                        "keyword",
                        occurred_at=at,
                        disclosure=program.get("disclosure"),
                        affirmative_action=f"texted the keyword {keyword!r}",
                        evidence_ref=f"message:{message.id}",
                        evidence={**evidence, "program": str(program.get("list") or keyword)},
                    ),
                    at,
                )
            self._join_list(session, actor, e164, program.get("list"))
            return "granted"
        records = self.consent.ledger.records_of(session, actor.workspace_id, e164)
        # What the newest revocation ended: the state just before the last revoke that found
        # something granted (a second STOP in a row ends nothing more).
        state: dict[tuple[str, str], StateValue] = {}
        before: dict[tuple[str, str], StateValue] = {}
        for record in records:
            if record.action == "revoke" and any(v.status == "granted" for v in state.values()):
                before = dict(state)
            state = fold([fact_of(record)], state)
        if any(v.status == "granted" for v in state.values()):
            return "already"  # nothing is revoked: START has nothing to restore
        by_id = {r.id: r for r in records}
        restored = 0
        for (channel, purpose), value in sorted(before.items()):
            if value.status != "granted":
                continue
            previous = by_id[value.record_id]
            self.consent.apply_in(
                session,
                actor,
                Grant(
                    e164,
                    channel,
                    purpose,
                    "keyword",
                    occurred_at=at,
                    disclosure=previous.disclosure_id,
                    sender=previous.sender,
                    affirmative_action=f"replied {keyword!r} to re-subscribe",
                    evidence_ref=f"message:{message.id}",
                    evidence={**evidence, "restores_record": previous.id},
                ),
                at,
            )
            restored += 1
        return "resubscribed" if restored else None

    def _join_list(self, session: Session, actor: Actor, e164: str, name: object) -> None:
        """A program's list gains the contact that holds the number, when there is one."""
        if self.contacts is None or not isinstance(name, str) or not name:
            return
        contact_id = session.scalar(
            select(PhoneNumber.contact_id).where(
                PhoneNumber.workspace_id == actor.workspace_id,
                PhoneNumber.e164_index == self.keyring.blind_index("phone", e164),
            )
        )
        if contact_id is not None:
            self.contacts.apply_in(session, actor, AddToLists(contact_id, (name,)))

    def _confirmed_recently(
        self, session: Session, workspace_id: int, index: bytes, at: dt.datetime
    ) -> bool:
        since = at - dt.timedelta(hours=self.settings.optout_confirmation_window_hours)
        return (
            session.scalars(
                select(Message.id)
                .where(
                    Message.workspace_id == workspace_id,
                    Message.e164_index == index,
                    Message.kind == "opt_out_confirmation",
                    Message.status != "failed",  # one that never left is not a confirmation
                    Message.at > since,
                    Message.at <= at,
                )
                .limit(1)
            ).first()
            is not None
        )

    # -- the review queue -----------------------------------------------------------------------
    def reviews(self, actor: Actor, *, status: str = "open") -> list[ReviewOut]:
        actor.require(Permission.CONSENT_MANAGE)
        with self.store.read() as session:
            rows = session.scalars(
                select(ReviewItem)
                .where(ReviewItem.workspace_id == actor.workspace_id, ReviewItem.status == status)
                .order_by(ReviewItem.due_at)
            ).all()
            return [_review_out(r) for r in rows]

    def resolve(self, actor: Actor, review_id: str, resolution: str) -> ReviewOut:
        """Close a review. An opt-out already applied stays: only a new opt-in undoes it."""
        actor.require(Permission.CONSENT_MANAGE)
        if resolution not in ("opt_out", "not_opt_out"):
            raise ValidationError("resolution is opt_out or not_opt_out", field="resolution")
        now = utcnow()
        with self.store.write() as session:
            item = session.get(ReviewItem, review_id)
            if item is None or item.workspace_id != actor.workspace_id:
                raise NotFound(f"no review item {review_id}")
            if item.status == "open":
                if resolution == "opt_out" and item.policy == "hold":
                    self._revoke_held(session, actor, item, now, "reviewed reply judged an opt-out")
                self._close(session, actor, item, resolution, now)
            return _review_out(item)

    def apply_overdue(self, actor: Actor, now: dt.datetime | None = None) -> list[ReviewOut]:
        """O4: held replies nobody resolved by their deadline are treated as opt-outs.

        Run it daily (``phonelist consent review overdue``); the default policy revokes at
        once, so only ``review_policy = "hold"`` leaves anything for it to do.
        """
        actor.require(Permission.CONSENT_MANAGE)
        now = now or utcnow()
        with self.store.write() as session:
            items = session.scalars(
                select(ReviewItem).where(
                    ReviewItem.workspace_id == actor.workspace_id,
                    ReviewItem.status == "open",
                    ReviewItem.policy == "hold",
                    ReviewItem.due_at <= now,
                )
            ).all()
            for item in items:
                self._revoke_held(session, actor, item, now, "unreviewed by its O4 deadline")
                self._close(session, actor, item, "opt_out", now)
            return [_review_out(item) for item in items]

    def _revoke_held(
        self, session: Session, actor: Actor, item: ReviewItem, now: dt.datetime, why: str
    ) -> None:
        message = session.get(Message, item.message_id)
        assert message is not None
        e164 = self.keyring.decrypt(
            message.e164_enc, table="messages", column="e164", row_id=message.id
        )
        revoke = Revoke(
            e164,
            method="agent",
            occurred_at=now,
            evidence_ref=f"message:{message.id}",
            affirmative_action=why,
        )
        self.consent.apply_in(session, actor, revoke, now)

    def _close(
        self, session: Session, actor: Actor, item: ReviewItem, resolution: str, now: dt.datetime
    ) -> None:
        item.status, item.resolution = "resolved", resolution
        item.resolved_at, item.resolved_by = now, actor.label
        audit(session, actor, "review.resolve", "review_item", item.id, {"resolution": resolution})


def _review_out(item: ReviewItem) -> ReviewOut:
    return ReviewOut(
        id=item.id,
        message_id=item.message_id,
        keyword=item.keyword,
        received_at=item.received_at,
        due_at=item.due_at,
        policy=item.policy,
        status=item.status,
        resolution=item.resolution,
    )
