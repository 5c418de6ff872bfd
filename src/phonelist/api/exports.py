"""/api/v1/export: download contacts as CSV, XLSX, vCard or JSON Lines.

The export is written to a spooled temporary file (memory up to SPOOL_BYTES, then disk) and
sent from there in chunks. So every check (permission, format, columns, filters) still answers
with the API's JSON error shape, the audit event is written before the first byte leaves, and
the response has a Content-Length.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Annotated

from fastapi import Query
from fastapi.responses import StreamingResponse

from phonelist.api.deps import ActorDep, CoreDep
from phonelist.api.routing import api_router
from phonelist.clock import utcnow
from phonelist.files.writers import EXPORT_FORMATS, ExportFormat, export_format

__all__ = ["router"]

router = api_router(tags=["export"])

SPOOL_BYTES = 8 * 1024 * 1024
CHUNK_BYTES = 64 * 1024


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The export file, as an attachment.",
            "content": {f.media_type.split(";")[0]: {} for f in EXPORT_FORMATS.values()},
        }
    },
)
def export_contacts(
    core: CoreDep,
    actor: ActorDep,
    format_: Annotated[
        str,
        Query(alias="format", max_length=16, description="csv, xlsx, vcard or jsonl"),
    ] = "csv",
    columns: Annotated[
        str | None,
        Query(
            max_length=4000,
            description="Comma-separated columns, e.g. first_name,last_name,phone "
            "(default: all but created_at and updated_at)",
        ),
    ] = None,
    numbers: Annotated[
        str, Query(max_length=16, description="e164 (default) or national")
    ] = "e164",
    status: Annotated[str | None, Query(max_length=32)] = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    list_name: Annotated[str | None, Query(alias="list", max_length=100)] = None,
) -> StreamingResponse:
    """All contacts, or those with a status, tag or list, as a file (see docs/files.md).

    CSV and XLSX cells that a spreadsheet could run as formulas start with ``'``. Every
    export is recorded in the audit log with the actor and the number of rows.
    """
    kind = export_format(format_)
    chosen = [c.strip() for c in columns.split(",")] if columns is not None else None
    return download(
        kind,
        lambda spool: core.exports.export(
            actor,
            spool,
            kind.name,
            columns=chosen,
            number_format=numbers,
            status=status,
            tag=tag,
            list_name=list_name,
        ),
        "phonelist-export",
    )


def download(
    kind: ExportFormat, write: Callable[[IO[bytes]], int], prefix: str
) -> StreamingResponse:
    """What ``write`` writes (returning its row count), spooled, then sent as an attachment.

    Spooling first means an export that fails half-way is an error response, never a
    truncated file that looks complete.
    """
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    try:
        rows = write(spool)
        size = spool.tell()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    filename = f"{prefix}-{utcnow().date().isoformat()}.{kind.extension}"
    return StreamingResponse(
        _chunks(spool),
        media_type=kind.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Length": str(size),
            "Cache-Control": "no-store",
            "X-Export-Rows": str(rows),
        },
    )


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := spool.read(CHUNK_BYTES):
            yield chunk
    finally:
        spool.close()
