"""The consent write path: every grant, revocation and double opt-in goes through ``apply``.

Each command is checked (C4 refusals, C7 evidence, method and purpose), appended to the ledger,
reflected in the derived state and audited, all in one transaction; replies it causes are
queued in that transaction and delivered after the commit (:mod:`phonelist.consent.messages`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from phonelist.audit import record as audit
from phonelist.clock import utcnow
from phonelist.config import Settings
from phonelist.consent.commands import (
    GRANT_METHODS,
    REVOKE_METHODS,
    WRITTEN_METHODS,
    Command,
    ConfirmOptIn,
    Grant,
    RequestOptIn,
    Revoke,
)
from phonelist.consent.ledger import Entry, Ledger, StateValue
from phonelist.consent.messages import Delivery, deliver, queue
from phonelist.consent.replies import Replies
from phonelist.dispatch.outbox import cancel_revoked
from phonelist.errors import NotFound, ValidationError
from phonelist.gateways import Gateway, Outbound
from phonelist.ids import new_id
from phonelist.numbers import normalize
from phonelist.policy.facts import SOFT_OPT_IN
from phonelist.policy.rules import RuleSet
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor, Permission
from phonelist.store import Store
from phonelist.store.consent_models import ConsentRequest, Disclosure
from phonelist.store.models import ConsentRecord, PhoneNumber

__all__ = ["ConsentService", "DisclosureOut", "Outcome"]

CONSENT_PURPOSES = ("marketing", "informational")
CHANNELS = ("sms", "voice")
FUTURE_SLACK = dt.timedelta(minutes=5)  # clocks differ; later than this is a typo


@dataclass(frozen=True, slots=True)
class DisclosureOut:
    id: str
    name: str
    version: int
    sha256: str
    language: str | None
    automated_marketing: bool
    not_condition_of_purchase: bool
    created_at: dt.datetime
    text: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a command did: the ledger records it appended, and any request it opened."""

    e164: str
    record_ids: tuple[str, ...]
    request_id: str | None = None


