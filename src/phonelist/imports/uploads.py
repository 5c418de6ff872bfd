"""Uploaded import files and import job summaries, shared by the API and the web pages.

An upload is written under a name phonelist chooses (never the client's: no path tricks),
created exclusively with mode 0600 in a 0700 folder, in chunks, so memory stays bounded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

from phonelist.ids import new_id
from phonelist.store.models import ImportJob

__all__ = ["SUFFIXES", "job_dict", "save_upload"]

SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".vcf", ".vcard", ".jsonl", ".ndjson"}
CHUNK = 1 << 20
FINISHED = ("done", "failed")


def save_upload(folder: Path, stream: IO[bytes], client_name: str, stem: str = "") -> Path:
    """Write ``stream`` to a new file in ``folder``; the client's name gives only the suffix
    (when it is one the readers know), which lets them guess the format."""
    suffix = Path(client_name).suffix.lower()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"{stem or new_id()}{suffix if suffix in SUFFIXES else ''}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        while chunk := stream.read(CHUNK):
            out.write(chunk)
    return path


def job_dict(job: ImportJob) -> dict[str, Any]:
    """An import job as the API and the progress page show it (no personal data)."""
    return {
        "id": job.id,
        "file": job.file_name,
        "format": job.format,
        "status": job.status,
        "done": job.status in FINISHED,
        "rows_committed": job.rows_committed,
        "bytes": job.file_size,
        "counts": job.counts or {},
        "error": job.error,
        "started_at": job.started_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }
