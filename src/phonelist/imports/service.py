"""Import a file of contacts: stream it, check every row, write in batches, resume on demand.

Each batch is one transaction holding its contacts, its rejected rows, its audit event and
the job's new high-water mark (``rows_committed``). So an import stopped anywhere (Ctrl-C,
``kill -9``, a full disk) leaves the store consistent, and ``resume`` continues after the last
committed row. Running the same file again converges too: its numbers are then duplicates.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import time
import unicodedata
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from phonelist.audit import record
from phonelist.clock import utcnow
from phonelist.contacts import codec
from phonelist.contacts.commands import CreateMany, UpdateContact
from phonelist.contacts.fields import FieldService, load_fields
from phonelist.contacts.queries import workspace_of
from phonelist.contacts.schemas import ContactPatch
from phonelist.contacts.service import ContactService
from phonelist.errors import NotFound, ValidationError
from phonelist.files.mapping import auto_map
from phonelist.files.readers import open_table
from phonelist.ids import new_id
from phonelist.imports.options import ImportOptions
from phonelist.imports.rejects import REJECT_COLUMNS, write_reject
from phonelist.imports.report import Counts, ImportReport
from phonelist.imports.rows import Columns, Prepared, Rejected, parse_occurred_at, prepare_row
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor, Permission
from phonelist.store import Store
from phonelist.store.engine import UniqueViolation
from phonelist.store.models import (
    ConsentRecord,
    ImportJob,
    ImportReject,
    PhoneNumber,
    Suppression,
)

__all__ = ["ImportService"]

logger = logging.getLogger("phonelist.imports")

Progress = Callable[[int], None]


@dataclass
class _Batch:
    items: list[tuple[int, Prepared | Rejected]]
    last_row: int


class ImportService:
    def __init__(
        self, store: Store, keyring: Keyring, contacts: ContactService, fields: FieldService
    ) -> None:
        self.store = store
        self.keyring = keyring
        self.contacts = contacts
        self.fields = fields
        self._executor: ThreadPoolExecutor | None = None

    def run(
        self,
        actor: Actor,
        path: Path,
        options: ImportOptions,
        *,
        resume: str | None = None,
        rejects: IO[str] | None = None,
        progress: Progress | None = None,
        display_name: str | None = None,
    ) -> ImportReport:
        """Import ``path``; with ``resume``, continue that job after its last committed row."""
        actor.require(Permission.CONTACTS_WRITE)
        name = display_name or path.name
        started = time.perf_counter()
        digest, size = _file_digest(path)
        counts, after, job_id = Counts(), 0, None
        if resume is not None:
            job = self._resumable_job(actor, resume, digest)
            options, counts, after, job_id = (
                ImportOptions.from_json(job.options),
                Counts.from_json(job.counts),
                job.rows_committed,
                job.id,
            )
        rejects_writer = csv.writer(rejects) if rejects is not None else None
        if rejects_writer is not None:
            rejects_writer.writerow(REJECT_COLUMNS)
        with open_table(
            path, format=options.format, encoding=options.encoding, delimiter=options.delimiter
        ) as table:
            assignments, ignored, columns, warnings = self._columns(actor, table, options, name)
            if job_id is None and not options.dry_run:
                job_id = self._start_job(actor, name, digest, size, table.format, options)
            elif job_id is not None:
                self._mark(job_id, "running")
            context = self._context(actor, options)
            seen: set[bytes] = set()
            for batch in _batches(table, options.batch_size, after, columns, context):
                if options.dry_run:
                    self._count_dry(batch, counts, seen, actor)
                else:
                    assert job_id is not None
                    self._write_with_retry(actor, job_id, batch, options, counts, seen)
                if rejects_writer is not None:
                    _write_rejects(rejects_writer, batch)
                if progress is not None:
                    progress(counts.rows)
            if job_id is not None:
                self._finish_job(actor, job_id, counts)
            return ImportReport(
                job_id=job_id,
                file=name,
                format=table.format,
                encoding=table.encoding,
                delimiter=table.delimiter,
                dry_run=options.dry_run,
                mapping=assignments,
                ignored_columns=ignored,
                counts=counts,
                seconds=time.perf_counter() - started,
                resumed_after_row=after,
                warnings=warnings,
            )

    def submit(self, actor: Actor, path: Path, options: ImportOptions, *, display_name: str) -> str:
        """Queue the import and run it on the background worker; returns the job id."""
        job_id = self.queue(actor, path, options, display_name=display_name)
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import")
        self._executor.submit(self._run_queued, actor, path, job_id, display_name)
        return job_id

    def _run_queued(self, actor: Actor, path: Path, job_id: str, display_name: str) -> None:
        try:
            self.run(actor, path, ImportOptions(), resume=job_id, display_name=display_name)
        except Exception as exc:  # the job records why; the upload stays for a resume
            code = getattr(exc, "code", type(exc).__name__)
            self._mark(job_id, "failed", f"{code}: the import stopped; see the server log")
            logger.warning("import %s failed: %s", job_id, type(exc).__name__)
        else:
            path.unlink(missing_ok=True)

    def shutdown(self) -> None:
        """Wait for the background import, if any (the server is stopping)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def queue(self, actor: Actor, path: Path, options: ImportOptions, *, display_name: str) -> str:
        """Check the file and its columns, and record a queued job that ``run`` will do.

        For the API: the upload is answered with the job id at once, and the rows are
        imported in the background with ``run(..., resume=job_id)``.
        """
        actor.require(Permission.CONTACTS_WRITE)
        if options.dry_run:
            raise ValidationError("a dry run is answered directly, not queued", field="dry_run")
        digest, size = _file_digest(path)
        with open_table(
            path, format=options.format, encoding=options.encoding, delimiter=options.delimiter
        ) as table:
            self._columns(actor, table, options, display_name)
            return self._start_job(
                actor, display_name, digest, size, table.format, options, status="queued"
            )

    def _columns(
        self, actor: Actor, table: Any, options: ImportOptions, name: str
    ) -> tuple[dict[str, str], list[str], Columns, list[str]]:
        mapping = auto_map(table.columns, options.mapping)
        assignments = dict(mapping.assignments)
        ignored = list(mapping.unmapped)
        if options.create_fields and ignored and not options.dry_run:
            assignments.update(self._create_fields(actor, ignored))
            ignored = []
        columns = Columns.from_assignments(assignments)
        warnings = list(mapping.warnings)
        if not columns.phones:
            raise ValidationError(
                f"no phone number column found in {name} (columns: "
                f"{', '.join(table.columns[:20])}); name one with --map COLUMN=phone",
                field="mapping",
                code="import_no_phone_column",
            )
        if columns.consent and options.consent_basis is None:
            warnings.append(
                "consent columns were ignored: say what they are with "
                "--consent-basis CHANNEL:PURPOSE:METHOD"
            )
        return assignments, ignored, columns, warnings

    # -- jobs -----------------------------------------------------------------------------
    def _start_job(
        self,
        actor: Actor,
        name: str,
        digest: str,
        size: int,
        fmt: str,
        options: ImportOptions,
        *,
        status: str = "running",
    ) -> str:
        now = utcnow()
        job = ImportJob(
            id=new_id(),
            workspace_id=actor.workspace_id,
            actor=actor.label,
            file_name=name[:255],
            file_sha256=digest,
            file_size=size,
            format=fmt,
            options=options.to_json(),
            status=status,
            rows_committed=0,
            counts=Counts().to_json(),
            started_at=now,
            updated_at=now,
        )
        with self.store.write() as session:
            session.add(job)
            record(
                session,
                actor,
                "import.start",
                "import",
                job.id,
                {"format": fmt, "bytes": size, "dry_run": False},
            )
        return job.id

    def _resumable_job(self, actor: Actor, job_id: str, digest: str) -> ImportJob:
        with self.store.read() as session:
            job = session.scalar(
                select(ImportJob).where(
                    ImportJob.id == job_id, ImportJob.workspace_id == actor.workspace_id
                )
            )
        if job is None:
            raise NotFound(f"no import job {job_id!r}", field="resume")
        if job.status == "done":
            raise ValidationError(f"import {job_id} is already complete", field="resume")
        if job.file_sha256 != digest:
            raise ValidationError(
                f"this is not the file import {job_id} was reading ({job.file_name}): "
                "its content differs",
                field="resume",
            )
        return job

    def _mark(self, job_id: str, status: str, error: str | None = None) -> None:
        with self.store.write() as session:
            job = session.get(ImportJob, job_id)
            if job is not None:
                job.status, job.updated_at = status, utcnow()
                job.error = error[:500] if error else None

    def _finish_job(self, actor: Actor, job_id: str, counts: Counts) -> None:
        with self.store.write() as session:
            job = session.get(ImportJob, job_id)
            assert job is not None
            job.status, job.finished_at, job.updated_at = "done", utcnow(), utcnow()
            job.counts = counts.to_json()
            record(
                session,
                actor,
                "import.finish",
                "import",
                job_id,
                {k: v for k, v in counts.to_json().items() if isinstance(v, int)},
            )

    def jobs(self, actor: Actor, limit: int = 50) -> list[ImportJob]:
        actor.require(Permission.CONTACTS_READ)
        with self.store.read() as session:
            return list(
                session.scalars(
                    select(ImportJob)
                    .where(ImportJob.workspace_id == actor.workspace_id)
                    .order_by(ImportJob.id.desc())
                    .limit(limit)
                )
            )

    def job(self, actor: Actor, job_id: str) -> ImportJob:
        actor.require(Permission.CONTACTS_READ)
        with self.store.read() as session:
            job = session.scalar(
                select(ImportJob).where(
                    ImportJob.id == job_id, ImportJob.workspace_id == actor.workspace_id
                )
            )
        if job is None:
            raise NotFound(f"no import job {job_id!r}", field="id")
        return job

    def rejects(
        self, actor: Actor, job_id: str
    ) -> Iterator[tuple[int, str | None, str | None, str, str]]:
        """The rejected rows of a job: row, column, raw value, reason, message."""
        self.job(actor, job_id)
        with self.store.read() as session:
            rows = list(
                session.scalars(
                    select(ImportReject)
                    .where(ImportReject.job_id == job_id)
                    .order_by(ImportReject.row_number)
                )
            )
        for row in rows:
            raw = (
                None
                if row.raw_enc is None
                else self.keyring.decrypt(
                    row.raw_enc,
                    table="import_rejects",
                    column="raw",
                    row_id=f"{job_id}:{row.row_number}",
                )
            )
            yield row.row_number, row.column, raw, row.reason, row.message

    # -- set-up ---------------------------------------------------------------------------
    def _create_fields(self, actor: Actor, unmapped: list[str]) -> dict[str, str]:
        existing = {f.name for f in self.fields.all(actor)}
        made: dict[str, str] = {}
        for column in unmapped:
            name = _slug(column)
            if not name:
                continue
            if name not in existing:
                self.fields.define(actor, name, "text")
                existing.add(name)
            made[column] = f"custom:{name}"
        return made

    def _context(self, actor: Actor, options: ImportOptions) -> dict[str, Any]:
        with self.store.read() as session:
            workspace = workspace_of(session, actor.workspace_id)
            fields = load_fields(session, actor.workspace_id)
            for definition in fields.values():
                session.expunge(definition)
            return {
                "explicit_region": options.region,
                "default_region": workspace.default_region,
                "statuses": list(workspace.statuses),
                "fields": fields,
                "tags": options.tags,
                "lists": options.lists,
                "source": options.source,
            }

    # -- writing --------------------------------------------------------------------------
    def _write_with_retry(
        self,
        actor: Actor,
        job_id: str,
        batch: _Batch,
        options: ImportOptions,
        counts: Counts,
        seen: set[bytes],
    ) -> None:
        for attempt in (1, 2):
            trial = Counts.from_json(counts.to_json())
            trial_seen = set(seen)
            try:
                with self.store.write() as session:
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
        batch: _Batch,
        options: ImportOptions,
        counts: Counts,
        seen: set[bytes],
    ) -> None:
        keyring = self.keyring
        prepared = [(n, item) for n, item in batch.items if isinstance(item, Prepared)]
        owners = (
            _owners(session, actor.workspace_id, keyring, prepared) if not options.suppress else {}
        )
        new: list[tuple[int, Prepared]] = []
        batch_numbers: dict[bytes, int] = {}
        for row_number, item in batch.items:
            counts.rows += 1
            if isinstance(item, Rejected):
                counts.rejected += 1
                counts.rejected_by_reason[item.reason] += 1
                _store_reject(session, keyring, job_id, row_number, item)
                continue
            counts.numbers_dropped += len(item.dropped)
            indexes = [codec.phone_index(keyring, p.e164) for p in item.contact.phones]
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
        e164 = item.contact.phones[0].e164
        record_id = new_id()
        seal = self.keyring.encrypt
        text = evidence.get("consent_text")
        session.add(
            ConsentRecord(
                id=record_id,
                workspace_id=actor.workspace_id,
                e164_index=codec.phone_index(self.keyring, e164),
                e164_enc=seal(e164, table="consent_records", column="e164", row_id=record_id),
                channel=evidence.get("consent_channel", basis.channel),
                purpose=evidence.get("consent_purpose", basis.purpose),
                sender=None,
                action="grant",
                occurred_at=occurred,
                recorded_at=utcnow(),
                method=evidence.get("consent_method", basis.method),
                affirmative_action=None,
                disclosure_text=text,
                disclosure_version=evidence.get("consent_version"),
                disclosure_hash=hashlib.sha256(text.encode()).hexdigest() if text else None,
                language=evidence.get("consent_language"),
                source_url=evidence.get("consent_source_url"),
                form_id=evidence.get("consent_form_id"),
                ip_enc=_seal_opt(self.keyring, evidence.get("consent_ip"), "ip", record_id),
                user_agent_enc=_seal_opt(
                    self.keyring, evidence.get("consent_user_agent"), "user_agent", record_id
                ),
                actor=actor.label,
                evidence_ref=evidence.get("consent_evidence_ref"),
                import_job_id=job_id,
                basis=str(basis),
            )
        )
        return 1

    def _count_dry(self, batch: _Batch, counts: Counts, seen: set[bytes], actor: Actor) -> None:
        with self.store.read() as session:
            prepared = [(n, i) for n, i in batch.items if isinstance(i, Prepared)]
            owners = _owners(session, actor.workspace_id, self.keyring, prepared)
        for _, item in batch.items:
            counts.rows += 1
            if isinstance(item, Rejected):
                counts.rejected += 1
                counts.rejected_by_reason[item.reason] += 1
                continue
            counts.numbers_dropped += len(item.dropped)
            indexes = [codec.phone_index(self.keyring, p.e164) for p in item.contact.phones]
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