class ConsentService:
    def __init__(
        self, store: Store, keyring: Keyring, settings: Settings, gateway: Gateway, rules: RuleSet
    ) -> None:
        self.store = store
        self.keyring = keyring
        self.settings = settings
        self.gateway = gateway
        self.rules = rules
        self.ledger = Ledger(keyring)
        self.replies = Replies.from_settings(settings)
        # Set by the core: what a provider's refusal of one of our replies means (O7).
        self.on_provider_error: Callable[[Actor, str, str], object] | None = None

    # -- the write path -------------------------------------------------------------------------
    def apply(self, actor: Actor, command: Command, now: dt.datetime | None = None) -> Outcome:
        now = now or utcnow()
        with self.store.write() as session:
            outcome, outbox = self.apply_in(session, actor, command, now)
        self.send(actor, outbox)
        return outcome

    def send(self, actor: Actor, outbox: list[Delivery]) -> None:
        """Deliver replies queued by a committed change; provider opt-out errors suppress."""
        for e164, code in deliver(self.store, self.gateway, outbox, self.keyring):
            if self.on_provider_error is not None:
                self.on_provider_error(actor, e164, code)

    def apply_in(
        self, session: Session, actor: Actor, command: Command, now: dt.datetime
    ) -> tuple[Outcome, list[Delivery]]:
        """Apply ``command`` in the caller's transaction; returns replies to send after commit."""
        match command:
            case Grant():
                actor.require(Permission.CONSENT_GRANT)
                return self._grant(session, actor, command, now), []
            case Revoke():
                actor.require(Permission.CONSENT_REVOKE)
                return self._revoke(session, actor, command, now), []
            case RequestOptIn():
                actor.require(Permission.CONSENT_GRANT)
                return self._request(session, actor, command, now)
            case ConfirmOptIn():
                actor.require(Permission.CONSENT_GRANT)
                return self._confirm(session, actor, command, now)
        raise TypeError(f"not a consent command: {command!r}")  # pragma: no cover

    def e164(self, number: str) -> str:
        return normalize(number, self.settings.default_region).e164

    def _grant(self, session: Session, actor: Actor, cmd: Grant, now: dt.datetime) -> Outcome:
        e164 = self.e164(cmd.number)
        _check_pair(cmd.channel, cmd.purpose)
        _refuse_c4(cmd.checkbox_prechecked, cmd.condition_of_purchase)
        if cmd.method not in GRANT_METHODS:
            raise ValidationError(
                f"consent method must be one of {', '.join(GRANT_METHODS)}", field="method"
            )
        occurred = _occurred(cmd.occurred_at, now)
        evidence = dict(cmd.evidence)
        if cmd.method == SOFT_OPT_IN:
            self._check_soft_opt_in(cmd, evidence)
        expires = self.rules.implied_expiry(cmd.method, occurred)
        disclosure = self._disclosure(session, actor, cmd.disclosure)
        written = cmd.method in WRITTEN_METHODS and _attests(disclosure)
        entry = Entry(
            e164=e164,
            channel=cmd.channel,
            purpose=cmd.purpose,
            action="grant",
            method=cmd.method,
            occurred_at=occurred,
            sender=cmd.sender,
            affirmative_action=cmd.affirmative_action,
            written=written,
            language=cmd.language or (disclosure.language if disclosure else None),
            source_url=cmd.source_url,
            form_id=cmd.form_id,
            ip=cmd.ip,
            user_agent=cmd.user_agent,
            evidence_ref=cmd.evidence_ref,
            evidence=evidence,
            expires_at=expires,
            **_disclosure_fields(disclosure),
        )
        record = self.ledger.append(session, actor.workspace_id, actor.label, entry, now)
        audit(
            session,
            actor,
            "consent.grant",
            "consent_record",
            record.id,
            {
                "channel": cmd.channel,
                "purpose": cmd.purpose,
                "method": cmd.method,
                "written": written,
            },
        )
        return Outcome(e164, (record.id,))

    def _check_soft_opt_in(self, cmd: Grant, evidence: dict[str, object]) -> None:
        required = sorted(self.rules.consent_for("GB").soft_opt_in_evidence)
        missing = [name for name in required if evidence.get(name) is not True]
        if cmd.channel != "sms" or cmd.purpose != "marketing" or missing:
            raise ValidationError(
                "soft opt-in (C7) covers marketing sms only and needs these facts as evidence: "
                + ", ".join(f"{name}=true" for name in required),
                field="evidence",
                code="soft_opt_in_evidence",
                details={"missing": missing},
            )

    def _revoke(self, session: Session, actor: Actor, cmd: Revoke, now: dt.datetime) -> Outcome:
        e164 = self.e164(cmd.number)
        if cmd.method not in REVOKE_METHODS:
            raise ValidationError(
                f"opt-out method must be one of {', '.join(REVOKE_METHODS)}", field="method"
            )
        narrow = cmd.scope == "one" and self.settings.revocation_scope == "purpose"
        if narrow:
            _check_pair(cmd.channel or "", cmd.purpose or "")
        entry = Entry(
            e164=e164,
            channel=cmd.channel if narrow and cmd.channel else "*",
            purpose=cmd.purpose if narrow and cmd.purpose else "*",
            action="revoke",
            method=cmd.method,
            occurred_at=_occurred(cmd.occurred_at, now),
            affirmative_action=cmd.affirmative_action,
            evidence_ref=cmd.evidence_ref,
            scope="one" if narrow else "all",
        )
        record = self.ledger.append(session, actor.workspace_id, actor.label, entry, now)
        cancel_revoked(session, self.keyring, actor.workspace_id, entry)  # docs/dispatch.md
        audit(
            session,
            actor,
            "consent.revoke",
            "consent_record",
            record.id,
            {"method": cmd.method, "scope": entry.scope},
        )
        return Outcome(e164, (record.id,))

    def _request(
        self, session: Session, actor: Actor, cmd: RequestOptIn, now: dt.datetime
    ) -> tuple[Outcome, list[Delivery]]:
        e164 = self.e164(cmd.number)
        _refuse_c4(cmd.checkbox_prechecked, cmd.condition_of_purchase)
        for purpose in cmd.purposes:
            _check_pair(cmd.channel, purpose)
        if cmd.channel != "sms":
            raise ValidationError("double opt-in runs over sms", field="channel")
        disclosure = self._disclosure(session, actor, cmd.disclosure)
        request_id = new_id()
        evidence = {
            k: v
            for k, v in {
                "source_url": cmd.source_url,
                "form_id": cmd.form_id,
                "language": cmd.language,
            }.items()
            if v
        }
        body = self.replies.confirm_request(cmd.code)
        outbound = Outbound(e164, body, cmd.sender, "double_opt_in")
        delivery = queue(session, self.keyring, actor.workspace_id, outbound, now)
        session.add(
            ConsentRequest(
                id=request_id,
                workspace_id=actor.workspace_id,
                e164_index=self.keyring.blind_index("phone", e164),
                e164_enc=self.keyring.encrypt(
                    e164, table="consent_requests", column="e164", row_id=request_id
                ),
                channel=cmd.channel,
                purposes=list(cmd.purposes),
                sender=cmd.sender,
                disclosure_id=disclosure.id if disclosure else None,
                method=cmd.method,
                evidence=evidence,
                requested_at=now,
                expires_at=now + dt.timedelta(hours=self.settings.double_opt_in_hours),
                request_message_id=delivery.message_id,
                status="pending",
            )
        )
        ids = []
        for purpose in cmd.purposes:
            entry = Entry(
                e164=e164,
                channel=cmd.channel,
                purpose=purpose,
                action="request",
                method=cmd.method,
                occurred_at=now,
                sender=cmd.sender,
                affirmative_action="asked for messages; confirmation requested",
                language=cmd.language,
                source_url=cmd.source_url,
                form_id=cmd.form_id,
                ip=cmd.ip,
                user_agent=cmd.user_agent,
                evidence={"request_id": request_id, "request_message_id": delivery.message_id},
                **_disclosure_fields(disclosure),
            )
            ids.append(self.ledger.append(session, actor.workspace_id, actor.label, entry, now).id)
        audit(
            session,
            actor,
            "consent.request",
            "consent_request",
            request_id,
            {"purposes": list(cmd.purposes)},
        )
        return Outcome(e164, tuple(ids), request_id), [delivery]

    def _confirm(
        self, session: Session, actor: Actor, cmd: ConfirmOptIn, now: dt.datetime
    ) -> tuple[Outcome, list[Delivery]]:
        request = session.get(ConsentRequest, cmd.request_id)
        if request is None or request.workspace_id != actor.workspace_id:
            raise NotFound(f"no double opt-in request {cmd.request_id}")
        if request.status != "pending":
            raise ValidationError(f"the request is {request.status}", code="request_closed")
        if cmd.occurred_at > request.expires_at:
            request.status = "expired"
            raise ValidationError(
                "the confirmation came after the request's window closed (C3)",
                code="request_expired",
            )
        e164 = self.keyring.decrypt(
            request.e164_enc, table="consent_requests", column="e164", row_id=request.id
        )
        disclosure = (
            session.get(Disclosure, request.disclosure_id) if request.disclosure_id else None
        )
        ids = []
        for purpose in request.purposes:
            entry = Entry(
                e164=e164,
                channel=request.channel,
                purpose=purpose,
                action="grant",
                method="double_opt_in",
                occurred_at=cmd.occurred_at,
                sender=request.sender,
                affirmative_action=f"replied {cmd.reply_text!r} to the confirmation request",
                written=_attests(disclosure),
                evidence={
                    "request_id": request.id,
                    "request_message_id": request.request_message_id,
                    "requested_at": request.requested_at.isoformat(),
                    "reply_message_id": cmd.reply_message_id,
                    "replied_at": cmd.occurred_at.isoformat(),
                    "first_step": request.method,
                    **request.evidence,
                },
                **_disclosure_fields(disclosure),
            )
            ids.append(self.ledger.append(session, actor.workspace_id, actor.label, entry, now).id)
        request.status, request.confirmed_at = "confirmed", cmd.occurred_at
        request.reply_message_id = cmd.reply_message_id
        audit(session, actor, "consent.confirm", "consent_request", request.id, {})
        outbound = Outbound(e164, self.replies.opted_in(), request.sender, "opt_in_confirmation")
        return Outcome(e164, tuple(ids), request.id), [
            queue(session, self.keyring, actor.workspace_id, outbound, now)
        ]

    def pending_request(
        self, session: Session, workspace_id: int, e164: str, at: dt.datetime
    ) -> ConsentRequest | None:
        return session.scalars(
            select(ConsentRequest)
            .where(
                ConsentRequest.workspace_id == workspace_id,
                ConsentRequest.e164_index == self.keyring.blind_index("phone", e164),
                ConsentRequest.status == "pending",
                ConsentRequest.expires_at >= at,
            )
            .order_by(ConsentRequest.requested_at.desc())
            .limit(1)
        ).first()

    # -- disclosures ----------------------------------------------------------------------------
    def add_disclosure(
        self,
        actor: Actor,
        name: str,
        text: str,
        *,
        language: str | None = None,
        automated_marketing: bool = False,
        not_condition_of_purchase: bool = False,
    ) -> DisclosureOut:
        """Register a new version of the text shown when consent is asked (never changed)."""
        actor.require(Permission.CONSENT_MANAGE)
        name, text = name.strip(), text.strip()
        if not name or len(name) > 100:
            raise ValidationError("a disclosure needs a name of 1-100 characters", field="name")
        if not text or len(text) > 20_000:
            raise ValidationError("a disclosure needs a text of 1-20000 characters", field="text")
        with self.store.write() as session:
            last = session.scalar(
                select(func.max(Disclosure.version)).where(
                    Disclosure.workspace_id == actor.workspace_id, Disclosure.name == name
                )
            )
            row = Disclosure(
                id=new_id(),
                workspace_id=actor.workspace_id,
                name=name,
                version=(last or 0) + 1,
                text=text,
                sha256=hashlib.sha256(text.encode()).hexdigest(),
                language=language,
                automated_marketing=automated_marketing,
                not_condition_of_purchase=not_condition_of_purchase,
                created_at=utcnow(),
                created_by=actor.label,
            )
            session.add(row)
            audit(
                session,
                actor,
                "disclosure.add",
                "disclosure",
                row.id,
                {"name": name, "version": row.version},
            )
            return _disclosure_out(row)

    def disclosures(self, actor: Actor) -> list[DisclosureOut]:
        actor.require(Permission.CONSENT_READ)
        with self.store.read() as session:
            rows = session.scalars(
                select(Disclosure)
                .where(Disclosure.workspace_id == actor.workspace_id)
                .order_by(Disclosure.name, Disclosure.version)
            ).all()
            return [_disclosure_out(r) for r in rows]

    def _disclosure(self, session: Session, actor: Actor, ref: str | None) -> Disclosure | None:
        if not ref:
            return None
        row = session.get(Disclosure, ref)
        if row is None or row.workspace_id != actor.workspace_id:
            row = session.scalars(
                select(Disclosure)
                .where(Disclosure.workspace_id == actor.workspace_id, Disclosure.name == ref)
                .order_by(Disclosure.version.desc())
                .limit(1)
            ).first()
        if row is None:
            raise NotFound(f"no disclosure named or with id {ref!r}", field="disclosure")
        return row

    # -- the ledger -----------------------------------------------------------------------------
    def records(self, actor: Actor, number: str) -> Sequence[ConsentRecord]:
        actor.require(Permission.CONSENT_READ)
        with self.store.read() as session:
            return self.ledger.records_of(session, actor.workspace_id, self.e164(number))

    def of_phone(
        self, actor: Actor, phone_id: str
    ) -> tuple[dict[tuple[str, str], StateValue], Sequence[ConsentRecord]]:
        """The consent state and ledger records of one stored number, by its row id.

        For roles that see numbers masked (agents): they may read consent but never learn the
        number, so they name it by the contact's phone row instead. Records hold no number.
        """
        actor.require(Permission.CONSENT_READ)
        actor.require(Permission.CONTACTS_READ)
        with self.store.read() as session:
            index = session.scalar(
                select(PhoneNumber.e164_index).where(
                    PhoneNumber.workspace_id == actor.workspace_id, PhoneNumber.id == phone_id
                )
            )
            if index is None:
                raise NotFound(f"no number with id {phone_id!r}", field="phone")
            workspace = actor.workspace_id
            return (
                self.ledger.state_at(session, workspace, index),
                self.ledger.records_at(session, workspace, index),
            )


