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
from contextlib import closing
from pathlib import Path
from typing import IO, Any

from phonelist.contacts.fields import FieldDefinition, FieldService, load_fields
from phonelist.contacts.queries import workspace_of
from phonelist.contacts.service import ContactService
from phonelist.errors import ValidationError
from phonelist.files.mapping import auto_map
from phonelist.files.readers import open_table
from phonelist.imports.batches import BatchWriter, write_rejects
from phonelist.imports.jobs import JobStore
from phonelist.imports.options import ImportOptions
from phonelist.imports.prepare import prepared_batches
from phonelist.imports.rejects import REJECT_COLUMNS
from phonelist.imports.report import Counts, ImportReport
from phonelist.imports.rows import Columns
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor, Permission
from phonelist.store import Store
from phonelist.store.models import (
    ImportJob,
)

__all__ = ["ImportService"]

logger = logging.getLogger("phonelist.imports")

Progress = Callable[[int, int | None], None]  # rows done (resumed ones too), rows in all


class ImportService:
    def __init__(
        self, store: Store, keyring: Keyring, contacts: ContactService, fields: FieldService
    ) -> None:
        self.store = store
        self.keyring = keyring
        self.contacts = contacts
        self.fields = fields
        self._executor: ThreadPoolExecutor | None = None
        self.job_store = JobStore(store, keyring)
        self.writer = BatchWriter(store, keyring, contacts)

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
            job = self.job_store.resumable(actor, resume, digest)
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
                job_id = self.job_store.start(actor, name, digest, size, table.format, options)
            elif job_id is not None:
                self.job_store.mark(job_id, "running")
            context = self._context(actor, options)
            seen: set[bytes] = set()
            prepared = prepared_batches(table, options.batch_size, after, columns, context)
            with closing(prepared):
                for batch in prepared:
                    if options.dry_run:
                        self.writer.count_dry(batch, counts, seen, actor)
                    else:
                        assert job_id is not None
                        self.writer.write(actor, job_id, batch, options, counts, seen)
                    if rejects_writer is not None:
                        write_rejects(rejects_writer, batch)
                    if progress is not None:
                        progress(counts.rows, table.row_count)
            if job_id is not None:
                self.job_store.finish(actor, job_id, counts)
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
            self.job_store.mark(job_id, "failed", f"{code}: the import stopped; see the server log")
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
            return self.job_store.start(
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

    def jobs(self, actor: Actor, limit: int = 50) -> list[ImportJob]:
        return self.job_store.jobs(actor, limit)

    def job(self, actor: Actor, job_id: str) -> ImportJob:
        return self.job_store.job(actor, job_id)

    def rejects(
        self, actor: Actor, job_id: str
    ) -> Iterator[tuple[int, str | None, str | None, str, str]]:
        return self.job_store.rejects(actor, job_id)

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
            fields = {
                name: FieldDefinition.of(row)
                for name, row in load_fields(session, actor.workspace_id).items()
            }
            return {
                "explicit_region": options.region,
                "default_region": workspace.default_region,
                "statuses": list(workspace.statuses),
                "fields": fields,
                "tags": options.tags,
                "lists": options.lists,
                "source": options.source,
            }


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
