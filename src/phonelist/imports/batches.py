"""Writing one batch of prepared rows: de-duplication, the bulk insert, rejects, consent
evidence and the job's high-water mark, all in one transaction."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from phonelist.clock import utcnow
from phonelist.consent.ledger import Entry, Ledger
from phonelist.contacts import codec
from phonelist.contacts.commands import CreateMany, UpdateContact
from phonelist.contacts.schemas import ContactPatch
from phonelist.contacts.service import ContactService
from phonelist.ids import new_id
from phonelist.imports.options import ImportOptions
from phonelist.imports.rejects import write_reject
from phonelist.imports.report import Counts
from phonelist.imports.rows import Prepared, Rejected, parse_occurred_at
from phonelist.policy.rules import default_rules
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor
from phonelist.store import Store
from phonelist.store.bulk import insert_rows, select_in
from phonelist.store.engine import UniqueViolation
from phonelist.store.models import ImportJob, ImportReject, Suppression

__all__ = ["Batch", "BatchWriter", "write_rejects"]

# The numbers of a batch the store already holds, and their contacts (``select_in``'s form).
OWNERS = (
    "SELECT e164_index, contact_id FROM phone_numbers "
    "WHERE workspace_id = {first} AND e164_index IN ({values})"
)


@dataclass
class Batch:
    items: list[tuple[int, Prepared | Rejected]]
    last_row: int


class BatchWriter:
    def __init__(self, store: Store, keyring: Keyring, contacts: ContactService) -> None:
        self.store = store
        self.keyring = keyring
        self.contacts = contacts
        self.ledger = Ledger(keyring)

    def write(
        self,
        actor: Actor,
        job_id: str,
        batch: Batch,
        options: ImportOptions,
        counts: Counts,
        seen: set[bytes],
    ) -> None:
        for attempt in (1, 2):
            trial = Counts.from_json(counts.to_json())
            trial_seen = set(seen)
            try:
                with self.keyring.remembering(), self.store.write() as session:
                    self._write_batch(session, actor, job_id, batch, options, trial, trial_seen)
            except UniqueViolation:
                if attempt == 2:
                    raise
                continue  # another writer took a number meanwhile: check again
            vars(counts).update(vars(trial))
            seen |= trial_seen
            return

    def _write_batch(
        self,
        session: Session,
        actor: Actor,
        job_id: str,
        batch: Batch,
        options: ImportOptions,
        counts: Counts,
        seen: set[bytes],
    ) -> None:
        keyring = self.keyring
        indexes_of = _number_indexes(keyring, batch)
        owners = {} if options.suppress else _owners(session, actor.workspace_id, indexes_of)
        new: list[tuple[int, Prepared]] = []
        batch_numbers: dict[bytes, int] = {}
        rejects: list[tuple[Any, ...]] = []
        for row_number, item in batch.items:
            counts.rows += 1
            if isinstance(item, Rejected):
                counts.rejected += 1
                counts.rejected_by_reason[item.reason] += 1
                rejects.append(_reject_row(keyring, job_id, row_number, item))
                continue
            counts.numbers_dropped += len(item.dropped)
            indexes = indexes_of[row_number]
            if options.suppress:
                counts.suppressed += _suppress(
                    session, actor, keyring, job_id, item, indexes, options.source
                )
                continue
            if any(i in batch_numbers or i in seen for i in indexes):
                counts.duplicates_in_file += 1
                continue
            owner = next((owners[i] for i in indexes if i in owners), None)
            if owner is not None:
                counts.duplicates_in_store += 1
                if options.on_duplicate != "skip":
                    self._update_existing(
                        session,
                        actor,
                        owner,
                        item,
                        indexes,
                        owners,
                        replace=options.on_duplicate == "replace",
                    )
                    counts.updated += 1
                    counts.consent_records += self._consent(session, actor, job_id, item, options)
                continue
            for index in indexes:
                batch_numbers[index] = row_number
            new.append((row_number, item))
        if new:
            self.contacts.apply_in(
                session,
                actor,
                CreateMany(tuple(item.contact for _, item in new), {"import_job": job_id}),
            )
            for _, item in new:
                counts.imported += 1
                first = item.analyses[0]
                counts.by_type[first.number_type or "unknown"] += 1
                counts.by_country[first.region or "unknown"] += 1
                counts.consent_records += self._consent(session, actor, job_id, item, options)
        insert_rows(session, ImportReject.__table__, REJECT_COLUMNS, rejects)
        seen.update(batch_numbers)
        job = session.get(ImportJob, job_id)
        assert job is not None
        job.rows_committed, job.counts, job.updated_at = batch.last_row, counts.to_json(), utcnow()

    def _update_existing(
        self,
        session: Session,
        actor: Actor,
        contact_id: str,
        item: Prepared,
        indexes: list[bytes],
        owners: dict[bytes, str],
        *,
        replace: bool,
    ) -> None:
        current = self.contacts.get_in(session, actor, contact_id)
        row = item.contact
        # Numbers held by other contacts stay where they are.
        mine = [
            p
            for p, i in zip(row.phones, indexes, strict=True)
            if owners.get(i, contact_id) == contact_id
        ]
        data: dict[str, Any] = {}
        for name in (
            "display_name",
            "first_name",
            "last_name",
            "country",
            "region",
            "city",
            "postal_code",
            "time_zone",
            "source",
        ):
            value = getattr(row, name)
            if value is not None or replace:
                data[name] = value
        if replace:
            data["status"] = row.status
        phones: list[dict[str, Any]] = [{"number": p.e164, "label": p.label} for p in mine]
        emails: list[dict[str, Any]] = [{"email": e, "label": lb} for e, lb in row.emails]
        if not replace:
            stored = {q.e164 for q in current.phones}
            phones = [
                {"number": p.e164, "label": p.label, "primary": p.primary} for p in current.phones
            ] + [p for p in phones if p["number"] not in stored]
            have = {e.email.casefold() for e in current.emails}
            emails = [
                {"email": e.email, "label": e.label, "primary": e.primary} for e in current.emails
            ] + [e for e in emails if str(e["email"]).casefold() not in have]
            data["tags"] = sorted({*current.tags, *row.tags})
            data["lists"] = sorted({*current.lists, *row.lists})
            data["custom"] = {**current.custom, **row.custom}
        else:
            data["tags"], data["lists"], data["custom"] = (
                list(row.tags),
                list(row.lists),
                dict(row.custom),
            )
        data["phones"], data["emails"] = phones, emails
        patch = ContactPatch.model_validate(data)
        self.contacts.apply_in(session, actor, UpdateContact(contact_id, patch))

    def _consent(
        self,
        session: Session,
        actor: Actor,
        job_id: str,
        item: Prepared,
        options: ImportOptions,
    ) -> int:
        basis = options.consent_basis
        evidence = item.consent
        if basis is None or not evidence.get("consent_at"):
            return 0  # no evidence: consent stays unknown (COMPLIANCE.md C5)
        occurred = parse_occurred_at(evidence.get("consent_at"))
        method = evidence.get("consent_method", basis.method)
        text = evidence.get("consent_text")
        entry = Entry(
            e164=item.contact.phones[0].e164,
            channel=evidence.get("consent_channel", basis.channel),
            purpose=evidence.get("consent_purpose", basis.purpose),
            action="grant",
            method=method,
            occurred_at=occurred or utcnow(),
            affirmative_action=None,
            disclosure_text=text,
            disclosure_version=evidence.get("consent_version"),
            disclosure_hash=hashlib.sha256(text.encode()).hexdigest() if text else None,
            language=evidence.get("consent_language"),
            source_url=evidence.get("consent_source_url"),
            form_id=evidence.get("consent_form_id"),
            ip=evidence.get("consent_ip"),
            user_agent=evidence.get("consent_user_agent"),
            evidence_ref=evidence.get("consent_evidence_ref"),
            import_job_id=job_id,
            basis=str(basis),
            # An imported text is not a registered disclosure: never written consent (C1).
            written=False,
            expires_at=default_rules().implied_expiry(method, occurred),
        )
        self.ledger.append(session, actor.workspace_id, actor.label, entry, utcnow())
        return 1

    def count_dry(self, batch: Batch, counts: Counts, seen: set[bytes], actor: Actor) -> None:
        indexes_of = _number_indexes(self.keyring, batch)
        with self.store.read() as session:
            owners = _owners(session, actor.workspace_id, indexes_of)
        for row_number, item in batch.items:
            counts.rows += 1
            if isinstance(item, Rejected):
                counts.rejected += 1
                counts.rejected_by_reason[item.reason] += 1
                continue
            counts.numbers_dropped += len(item.dropped)
            indexes = indexes_of[row_number]
            if any(i in seen for i in indexes):
                counts.duplicates_in_file += 1
            elif any(i in owners for i in indexes):
                counts.duplicates_in_store += 1
            else:
                counts.imported += 1
                first = item.analyses[0]
                counts.by_type[first.number_type or "unknown"] += 1
                counts.by_country[first.region or "unknown"] += 1
            seen.update(indexes)


def _number_indexes(keyring: Keyring, batch: Batch) -> dict[int, list[bytes]]:
    """The blind indexes of each prepared row's numbers, by row number: computed once."""
    return {
        row_number: [codec.phone_index(keyring, p.e164) for p in item.contact.phones]
        for row_number, item in batch.items
        if isinstance(item, Prepared)
    }


