"""The access and portability export (COMPLIANCE.md P1, GDPR Art. 15 and 20).

:meth:`PrivacyService.export` gathers, in one read transaction, everything phonelist holds
about the person behind a number or a contact: the contact record with every sealed value
opened (sensitive custom fields too: the export is for the person themself), every consent
ledger record of each of their numbers with its evidence (IP address and user agent included),
the consent state, suppressions, registry membership, double opt-in requests, review items,
the messages in and out, and the ids of the audit events about them. Building an export opens
personal data, so it writes one audit event, ``privacy.export``, whose subject is the contact id
or, when no contact owns the number, the number's blind index: never the number itself.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from phonelist.audit import record as audit
from phonelist.clock import utcnow
from phonelist.consent.evidence import (
    UNREADABLE,
    disclosure_dict,
    record_dict,
    state_dict,
    suppression_dict,
)
from phonelist.consent.service import ConsentService
from phonelist.contacts.codec import phone_index, to_out
from phonelist.contacts.queries import load_options
from phonelist.errors import NotFound, PhonelistError
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor, Permission
from phonelist.store import Store
from phonelist.store.consent_models import (
    ConsentRequest,
    Disclosure,
    Message,
    RegistryImport,
    RegistryNumber,
    ReviewItem,
)
from phonelist.store.models import (
    AuditEvent,
    ConsentRecord,
    Contact,
    LineLookup,
    PhoneNumber,
    Suppression,
)

__all__ = ["EXPORT_FORMAT", "SECTIONS", "PrivacyService"]

EXPORT_FORMAT = "phonelist-privacy-export/1"
_CONTACT_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")

# What each section holds, in plain words: the JSON carries them and the HTML page shows them.
SECTIONS: dict[str, str] = {
    "contacts": (
        "The contact record kept about you: your names, phone numbers (with what phonelist "
        "worked out about each number, such as its type, country and time zones), email "
        "addresses, address, status, tags, lists, custom fields and notes written about you, "
        "with the times the record was created and last changed."
    ),
    "consent_records": (
        "Every time your permission to be contacted was given or withdrawn, as recorded: how, "
        "when, the text you were shown, and the evidence kept (such as the web address of the "
        "form, your IP address and browser). Records are never edited; a change is a new record."
    ),
    "consent_state": (
        "What your permission is now, for each channel (text message, voice call) and purpose "
        "(marketing, informational). 'unknown' means no record exists, and we may not send "
        "you marketing."
    ),
    "disclosures": "The full wording of the consent texts the records above refer to.",
    "suppressions": (
        "Do-not-contact entries for your number: why and when each was added, and whether and "
        "why it was lifted. They stop us contacting you."
    ),
    "registries": (
        "National do-not-call lists (the US National Do Not Call Registry, the Portuguese "
        "opt-out list) on which your number appears, as last imported."
    ),
    "opt_in_requests": (
        "Confirmation requests (double opt-in) sent to your number and whether you confirmed."
    ),
    "review_items": (
        "Replies from you that might have meant 'stop' and were queued for a person to check."
    ),
    "messages": "The text messages we sent to you and received from you, with times and status.",
    "line_checks": (
        "Checks of your number made with a phone network lookup service: line type, carrier, "
        "and whether the number was reassigned."
    ),
    "audit_events": (
        "The log entries about your record: who did what to it and when. They hold ids only, "
        "no personal data."
    ),
}


class PrivacyService:
    def __init__(self, store: Store, keyring: Keyring, consent: ConsentService) -> None:
        self.store = store
        self.keyring = keyring
        self.consent = consent

    def export(
        self,
        actor: Actor,
        subject: str,
        *,
        kind: Literal["contact", "number"] | None = None,
        now: dt.datetime | None = None,
    ) -> dict[str, Any]:
        """Everything held about ``subject``: a contact id, or a phone number as typed.

        ``kind`` says which it is; by default a contact id is told by its shape. A number that
        no contact owns still exports its consent records, suppressions and messages; a number
        or contact phonelist holds nothing about is :class:`NotFound`.
        """
        from phonelist import __version__  # the package imports the core, which imports us

        actor.require(Permission.PRIVACY_MANAGE)
        now = now or utcnow()
        subject = subject.strip()
        workspace = actor.workspace_id
        with self.store.read() as session:
            contact_rows, numbers = self._subject(session, workspace, subject, kind)
            contacts = [self._contact(c) for c in contact_rows]
            per_number = [self._number(session, workspace, e164) for e164 in numbers]
            if not contact_rows and not any(_holds_anything(n) for n in per_number):
                raise NotFound("phonelist holds nothing about this number", field="number")
            indexes = [phone_index(self.keyring, e164).hex() for e164 in numbers]
            suppression_ids = [s["id"] for n in per_number for s in n["suppressions"]]
            events = self._events(
                session, workspace, [c.id for c in contact_rows], suppression_ids, indexes
            )
        if contact_rows:
            subject_type, subject_id = "contact", contact_rows[0].id
        else:
            subject_type, subject_id = "number", indexes[0]
        export: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "exported_at": _iso(now),
            "exported_by": actor.label,
            "phonelist_version": __version__,
            "subject": {"type": subject_type, "id": subject_id},
            "sections": dict(SECTIONS),
            "contacts": contacts,
            "numbers": per_number,
            "audit_events": events,
        }
        with self.store.write() as session:
            audit(
                session,
                actor,
                "privacy.export",
                subject_type,
                subject_id,
                {
                    "contacts": len(contacts),
                    "numbers": len(per_number),
                    "consent_records": sum(len(n["consent_records"]) for n in per_number),
                    "messages": sum(len(n["messages"]) for n in per_number),
                },
            )
        return export

    def resolve(
        self,
        session: Session,
        workspace: int,
        subject: str,
        kind: Literal["contact", "number"] | None = None,
    ) -> tuple[list[Contact], list[str]]:
        """The contact a subject names (if any) and the numbers a request about it covers."""
        return self._subject(session, workspace, subject, kind)

    # -- the parts ------------------------------------------------------------------------------
    def _subject(
        self, session: Session, workspace: int, subject: str, kind: str | None
    ) -> tuple[list[Contact], list[str]]:
        """The contacts the subject names and every number to export (the contacts' own)."""
        is_id = _CONTACT_ID.fullmatch(subject) is not None
        if kind == "contact" or (kind is None and is_id):
            contact = self._load(session, workspace, Contact.id == subject) if is_id else None
            if contact is None:  # echo only an id: a number typed here stays out of answers
                shown = repr(subject) if is_id else "like that"
                raise NotFound(f"no contact with id {shown}", field="contact")
            return [contact], self._numbers_of(contact)
        e164 = self.consent.e164(subject)  # ValidationError when it is not a number
        owner = self._load(
            session,
            workspace,
            Contact.id.in_(
                select(PhoneNumber.contact_id).where(
                    PhoneNumber.workspace_id == workspace,
                    PhoneNumber.e164_index == phone_index(self.keyring, e164),
                )
            ),
        )
        if owner is None:
            return [], [e164]
        return [owner], self._numbers_of(owner)

    def _load(self, session: Session, workspace: int, where: Any) -> Contact | None:
        return session.scalar(
            select(Contact).where(Contact.workspace_id == workspace, where).options(*load_options())
        )

    def _numbers_of(self, contact: Contact) -> list[str]:
        return [
            self.keyring.decrypt(p.e164_enc, table="phone_numbers", column="e164", row_id=p.id)
            for p in contact.phones
        ]

    def _contact(self, contact: Contact) -> dict[str, Any]:
        out = to_out(self.keyring, contact)  # every sealed value opened, numbers unmasked
        facts = {p.id: p for p in contact.phones}
        fields = {v.field.name: v.field for v in contact.custom_values}
        added = {link.contact_list.name: link.added_at for link in contact.list_links}
        return {
            "id": out.id,
            "display_name": out.display_name,
            "first_name": out.first_name,
            "last_name": out.last_name,
            "phones": [
                {
                    **phone.model_dump(),
                    "country_code": facts[phone.id].country_code,
                    "area_code": facts[phone.id].area_code,
                    "analyzed_at": _iso(facts[phone.id].analyzed_at),
                }
                for phone in out.phones
            ],
            "emails": [email.model_dump() for email in out.emails],
            "address": {
                "country": out.country,
                "region": out.region,
                "city": out.city,
                "postal_code": out.postal_code,
                "time_zone": out.time_zone,
            },
            "status": out.status,
            "source": out.source,
            "tags": out.tags,
            "lists": [{"name": name, "added_at": _iso(added[name])} for name in out.lists],
            "custom_fields": [
                {
                    "name": name,
                    "type": fields[name].type,
                    "sensitive": fields[name].sensitive,
                    "value": _plain(value),
                }
                for name, value in sorted(out.custom.items())
            ],
            "notes": [
                {
                    "id": note.id,
                    "body": note.body,
                    "author": note.author,
                    "created_at": _iso(note.created_at),
                }
                for note in out.notes
            ],
            "legal_person": bool(contact.legal_person),
            "last_contacted_at": _iso(contact.last_contacted_at),
            "last_purchase_at": _iso(contact.last_purchase_at),
            "last_inquiry_at": _iso(contact.last_inquiry_at),
            "created_at": _iso(out.created_at),
            "updated_at": _iso(out.updated_at),
        }

    def _number(self, session: Session, workspace: int, e164: str) -> dict[str, Any]:
        index = phone_index(self.keyring, e164)
        ledger = self.consent.ledger
        records = ledger.records_of(session, workspace, e164)
        items = []
        for row in records:
            try:
                _, ip, agent = ledger._plaintexts(row)
            except PhonelistError:  # a damaged record is still shown ('consent verify' names it)
                ip = agent = UNREADABLE
            items.append(record_dict(row, ip=ip, user_agent=agent))
        return {
            "number": e164,
            "consent_state": state_dict(ledger.state_of(session, workspace, e164)),
            "consent_records": items,
            "disclosures": self._disclosures(session, workspace, records),
            "suppressions": [
                _suppression(row)
                for row in session.scalars(
                    select(Suppression)
                    .where(Suppression.workspace_id == workspace, Suppression.e164_index == index)
                    .order_by(Suppression.created_at, Suppression.id)
                )
            ],
            "registries": self._registries(session, workspace, index),
            "opt_in_requests": [
                _request(row)
                for row in session.scalars(
                    select(ConsentRequest)
                    .where(
                        ConsentRequest.workspace_id == workspace,
                        ConsentRequest.e164_index == index,
                    )
                    .order_by(ConsentRequest.requested_at, ConsentRequest.id)
                )
            ],
            "review_items": [
                _review(row)
                for row in session.scalars(
                    select(ReviewItem)
                    .where(ReviewItem.workspace_id == workspace, ReviewItem.e164_index == index)
                    .order_by(ReviewItem.received_at, ReviewItem.id)
                )
            ],
            "messages": [
                self._message(row)
                for row in session.scalars(
                    select(Message)
                    .where(Message.workspace_id == workspace, Message.e164_index == index)
                    .order_by(Message.at, Message.id)
                )
            ],
            "line_checks": [
                _line_check(row)
                for row in session.scalars(
                    select(LineLookup).where(
                        LineLookup.workspace_id == workspace, LineLookup.e164_index == index
                    )
                )
            ],
        }

    def _disclosures(
        self, session: Session, workspace: int, records: Sequence[ConsentRecord]
    ) -> list[dict[str, Any]]:
        ids = sorted({r.disclosure_id for r in records if r.disclosure_id})
        if not ids:
            return []
        rows = session.scalars(
            select(Disclosure)
            .where(Disclosure.workspace_id == workspace, Disclosure.id.in_(ids))
            .order_by(Disclosure.name, Disclosure.version)
        )
        return [_pick(disclosure_dict(row), _DISCLOSURE_KEYS) for row in rows]

    def _registries(self, session: Session, workspace: int, index: bytes) -> list[dict[str, Any]]:
        listed = session.scalars(
            select(RegistryNumber)
            .where(RegistryNumber.workspace_id == workspace, RegistryNumber.e164_index == index)
            .order_by(RegistryNumber.registry_name)
        ).all()
        out = []
        for row in listed:
            newest = session.scalar(
                select(func.max(RegistryImport.registry_date)).where(
                    RegistryImport.workspace_id == workspace,
                    RegistryImport.registry_name == row.registry_name,
                    RegistryImport.area_code == row.area_code,
                )
            )
            out.append(
                {
                    "registry": row.registry_name,
                    "area_code": row.area_code,
                    "registry_date": newest.isoformat() if newest else None,
                }
            )
        return out

    def _message(self, row: Message) -> dict[str, Any]:
        body: str | None = None
        if row.body_enc is not None:
            try:
                body = self.keyring.decrypt(
                    row.body_enc, table="messages", column="body", row_id=row.id
                )
            except PhonelistError:
                body = UNREADABLE
        return {
            "id": row.id,
            "direction": row.direction,
            "at": _iso(row.at),
            "channel": row.channel,
            "purpose": row.purpose,
            "kind": row.kind,
            "our_number": row.sender,
            "subject": row.subject,
            "body": body,
            "status": row.status,
            "error": row.error,
        }

    def _events(
        self,
        session: Session,
        workspace: int,
        contact_ids: list[str],
        suppression_ids: list[str],
        indexes: list[str],
    ) -> list[dict[str, Any]]:
        about = [
            and_(AuditEvent.subject_type == "contact", AuditEvent.subject_id.in_(contact_ids)),
            and_(
                AuditEvent.subject_type == "suppression", AuditEvent.subject_id.in_(suppression_ids)
            ),
            and_(AuditEvent.subject_type == "number", AuditEvent.subject_id.in_(indexes)),
        ]
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.workspace_id == workspace, or_(*about))
            .order_by(AuditEvent.id)
        )
        return [
            {
                "id": row.id,
                "seq": row.seq,
                "at": _iso(row.at),
                "actor": row.actor,
                "action": row.action,
                "subject_type": row.subject_type,
                "subject_id": row.subject_id,
            }
            for row in rows
        ]


