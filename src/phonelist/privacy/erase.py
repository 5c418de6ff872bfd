"""Erasure (GDPR Art. 17; COMPLIANCE.md P2): a person's data leaves the live store.

What goes: the contact (names, numbers, emails, address, notes, custom fields, tags, lists,
segment facts), every message to or from their numbers, double opt-in requests, review items,
cached line checks, import rejects holding their number or email, the sealed number of their
suppressions, and the personal values (number, IP address, user agent, free evidence) of their
consent ledger records.

What stays, because honouring an opt-out needs it: each number's keyed hash (blind index) on
an ``erased`` suppression that cannot be lifted, and the ledger records without their personal
values, still chained, so the revocation history holds and ``consent verify`` still passes.
The erasure is one audit event with counts and ids, never the number.

On SQLite the store runs with ``secure_delete`` (freed space is zeroed) and the write-ahead log
is truncated after an erasure, so the raw database file keeps no copy either. On PostgreSQL
old row versions stay in the table files until ``VACUUM`` reuses their space; see
docs/privacy.md.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

import phonenumbers
from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from phonelist.audit import record as audit
from phonelist.clock import utcnow
from phonelist.consent.service import ConsentService
from phonelist.contacts.codec import phone_index
from phonelist.contacts.commands import DeleteContact
from phonelist.contacts.service import ContactService
from phonelist.errors import NotFound
from phonelist.ids import new_id
from phonelist.privacy.service import PrivacyService
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor, Permission
from phonelist.store import Store
from phonelist.store.consent_models import ConsentRequest, Message, ReviewItem
from phonelist.store.models import (
    ConsentRecord,
    Email,
    ImportJob,
    ImportReject,
    LineLookup,
    Suppression,
)

__all__ = ["ERASURE_REASONS", "Eraser", "ErasureReport"]

ERASURE_REASONS = ("request", "retention", "other")
_DIGITS = re.compile(r"\D+")


@dataclass(frozen=True, slots=True)
class ErasureReport:
    """What an erasure removed and kept: counts and ids, no personal data."""

    subject_type: Literal["contact", "number"]
    subject_id: str  # the contact id, or the number's keyed hash in hex
    reason: str
    erased_at: dt.datetime
    contacts: int
    numbers: int
    messages: int
    consent_records_redacted: int
    consent_requests: int
    review_items: int
    line_checks: int
    import_rejects: int
    suppressions_kept: int
    request_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["erased_at"] = self.erased_at.isoformat()
        return data


class Eraser:
    """Carries out erasures; the permission is ``privacy.manage`` (owners and admins)."""

    def __init__(
        self,
        store: Store,
        keyring: Keyring,
        consent: ConsentService,
        contacts: ContactService,
        privacy: PrivacyService,
    ) -> None:
        self.store = store
        self.keyring = keyring
        self.consent = consent
        self.contacts = contacts
        self.privacy = privacy

    def erase(
        self,
        actor: Actor,
        subject: str,
        *,
        kind: Literal["contact", "number"] | None = None,
        reason: str = "request",
        request_id: str | None = None,
        now: dt.datetime | None = None,
    ) -> ErasureReport:
        """Erase the person behind ``subject`` (a contact id, or a number as typed).

        A number a contact owns erases that contact with all its numbers. A number no contact
        owns erases what is held about the number alone. Erasing again is harmless: it finds
        less (or only the suppression) and says so. Nothing held at all is :class:`NotFound`.
        """
        actor.require(Permission.PRIVACY_MANAGE)
        if reason not in ERASURE_REASONS:
            raise ValueError(f"reason must be one of {ERASURE_REASONS}")
        now = now or utcnow()
        workspace = actor.workspace_id
        with self.store.write() as session:
            contacts, numbers = self.privacy.resolve(session, workspace, subject.strip(), kind)
            if not contacts and not self._holds(session, workspace, numbers):
                raise NotFound("phonelist holds nothing about this number", field="number")
            indexes = [phone_index(self.keyring, e164) for e164 in numbers]
            emails = [self._email(e) for contact in contacts for e in contact.emails]
            rejects = self._erase_rejects(session, workspace, numbers, emails)
            # A person who asked to be erased is never contacted again; a retention purge of
            # someone who went quiet keeps only the suppressions and revocations they had.
            kept = self._suppress(session, actor, indexes, now, add=reason != "retention")
            records = session.scalars(
                select(ConsentRecord).where(
                    ConsentRecord.workspace_id == workspace,
                    ConsentRecord.e164_index.in_(indexes),
                )
            ).all()
            redacted = self.consent.ledger.redact(session, workspace, records, now)
            review = self._delete(session, ReviewItem, workspace, indexes)
            messages = self._delete(session, Message, workspace, indexes)
            requests = self._delete(session, ConsentRequest, workspace, indexes)
            checks = self._delete(session, LineLookup, workspace, indexes)
            for contact in contacts:
                self.contacts.apply_in(session, actor, DeleteContact(contact.id))
            report = ErasureReport(
                subject_type="contact" if contacts else "number",
                subject_id=contacts[0].id if contacts else indexes[0].hex(),
                reason=reason,
                erased_at=now,
                contacts=len(contacts),
                numbers=len(numbers),
                messages=messages,
                consent_records_redacted=redacted,
                consent_requests=requests,
                review_items=review,
                line_checks=checks,
                import_rejects=rejects,
                suppressions_kept=kept,
                request_id=request_id,
            )
            detail = report.as_dict()
            del detail["subject_type"], detail["subject_id"]
            audit(session, actor, "privacy.erase", report.subject_type, report.subject_id, detail)
        self._scrub()
        return report

    # -- the parts ------------------------------------------------------------------------------
    def _email(self, row: Email) -> str:
        return self.keyring.decrypt(row.email_enc, table="emails", column="email", row_id=row.id)

    def _holds(self, session: Session, workspace: int, numbers: list[str]) -> bool:
        indexes = [phone_index(self.keyring, e164) for e164 in numbers]
        for model in (Suppression, ConsentRecord, Message, ConsentRequest, LineLookup):
            found = session.scalar(
                select(model.e164_index)
                .where(model.workspace_id == workspace, model.e164_index.in_(indexes))
                .limit(1)
            )
            if found is not None:
                return True
        return False

    def _suppress(
        self, session: Session, actor: Actor, indexes: list[bytes], now: dt.datetime, *, add: bool
    ) -> int:
        """No suppression keeps its number; with ``add``, each number ends on an ``erased`` one."""
        workspace = actor.workspace_id
        session.execute(
            update(Suppression)
            .where(Suppression.workspace_id == workspace, Suppression.e164_index.in_(indexes))
            .values(e164_enc=None)
        )
        for index in indexes if add else ():
            erased = session.scalar(
                select(Suppression.id).where(
                    Suppression.workspace_id == workspace,
                    Suppression.e164_index == index,
                    Suppression.kind == "erased",
                    Suppression.lifted_at.is_(None),
                )
            )
            if erased is None:
                sid = new_id()
                session.add(
                    Suppression(
                        id=sid,
                        workspace_id=workspace,
                        e164_index=index,
                        e164_enc=None,
                        kind="erased",
                        source="privacy erasure",
                        reason="the person's data was erased; the number stays suppressed",
                        created_at=now,
                        created_by=actor.label,
                    )
                )
                session.flush()
                audit(session, actor, "suppression.add", "suppression", sid, {"kind": "erased"})
        return len(
            session.scalars(
                select(Suppression.id).where(
                    Suppression.workspace_id == workspace, Suppression.e164_index.in_(indexes)
                )
            ).all()
        )

    @staticmethod
    def _delete(session: Session, model: Any, workspace: int, indexes: list[bytes]) -> int:
        result = session.execute(
            delete(model)
            .where(model.workspace_id == workspace, model.e164_index.in_(indexes))
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def _erase_rejects(
        self, session: Session, workspace: int, numbers: list[str], emails: list[str]
    ) -> int:
        """Delete import rejects whose sealed raw value holds one of the numbers or emails.

        Rejects keep only the raw cell, so each is opened and compared: a number by its
        national digits (how damaged cells still show it), an email case-insensitively.
        """
        national = {str(phonenumbers.parse(e164).national_number) for e164 in numbers}
        lowered = {email.lower() for email in emails}
        doomed: list[tuple[str, int]] = []
        rows = session.execute(
            select(ImportReject.job_id, ImportReject.row_number, ImportReject.raw_enc)
            .join(ImportJob, ImportJob.id == ImportReject.job_id)
            .where(ImportJob.workspace_id == workspace, ImportReject.raw_enc.is_not(None))
        )
        for job_id, row_number, raw_enc in rows:
            raw = self.keyring.decrypt(
                raw_enc or b"",
                table="import_rejects",
                column="raw",
                row_id=f"{job_id}:{row_number}",
            )
            digits = _DIGITS.sub("", raw)
            if any(n and n in digits for n in national) or any(e in raw.lower() for e in lowered):
                doomed.append((job_id, row_number))
        for job_id, row_number in doomed:
            session.execute(
                delete(ImportReject).where(
                    ImportReject.job_id == job_id, ImportReject.row_number == row_number
                )
            )
        return len(doomed)

    def _scrub(self) -> None:
        """Leave no copy of the erased rows in SQLite's write-ahead log."""
        if self.store.engine.dialect.name == "sqlite":
            with self.store.engine.connect() as conn:
                conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