def _batches(
    table: Any, size: int, after: int, columns: Columns, context: dict[str, Any]
) -> Iterator[_Batch]:
    items: list[tuple[int, Prepared | Rejected]] = []
    last = after
    for row_number, values in table.rows(after=after):
        items.append((row_number, prepare_row(values, columns, **context)))
        last = row_number
        if len(items) >= size:
            yield _Batch(items, last)
            items = []
    if items:
        yield _Batch(items, last)


def _owners(
    session: Session, workspace_id: int, keyring: Keyring, prepared: list[tuple[int, Prepared]]
) -> dict[bytes, str]:
    """Which of the batch's numbers the store already holds, and by which contact."""
    wanted = [
        codec.phone_index(keyring, p.e164) for _, item in prepared for p in item.contact.phones
    ]
    owners: dict[bytes, str] = {}
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        owners.update(
            session.execute(
                select(PhoneNumber.e164_index, PhoneNumber.contact_id).where(
                    PhoneNumber.workspace_id == workspace_id, PhoneNumber.e164_index.in_(chunk)
                )
            ).all()
        )
    return owners


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


def _store_reject(
    session: Session, keyring: Keyring, job_id: str, row_number: int, item: Rejected
) -> None:
    row_id = f"{job_id}:{row_number}"
    session.add(
        ImportReject(
            job_id=job_id,
            row_number=row_number,
            column=(item.column or "")[:255] or None,
            raw_enc=None
            if item.raw is None
            else keyring.encrypt(
                item.raw[:10_000], table="import_rejects", column="raw", row_id=row_id
            ),
            reason=item.reason[:64],
            message=item.message[:300],
        )
    )


def _write_rejects(writer: Any, batch: _Batch) -> None:
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


def _seal_opt(keyring: Keyring, value: str | None, column: str, row_id: str) -> bytes | None:
    if not value:
        return None
    return keyring.encrypt(value, table="consent_records", column=column, row_id=row_id)


def _file_digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _slug(column: str) -> str:
    """A custom field name from a column header: "Data de nascimento" -> data_de_nascimento."""
    folded = unicodedata.normalize("NFKD", column.casefold())
    ascii_only = "".join(c for c in folded if not unicodedata.combining(c) and c.isascii())
    text = "".join(c if c.isalnum() else "_" for c in ascii_only).strip("_")
    while "__" in text:
        text = text.replace("__", "_")
    if text and not text[0].isalpha():
        text = "f_" + text
    return text[:64]