def _holds_anything(number: dict[str, Any]) -> bool:
    keys = ("consent_records", "suppressions", "registries", "opt_in_requests", "messages")
    return any(number[key] for key in (*keys, "review_items", "line_checks"))


# The export keeps its own fields and key order of the evidence pack's dicts (users see them).
_DISCLOSURE_KEYS = (
    "id", "name", "version", "sha256", "text_matches_hash", "language", "created_at", "text"
)  # fmt: skip
_SUPPRESSION_KEYS = (
    "id", "kind", "source", "reason", "created_at", "created_by", "active", "lifted_at", "lifted_by"
)  # fmt: skip


def _pick(row: dict[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    return {key: row[key] for key in keys}


def _suppression(row: Suppression) -> dict[str, Any]:
    return {**_pick(suppression_dict(row), _SUPPRESSION_KEYS), "lift_reason": row.lift_reason}


def _request(row: ConsentRequest) -> dict[str, Any]:
    return {
        "id": row.id,
        "channel": row.channel,
        "purposes": list(row.purposes),
        "sender": row.sender,
        "disclosure_id": row.disclosure_id,
        "method": row.method,
        "evidence": dict(row.evidence or {}),
        "requested_at": _iso(row.requested_at),
        "expires_at": _iso(row.expires_at),
        "status": row.status,
        "confirmed_at": _iso(row.confirmed_at),
        "request_message_id": row.request_message_id,
        "reply_message_id": row.reply_message_id,
    }


def _review(row: ReviewItem) -> dict[str, Any]:
    return {
        "id": row.id,
        "message_id": row.message_id,
        "keyword": row.keyword,
        "received_at": _iso(row.received_at),
        "due_at": _iso(row.due_at),
        "policy": row.policy,
        "status": row.status,
        "resolution": row.resolution,
        "resolved_at": _iso(row.resolved_at),
        "resolved_by": row.resolved_by,
    }


def _line_check(row: LineLookup) -> dict[str, Any]:
    return {
        "provider": row.provider,
        "line_type": row.line_type,
        "carrier": row.carrier,
        "active": row.active,
        "reassigned": row.reassigned,
        "reassigned_since": row.reassigned_since.isoformat() if row.reassigned_since else None,
        "checked_at": _iso(row.checked_at),
    }


def _plain(value: Any) -> Any:
    """A custom value as JSON: dates as ISO 8601 text."""
    if isinstance(value, dt.datetime):
        return _iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
