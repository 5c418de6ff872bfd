"""Import jobs: the record of each import, how far it got, and its rejected rows."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from phonelist.audit import record
from phonelist.clock import utcnow
from phonelist.errors import NotFound, ValidationError
from phonelist.ids import new_id
from phonelist.imports.options import ImportOptions
from phonelist.imports.report import Counts
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor, Permission
from phonelist.store import Store
from phonelist.store.models import ImportJob, ImportReject

__all__ = ["JobStore"]


class JobStore:
    def __init__(self, store: Store, keyring: Keyring) -> None:
        self.store = store
        self.keyring = keyring

    def start(
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

    def resumable(self, actor: Actor, job_id: str, digest: str) -> ImportJob:
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

    def mark(self, job_id: str, status: str, error: str | None = None) -> None:
        with self.store.write() as session:
            job = session.get(ImportJob, job_id)
            if job is not None:
                job.status, job.updated_at = status, utcnow()
                job.error = error[:500] if error else None

    def finish(self, actor: Actor, job_id: str, counts: Counts) -> None:
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
