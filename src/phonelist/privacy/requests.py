"""The register of privacy requests and their due dates (COMPLIANCE.md P4, GDPR Art. 12(3)).

A request is answered "without undue delay and in any event within one month of receipt"; the
month may be extended by two further months "where necessary, taking into account the
complexity and number of the requests", and the person told why. So ``due_at`` is the receipt
plus one calendar month, clamped to the end of a shorter month (received 31 January, due 28 or
29 February), and an extension moves it to receipt plus two or three months, clamped the same
way. The subject is kept as a contact id and/or the number's blind index, never the number in
clear; a note about the requester (how they asked, how to answer them) and the outcome are
sealed.

Only ``privacy.manage`` (owners, admins) may read or change the register; opening, extending
and closing a request each write an audit event holding ids, kinds and dates only.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from phonelist.audit import record as audit
from phonelist.clock import utcnow
from phonelist.consent.service import ConsentService
from phonelist.contacts.codec import phone_index
from phonelist.errors import Conflict, NotFound, ValidationError
from phonelist.ids import new_id
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor, Permission
from phonelist.store import Store
from phonelist.store.models import Contact, PhoneNumber
from phonelist.store.privacy_models import PrivacyRequest

__all__ = [
    "CLOSED",
    "KINDS",
    "MAX_EXTENSION_MONTHS",
    "OPEN",
    "PrivacyRequestService",
    "RequestOut",
    "add_months",
    "due_date",
]

KINDS = ("access", "erasure", "rectification", "objection", "restriction", "portability")
OPEN = ("open", "extended")
CLOSED = ("done", "refused")
MAX_EXTENSION_MONTHS = 2  # Art. 12(3): "by two further months"
MAX_NOTE = 2000
MAX_TEXT = 500
MAX_OUTCOME = 1000


def add_months(when: dt.datetime, months: int) -> dt.datetime:
    """``when`` plus whole calendar months, the day clamped to the last day of a short month."""
    index = when.month - 1 + months
    year, month = when.year + index // 12, index % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def due_date(received_at: dt.datetime, extended_months: int = 0) -> dt.datetime:
    """When the answer is due: one calendar month after receipt, plus any extension."""
    return add_months(received_at, 1 + extended_months)


@dataclass(frozen=True, slots=True)
class RequestOut:
    id: str
    kind: str
    contact_id: str | None
    number_index: str | None  # the number's blind index (hex), never the number
    note: str | None
    received_at: dt.datetime
    due_at: dt.datetime
    extended_months: int
    extension_reason: str | None
    status: str
    closed_at: dt.datetime | None
    outcome: str | None
    created_by: str
    handled_by: str | None
    days_left: int | None  # whole days until due (negative when late); None once closed
    overdue: bool

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.__slots__:
            value = getattr(self, name)
            out[name] = _iso(value) if isinstance(value, dt.datetime) else value
        return out


class PrivacyRequestService:
    def __init__(self, store: Store, keyring: Keyring, consent: ConsentService) -> None:
        self.store = store
        self.keyring = keyring
        self.consent = consent  # parses numbers in the workspace's default region

    def add(
        self,
        actor: Actor,
        kind: str,
        *,
        contact_id: str | None = None,
        number: str | None = None,
        note: str | None = None,
        received_at: dt.datetime | None = None,
        now: dt.datetime | None = None,
    ) -> RequestOut:
        """Put a request on the register; ``received_at`` (default ``now``) starts the month.

        A request given only a number is linked to the contact owning that number, if any.
        """
        actor.require(Permission.PRIVACY_MANAGE)
        now = now or utcnow()
        kind = kind.strip().lower()
        if kind not in KINDS:
            raise ValidationError(f"kind must be one of: {', '.join(KINDS)}", field="kind")
        contact_id = (contact_id or "").strip() or None
        number = (number or "").strip() or None
        if contact_id is None and number is None:
            raise ValidationError("name the subject: a contact id or a number", field="contact")
        received = _aware(received_at or now, "received_at")
        if received > now + dt.timedelta(minutes=5):
            raise ValidationError("a request cannot be received in the future", field="received_at")
        note = _text(note, "note", MAX_NOTE)
        index = phone_index(self.keyring, self.consent.e164(number)) if number else None
        request_id = new_id()
        with self.store.write() as session:
            if contact_id is not None:
                found = session.scalar(
                    select(Contact.id).where(
                        Contact.workspace_id == actor.workspace_id, Contact.id == contact_id
                    )
                )
                if found is None:
                    raise NotFound(f"no contact with id {contact_id[:26]!r}", field="contact")
            elif index is not None:  # the contact owning the number, when there is one
                contact_id = session.scalar(
                    select(PhoneNumber.contact_id).where(
                        PhoneNumber.workspace_id == actor.workspace_id,
                        PhoneNumber.e164_index == index,
                    )
                )
            row = PrivacyRequest(
                id=request_id,
                workspace_id=actor.workspace_id,
                kind=kind,
                contact_id=contact_id,
                e164_index=index,
                note_enc=self._seal(note, request_id),
                received_at=received,
                due_at=due_date(received),
                extended_months=0,
                status="open",
                created_by=actor.label,
            )
            session.add(row)
            audit(
                session,
                actor,
                "privacy.request_open",
                "privacy_request",
                request_id,
                {"kind": kind, "contact_id": contact_id, "due_at": _iso(row.due_at)},
            )
            return self._out(row, now)

    def list_requests(
        self,
        actor: Actor,
        *,
        status: str | None = None,
        overdue: bool = False,
        now: dt.datetime | None = None,
    ) -> list[RequestOut]:
        """The register, soonest due first; ``status`` "open" means open or extended."""
        actor.require(Permission.PRIVACY_MANAGE)
        now = now or utcnow()
        query = select(PrivacyRequest).where(PrivacyRequest.workspace_id == actor.workspace_id)
        if status is not None:
            wanted = OPEN if status == "open" else (status,)
            if status not in (*OPEN, *CLOSED):
                raise ValidationError(
                    f"status must be one of: {', '.join((*OPEN, *CLOSED))}", field="status"
                )
            query = query.where(PrivacyRequest.status.in_(wanted))
        if overdue:
            query = query.where(PrivacyRequest.status.in_(OPEN), PrivacyRequest.due_at < now)
        query = query.order_by(PrivacyRequest.due_at, PrivacyRequest.id)
        with self.store.read() as session:
            return [self._out(row, now) for row in session.scalars(query)]

    def get(self, actor: Actor, request_id: str, *, now: dt.datetime | None = None) -> RequestOut:
        actor.require(Permission.PRIVACY_MANAGE)
        with self.store.read() as session:
            return self._out(self._load(session, actor, request_id), now or utcnow())

    def extend(
        self,
        actor: Actor,
        request_id: str,
        months: int,
        reason: str,
        *,
        now: dt.datetime | None = None,
    ) -> RequestOut:
        """Extend an open request by ``months`` (in all at most two), moving its due date."""
        actor.require(Permission.PRIVACY_MANAGE)
        now = now or utcnow()
        reason_text = _text(reason, "reason", MAX_TEXT)
        if reason_text is None:
            raise ValidationError(
                "an extension needs a reason (the person must be told why)", field="reason"
            )
        with self.store.write() as session:
            row = self._load(session, actor, request_id)
            if row.status not in OPEN:
                raise Conflict(f"request {row.id} is already {row.status}", field="status")
            total = row.extended_months + months
            if months < 1 or total > MAX_EXTENSION_MONTHS:
                left = MAX_EXTENSION_MONTHS - row.extended_months
                raise ValidationError(
                    f"a request may be extended by at most {MAX_EXTENSION_MONTHS} months in "
                    f"all; this one by {left} more",
                    field="months",
                )
            row.extended_months = total
            row.extension_reason = reason_text
            row.due_at = due_date(row.received_at, total)
            row.status = "extended"
            row.handled_by = actor.label
            audit(
                session,
                actor,
                "privacy.request_extend",
                "privacy_request",
                row.id,
                {"months": months, "extended_months": total, "due_at": _iso(row.due_at)},
            )
            return self._out(row, now)

    def close(
        self,
        actor: Actor,
        request_id: str,
        status: str,
        outcome: str | None = None,
        *,
        now: dt.datetime | None = None,
    ) -> RequestOut:
        """Close a request as ``done`` or ``refused`` (a refusal needs the reason, Art. 12(4))."""
        actor.require(Permission.PRIVACY_MANAGE)
        now = now or utcnow()
        if status not in CLOSED:
            raise ValidationError(f"status must be one of: {', '.join(CLOSED)}", field="status")
        outcome_text = _text(outcome, "outcome", MAX_OUTCOME)
        if status == "refused" and outcome_text is None:
            raise ValidationError("a refusal needs the reason given to the person", field="outcome")
        with self.store.write() as session:
            row = self._load(session, actor, request_id)
            if row.status not in OPEN:
                raise Conflict(f"request {row.id} is already {row.status}", field="status")
            row.status = status
            row.closed_at = now
            row.outcome_enc = self._seal(outcome_text, row.id, "outcome")
            row.handled_by = actor.label
            audit(
                session,
                actor,
                "privacy.request_close",
                "privacy_request",
                row.id,
                {"status": status, "late": now > row.due_at},
            )
            return self._out(row, now)

    # -- helpers --------------------------------------------------------------------------------
    def _load(self, session: Session, actor: Actor, request_id: str) -> PrivacyRequest:
        row = session.scalar(
            select(PrivacyRequest).where(
                PrivacyRequest.workspace_id == actor.workspace_id,
                PrivacyRequest.id == request_id.strip(),
            )
        )
        if row is None:
            raise NotFound(f"no privacy request with id {request_id[:26]!r}", field="request")
        return row

    def _seal(self, text: str | None, row_id: str, column: str = "note") -> bytes | None:
        if text is None:
            return None
        return self.keyring.encrypt(text, table="privacy_requests", column=column, row_id=row_id)

    def _open(self, blob: bytes | None, row_id: str, column: str) -> str | None:
        if blob is None:
            return None
        return self.keyring.decrypt(blob, table="privacy_requests", column=column, row_id=row_id)

    def _out(self, row: PrivacyRequest, now: dt.datetime) -> RequestOut:
        is_open = row.status in OPEN
        return RequestOut(
            id=row.id,
            kind=row.kind,
            contact_id=row.contact_id,
            number_index=row.e164_index.hex() if row.e164_index is not None else None,
            note=self._open(row.note_enc, row.id, "note"),
            received_at=row.received_at,
            due_at=row.due_at,
            extended_months=row.extended_months,
            extension_reason=row.extension_reason,
            status=row.status,
            closed_at=row.closed_at,
            outcome=self._open(row.outcome_enc, row.id, "outcome"),
            created_by=row.created_by,
            handled_by=row.handled_by,
            days_left=days_left(row.due_at, now) if is_open else None,
            overdue=is_open and now > row.due_at,
        )


def days_left(due_at: dt.datetime, now: dt.datetime) -> int:
    """Whole days from ``now`` to ``due_at``: 0 on the due day, negative once it has passed."""
    return (due_at.date() - now.astimezone(dt.UTC).date()).days


def _aware(value: dt.datetime, field: str) -> dt.datetime:
    if value.tzinfo is None:
        raise ValidationError("the time needs a time zone (e.g. Z)", field=field)
    return value.astimezone(dt.UTC)


def _text(value: str | None, field: str, limit: int) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > limit:
        raise ValidationError(f"{field} is longer than {limit} characters", field=field)
    if "\x00" in value:
        raise ValidationError(f"{field} may not hold a NUL character", field=field)
    return value


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