def _check_pair(channel: str, purpose: str) -> None:
    if channel not in CHANNELS:
        raise ValidationError(f"channel must be {' or '.join(CHANNELS)}", field="channel")
    if purpose not in CONSENT_PURPOSES:
        raise ValidationError(
            "purpose must be marketing or informational (emergency needs no consent)",
            field="purpose",
        )


def _refuse_c4(prechecked: bool, bundled: bool) -> None:
    if prechecked:
        raise ValidationError(
            "a pre-checked box is not consent (C4): the box must start unchecked",
            field="checkbox_prechecked",
            code="consent_prechecked",
        )
    if bundled:
        raise ValidationError(
            "consent made a condition of purchase is not consent (C4)",
            field="condition_of_purchase",
            code="consent_bundled",
        )


def _occurred(value: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    if value is None:
        return now
    if value.tzinfo is None:
        raise ValidationError("occurred_at needs a time zone (e.g. Z)", field="occurred_at")
    if value > now + FUTURE_SLACK:
        raise ValidationError("occurred_at is in the future", field="occurred_at")
    return value


def _attests(disclosure: Disclosure | None) -> bool:
    """C1: the text shown says automated marketing and not a condition of purchase."""
    return bool(
        disclosure and disclosure.automated_marketing and disclosure.not_condition_of_purchase
    )


class _DisclosureFields(TypedDict, total=False):
    disclosure_id: str | None
    disclosure_text: str | None
    disclosure_version: str | None
    disclosure_hash: str | None


def _disclosure_fields(disclosure: Disclosure | None) -> _DisclosureFields:
    if disclosure is None:
        return {}
    return {
        "disclosure_id": disclosure.id,
        "disclosure_text": disclosure.text,
        "disclosure_version": f"{disclosure.name}@{disclosure.version}",
        "disclosure_hash": disclosure.sha256,
    }


def _disclosure_out(row: Disclosure) -> DisclosureOut:
    return DisclosureOut(
        id=row.id,
        name=row.name,
        version=row.version,
        sha256=row.sha256,
        language=row.language,
        automated_marketing=row.automated_marketing,
        not_condition_of_purchase=row.not_condition_of_purchase,
        created_at=row.created_at,
        text=row.text,
    )
