"""One contact at a time: the conversation (every message in and out), a one-to-one follow-up
sent through the outbox under the same policy check as a campaign, and a call's outcome log.

- A follow-up is checked by the policy engine now; when it may not go now but may later (quiet
  hours, a frequency cap) it is queued for that instant only if the caller asks (``defer``).
  The dispatcher checks again right before sending.
- A call log records a call that already happened: an outbound ``voice`` message of kind
  ``call_log`` with status ``logged`` (its notes sealed like every body), and a note on the
  contact. No send check applies to the past, but the record keeps the call in the history.
- A conversation is the contact's messages, oldest first and newest last, bodies decrypted,
  numbers masked for roles without contacts.numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from phonelist.audit import record
from phonelist.campaigns.audience import template_values
from phonelist.campaigns.plan import content_rules
from phonelist.clock import utcnow
from phonelist.config import Settings
from phonelist.consent.messages import store_message
from phonelist.contacts.codec import mask_number
from phonelist.contacts.commands import AddNote
from phonelist.contacts.fields import load_fields
from phonelist.contacts.queries import load_contact, masks_numbers
from phonelist.contacts.service import ContactService
from phonelist.content.rules import finish
from phonelist.content.template import parse_template
from phonelist.dispatch.outbox import enqueue
from phonelist.errors import Conflict, ValidationError
from phonelist.ids import new_id
from phonelist.numbers import normalize
from phonelist.policy.service import PolicyService
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor, Permission
from phonelist.store import Store
from phonelist.store.consent_models import Message
from phonelist.store.models import Contact

__all__ = ["CALL_OUTCOMES", "ConversationService", "MessageOut", "PolicyBlocked", "Sent"]

CALL_OUTCOMES = (
    "answered",
    "no_answer",
    "voicemail",
    "busy",
    "callback_requested",
    "wrong_number",
    "other",
)
MAX_NOTES = 2_000
MAX_PAGE = 500


class PolicyBlocked(Conflict):
    """The policy engine does not allow this message now (details: reasons, next_allowed_at)."""

    code = "policy_blocked"


@dataclass(frozen=True, slots=True)
class MessageOut:
    id: str
    direction: str
    channel: str
    kind: str
    purpose: str | None
    status: str
    at: dt.datetime
    number: str  # masked for roles without contacts.numbers
    sender: str | None
    body: str | None
    subject: str | None  # a call's outcome
    campaign_id: str | None
    error_code: str | None
    sent_at: dt.datetime | None
    delivered_at: dt.datetime | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Sent:
    message_id: str
    status: str
    not_before: dt.datetime | None
    duplicate: bool  # the idempotency key was already used: nothing new was queued
    encoding: str
    segments: int
    text: str
    reasons: list[str]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ConversationService:
    def __init__(
        self,
        store: Store,
        keyring: Keyring,
        settings: Settings,
        policy: PolicyService,
        contacts: ContactService,
    ) -> None:
        self.store = store
        self.keyring = keyring
        self.settings = settings
        self.policy = policy
        self.contacts = contacts

    # -- reading --------------------------------------------------------------------------------
    def conversation(self, actor: Actor, contact_id: str, *, limit: int = 100) -> list[MessageOut]:
        """The contact's last ``limit`` messages, in and out, newest last."""
        actor.require(Permission.MESSAGES_READ)
        if not 1 <= limit <= MAX_PAGE:
            raise ValidationError(f"limit must be 1 to {MAX_PAGE}", field="limit")
        masked = masks_numbers(actor)
        with self.store.read() as session:
            contact = load_contact(session, actor, contact_id)
            indexes = [p.e164_index for p in contact.phones]
            mine = Message.contact_id == contact_id
            rows = session.scalars(
                select(Message)
                .where(
                    Message.workspace_id == actor.workspace_id,
                    or_(mine, Message.e164_index.in_(indexes)) if indexes else mine,
                )
                .order_by(Message.at.desc(), Message.id.desc())
                .limit(limit)
            ).all()
            return [self._out(m, masked) for m in reversed(rows)]

    def _out(self, m: Message, masked: bool) -> MessageOut:
        number = self.keyring.decrypt(m.e164_enc, table="messages", column="e164", row_id=m.id)
        body = None
        if m.body_enc is not None:
            body = self.keyring.decrypt(m.body_enc, table="messages", column="body", row_id=m.id)
        return MessageOut(
            id=m.id,
            direction=m.direction,
            channel=m.channel,
            kind=m.kind,
            purpose=m.purpose,
            status=m.status,
            at=m.at,
            number=mask_number(number)[0] if masked else number,
            sender=m.sender,
            body=body,
            subject=m.subject,
            campaign_id=m.campaign_id,
            error_code=m.error_code,
            sent_at=m.sent_at,
            delivered_at=m.delivered_at,
        )

    # -- a one-to-one message -------------------------------------------------------------------
    def send(
        self,
        actor: Actor,
        contact_id: str,
        body: str,
        *,
        purpose: str = "informational",
        sender: str | None = None,
        number: str | None = None,
        defer: bool = False,
        idempotency_key: str | None = None,
        now: dt.datetime | None = None,
    ) -> Sent:
        """Queue one SMS to the contact's primary number, if the policy allows it (or, with
        ``defer``, for when it will). ``body`` may hold placeholders like a campaign's."""
        actor.require(Permission.MESSAGES_SEND)
        if purpose == "emergency":
            actor.require(Permission.CAMPAIGNS_EMERGENCY)
        now = now or utcnow()
        if idempotency_key is not None and not 1 <= len(idempotency_key) <= 80:
            raise ValidationError("the idempotency key must be 1 to 80 characters", field="key")
        with self.store.read() as session:
            contact = load_contact(session, actor, contact_id)
            template = parse_template(body, frozenset(load_fields(session, actor.workspace_id)))
            e164 = self._number(contact, number)
            values = template_values(self.keyring, contact, template.fields)
        two_way = sender is None or sender not in self.settings.one_way_senders
        finished = finish(
            template.render(values), purpose=purpose, rules=content_rules(self.settings),
            two_way=two_way,
        )  # fmt: skip
        check = self.policy.check(actor, e164, "sms", purpose, now, sender=sender)
        decision = check.decision
        not_before = None
        if not decision.allowed:
            if not (defer and decision.next_allowed_at is not None):
                raise PolicyBlocked(
                    "the policy does not allow this message now"
                    + (" (defer it to send it when allowed)" if decision.next_allowed_at else ""),
                    details={
                        "reasons": [r.code for r in decision.blocking],
                        "next_allowed_at": decision.next_allowed_at.isoformat()
                        if decision.next_allowed_at
                        else None,
                    },
                )
            not_before = decision.next_allowed_at
        key = f"direct:{idempotency_key or new_id()}"
        with self.store.write() as session:
            message_id = enqueue(
                session,
                self.keyring,
                actor.workspace_id,
                e164=e164,
                body=finished.text,
                channel="sms",
                purpose=purpose,
                kind="direct",
                idempotency_key=key,
                contact_id=contact_id,
                sender=sender,
                not_before=not_before,
                encoding=finished.count.encoding,
                segments=finished.count.segments,
                at=not_before or now,
            )
            duplicate = message_id is None
            if message_id is None:
                message_id = _by_key(session, actor.workspace_id, key)
            else:
                record(
                    session,
                    actor,
                    "message.send",
                    "contact",
                    contact_id,
                    {"message": message_id, "purpose": purpose, "deferred": not_before is not None},
                )
        return Sent(
            message_id=message_id,
            status="queued",
            not_before=not_before,
            duplicate=duplicate,
            encoding=finished.count.encoding,
            segments=finished.count.segments,
            text=finished.text,
            reasons=[r.code for r in decision.blocking],
        )

    def _number(self, contact: Contact, wanted: str | None) -> str:
        numbers = {
            p.id: self.keyring.decrypt(
                p.e164_enc, table="phone_numbers", column="e164", row_id=p.id
            )
            for p in sorted(contact.phones, key=lambda p: (not p.is_primary, p.position))
        }
        if not numbers:
            raise ValidationError("the contact has no phone number", field="number")
        if wanted is None:
            return next(iter(numbers.values()))
        e164 = normalize(wanted, self.policy.default_region).e164
        if e164 not in numbers.values():
            raise ValidationError("that number is not one of the contact's", field="number")
        return e164

    # -- a call ---------------------------------------------------------------------------------
    def log_call(
        self,
        actor: Actor,
        contact_id: str,
        outcome: str,
        *,
        notes: str = "",
        number: str | None = None,
        purpose: str = "informational",
        at: dt.datetime | None = None,
        now: dt.datetime | None = None,
    ) -> MessageOut:
        """Record a call made to the contact, its outcome and the agent's notes."""
        actor.require(Permission.MESSAGES_SEND)
        now = now or utcnow()
        at = at or now
        if outcome not in CALL_OUTCOMES:
            raise ValidationError(
                f"outcome must be one of {', '.join(CALL_OUTCOMES)}", field="outcome"
            )
        if purpose not in ("marketing", "informational", "emergency"):
            raise ValidationError("purpose must be marketing, informational or emergency")
        if at.tzinfo is None or at > now + dt.timedelta(minutes=5):
            raise ValidationError("the call's time needs a zone and cannot be in the future")
        notes = notes.strip()
        if len(notes) > MAX_NOTES:
            raise ValidationError(f"notes: at most {MAX_NOTES} characters", field="notes")
        with self.store.write() as session:
            contact = load_contact(session, actor, contact_id)
            e164 = self._number(contact, number)
            message = store_message(
                session,
                self.keyring,
                actor.workspace_id,
                direction="out",
                e164=e164,
                body=notes,
                at=at.astimezone(dt.UTC),
                kind="call_log",
                status="logged",
                channel="voice",
                purpose=purpose,
                subject=outcome,
            )
            message.contact_id = contact_id
            message.sent_at = at.astimezone(dt.UTC)
            note = f"Call ({outcome.replace('_', ' ')})" + (f": {notes}" if notes else "")
            self.contacts.apply_in(session, actor, AddNote(contact_id, note))
            session.flush()
            record(
                session,
                actor,
                "call.log",
                "contact",
                contact_id,
                {"message": message.id, "outcome": outcome, "purpose": purpose},
            )
            return self._out(message, masks_numbers(actor))


def _by_key(session: Session, workspace_id: int, key: str) -> str:
    found = session.scalar(
        select(Message.id).where(
            Message.workspace_id == workspace_id, Message.idempotency_key == key
        )
    )
    assert found is not None
    return found
