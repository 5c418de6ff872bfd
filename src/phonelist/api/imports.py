"""/api/v1/imports: upload a file to import (a background job), follow it, get its rejects."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import File, Form, UploadFile
from fastapi.responses import JSONResponse, Response

from phonelist.api.deps import ActorDep, CoreDep
from phonelist.api.routing import API_PREFIX, api_router
from phonelist.imports import ConsentBasis, ImportOptions
from phonelist.imports.options import parse_map
from phonelist.imports.rejects import rejects_csv
from phonelist.imports.uploads import job_dict, save_upload

__all__ = ["router"]

router = api_router()


@router.post("/imports", status_code=202, tags=["imports"])
def upload_import(
    core: CoreDep,
    actor: ActorDep,
    file: Annotated[UploadFile, File(description="CSV/TSV, XLSX, vCard or JSON Lines")],
    region: Annotated[str | None, Form()] = None,
    on_duplicate: Annotated[str, Form()] = "skip",
    tags: Annotated[list[str] | None, Form()] = None,
    lists: Annotated[list[str] | None, Form()] = None,
    source: Annotated[str | None, Form(max_length=100)] = None,
    dry_run: Annotated[bool, Form()] = False,
    consent_basis: Annotated[str | None, Form()] = None,
    mapping: Annotated[list[str] | None, Form(alias="map")] = None,
    create_fields: Annotated[bool, Form()] = False,
) -> Response:
    """Start an import. A dry run answers with its report (200); otherwise the rows are
    imported in the background (202) and ``GET /api/v1/imports/{id}`` tells how far it got."""
    options = ImportOptions(
        region=region,
        on_duplicate=on_duplicate,
        tags=tuple(tags or ()),
        lists=tuple(lists or ()),
        source=source,
        dry_run=dry_run,
        consent_basis=ConsentBasis.parse(consent_basis) if consent_basis else None,
        mapping=parse_map(mapping or []),
        create_fields=create_fields,
    )
    display_name = Path(file.filename or "upload").name[:255]
    path = save_upload(core.settings.data_dir / "uploads", file.file, file.filename or "")
    if dry_run:
        try:
            report = core.imports.run(actor, path, options, display_name=display_name)
        finally:
            path.unlink(missing_ok=True)
        return JSONResponse(report.to_json(), status_code=200)
    job_id = core.imports.submit(actor, path, options, display_name=display_name)
    return JSONResponse(
        {"job_id": job_id, "status": "queued"},
        status_code=202,
        headers={"Location": f"{API_PREFIX}/imports/{job_id}"},
    )


@router.get("/imports", tags=["imports"])
def list_imports(core: CoreDep, actor: ActorDep) -> list[dict[str, Any]]:
    return [job_dict(job) for job in core.imports.jobs(actor)]


@router.get("/imports/{job_id}", tags=["imports"])
def import_progress(job_id: str, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    """How far a job got: status (queued, running, done, failed), rows committed, counts."""
    return job_dict(core.imports.job(actor, job_id))


@router.get("/imports/{job_id}/rejects", tags=["imports"])
def import_rejects(job_id: str, core: CoreDep, actor: ActorDep) -> Response:
    """The rejected rows as CSV: row, column, value, reason, message."""
    body = rejects_csv(core.imports.rejects(actor, job_id))
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="rejects-{job_id}.csv"'},
    )