def _owners(
    session: Session, workspace_id: int, indexes_of: dict[int, list[bytes]]
) -> dict[bytes, str]:
    """Which of the batch's numbers the store already holds, and by which contact."""
    wanted = [index for indexes in indexes_of.values() for index in indexes]
    return dict(select_in(session, OWNERS, workspace_id, wanted))


def _suppress(
    session: Session,
    actor: Actor,
    keyring: Keyring,
    job_id: str,
    item: Prepared,
    indexes: list[bytes],
    source: str | None,
) -> int:
    active = set(
        session.scalars(
            select(Suppression.e164_index).where(
                Suppression.workspace_id == actor.workspace_id,
                Suppression.kind == "internal_dnc",
                Suppression.lifted_at.is_(None),
                Suppression.e164_index.in_(indexes),
            )
        )
    )
    added = 0
    for phone, index in zip(item.contact.phones, indexes, strict=True):
        if index in active:
            continue
        sid = new_id()
        session.add(
            Suppression(
                id=sid,
                workspace_id=actor.workspace_id,
                e164_index=index,
                e164_enc=keyring.encrypt(
                    phone.e164, table="suppressions", column="e164", row_id=sid
                ),
                kind="internal_dnc",
                source=source or "import",
                reason="imported do-not-contact list",
                created_at=utcnow(),
                created_by=actor.label,
                import_job_id=job_id,
            )
        )
        active.add(index)
        added += 1
    return added


REJECT_COLUMNS = ("job_id", "row_number", "column", "raw_enc", "reason", "message")


def _reject_row(keyring: Keyring, job_id: str, row_number: int, item: Rejected) -> tuple[Any, ...]:
    raw = item.raw
    sealed = None
    if raw is not None:
        row_id = f"{job_id}:{row_number}"
        sealed = keyring.encrypt(raw[:10_000], table="import_rejects", column="raw", row_id=row_id)
    column = (item.column or "")[:255] or None
    return (job_id, row_number, column, sealed, item.reason[:64], item.message[:300])


def write_rejects(writer: Any, batch: Batch) -> None:
    for row_number, item in batch.items:
        if isinstance(item, Rejected):
            write_reject(writer, row_number, item.column, item.raw, item.reason, item.message)
        else:
            for dropped in item.dropped:
                write_reject(
                    writer,
                    row_number,
                    dropped.column,
                    dropped.raw,
                    f"{dropped.reason} (row imported)",
                    dropped.message,
                )
