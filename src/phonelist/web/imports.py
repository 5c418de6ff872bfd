"""The import wizard: upload, map the columns, check (a dry run), import, follow, get the rejects.

The upload is kept under the data folder (``uploads/web``) with a small record of who uploaded
it; every later step names it by its random id and is refused to anyone else. The steps call
the same import service as the API: a check is ``imports.run`` with ``dry_run``, the import is
``imports.submit`` (a background job), and the progress page polls ``/web/api/imports/{id}``.
"""

from __future__ import annotations

import io
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response

from phonelist.api.deps import CoreDep
from phonelist.core import Phonelist
from phonelist.errors import NotFound, ValidationError
from phonelist.files.layout import (
    IMPORT_ONLY_FIELDS,
    NAME_FIELDS,
    PLACE_FIELDS,
    label_column,
    slot_column,
)
from phonelist.files.mapping import IGNORE, auto_map
from phonelist.files.readers import open_table
from phonelist.ids import new_id
from phonelist.imports import ConsentBasis, ImportOptions
from phonelist.imports.options import CHANNELS, DUPLICATE_POLICIES, METHODS, PURPOSES
from phonelist.imports.rejects import rejects_csv
from phonelist.imports.uploads import job_dict, save_upload
from phonelist.security.permissions import Permission
from phonelist.web.pages import render
from phonelist.web.session import PageUser, ScriptUser, SignedIn, check_csrf, csrf_token

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]
PREVIEW_ROWS = 5
UPLOAD_ID = re.compile(r"[0-9a-z]{26}")
STALE_SECONDS = 24 * 60 * 60  # an upload nobody imported is removed a day later
CONSENT_BASES = [f"{c}:{p}:{m}" for c in CHANNELS for p in PURPOSES for m in METHODS]


@dataclass(frozen=True, slots=True)
class Upload:
    id: str
    path: Path
    name: str  # the file's name as uploaded (display only)


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _folder(core: Phonelist) -> Path:
    return core.settings.data_dir / "uploads" / "web"


# -- step 1: upload -------------------------------------------------------------------------------
@router.get("/imports", response_model=None)
def imports_list(request: Request, core: CoreDep, me: PageUser) -> Response:
    jobs = core.imports.jobs(me.actor, limit=20)
    return render(request, "imports/list.html", _base(request, me, jobs=jobs))


@router.get("/imports/new", response_model=None)
def upload_form(request: Request, me: PageUser) -> Response:
    me.actor.require(Permission.CONTACTS_WRITE)
    return render(request, "imports/upload.html", _base(request, me, error=None))


@router.post("/imports/upload", response_model=None)
def upload(
    request: Request,
    core: CoreDep,
    me: PageUser,
    file: Annotated[UploadFile, File()],
    csrf_token: FormText = "",
) -> Response:
    check_csrf(request, csrf_token)
    me.actor.require(Permission.CONTACTS_WRITE)
    name = Path(file.filename or "upload").name[:255] or "upload"
    folder = _folder(core)
    _sweep(folder)
    upload_id = new_id().lower()
    path = save_upload(folder, file.file, name, stem=upload_id)
    try:  # refuse a file the importer cannot read now, with the reader's own words
        with open_table(path, name=name):
            pass
    except ValidationError as exc:
        path.unlink(missing_ok=True)
        context = _base(request, me, error=exc.message)
        return render(request, "imports/upload.html", context, status_code=422)
    record = {"by": me.actor.label, "workspace": me.actor.workspace_id, "name": name}
    _meta(folder, upload_id).write_text(json.dumps(record), encoding="utf-8")
    return _see_other(f"/imports/{upload_id}/mapping")


# -- step 2: mapping and options ------------------------------------------------------------------
@router.get("/imports/{upload_id}/mapping", response_model=None)
def mapping_form(request: Request, core: CoreDep, me: PageUser, upload_id: str) -> Response:
    found = _upload(core, me, upload_id)
    columns, preview, table_format, rows = _preview(found)
    chosen = auto_map(columns).assignments
    choices = Choices(mapping=[chosen.get(c, IGNORE) for c in columns])
    context = _mapping_context(request, core, me, found, choices, error=None)
    context.update(preview=preview, table_format=table_format, row_count=rows, columns=columns)
    return render(request, "imports/mapping.html", context)


@dataclass
class Choices:
    """The wizard's form: a target per column, in file order, and the import's options."""

    mapping: list[str]
    region: str = ""
    tags: str = ""
    list_name: str = ""
    source: str = ""
    on_duplicate: str = "skip"
    consent_basis: str = ""
    create_fields: bool = False

    def options(self, columns: list[str], *, dry_run: bool) -> ImportOptions:
        if len(self.mapping) != len(columns):
            raise ValidationError("the mapping does not match the file's columns", field="map")
        tags = tuple(t.strip() for t in self.tags.split(",") if t.strip())
        return ImportOptions(
            region=self.region.strip() or None,
            on_duplicate=self.on_duplicate,
            tags=tags,
            lists=(self.list_name.strip(),) if self.list_name.strip() else (),
            source=self.source.strip() or None,
            dry_run=dry_run,
            consent_basis=ConsentBasis.parse(self.consent_basis) if self.consent_basis else None,
            mapping={
                column: target
                for column, target in zip(columns, self.mapping, strict=True)
                # kept as new custom fields: leave ignored columns unmapped
                if not (self.create_fields and target == IGNORE)
            },
            create_fields=self.create_fields,
        )


def _choices(
    mapping: Annotated[list[str] | None, Form(alias="map")] = None,
    region: FormText = "",
    tags: FormText = "",
    list_name: Annotated[str, Form(alias="list")] = "",
    source: FormText = "",
    on_duplicate: FormText = "skip",
    consent_basis: FormText = "",
    create_fields: FormText = "",
) -> Choices:
    return Choices(
        mapping=list(mapping or []),
        region=region,
        tags=tags,
        list_name=list_name,
        source=source,
        on_duplicate=on_duplicate,
        consent_basis=consent_basis,
        create_fields=create_fields == "yes",
    )


ChoicesDep = Annotated[Choices, Depends(_choices)]


# -- step 3: the check (a dry run) ----------------------------------------------------------------
@router.post("/imports/{upload_id}/check", response_model=None)
def check(
    request: Request,
    core: CoreDep,
    me: PageUser,
    upload_id: str,
    choices: ChoicesDep,
    csrf_token: FormText = "",
) -> Response:
    check_csrf(request, csrf_token)
    found = _upload(core, me, upload_id)
    columns, preview, table_format, rows = _preview(found)
    try:
        options = choices.options(columns, dry_run=True)
        report = core.imports.run(me.actor, found.path, options, display_name=found.name)
    except ValidationError as exc:
        context = _mapping_context(request, core, me, found, choices, error=exc.message)
        context.update(preview=preview, table_format=table_format, row_count=rows, columns=columns)
        return render(request, "imports/mapping.html", context, status_code=422)
    ignored = [c for c, t in zip(columns, choices.mapping, strict=True) if t == IGNORE]
    ignored += [c for c in report.ignored_columns if c not in ignored]
    context = _base(request, me, upload=found, choices=choices, report=report.to_json())
    context.update(columns=columns, ignored=ignored)
    return render(request, "imports/report.html", context)


@router.post("/imports/{upload_id}/rejects.csv", response_model=None)
def check_rejects(
    request: Request,
    core: CoreDep,
    me: PageUser,
    upload_id: str,
    choices: ChoicesDep,
    csrf_token: FormText = "",
) -> Response:
    """The rows the check would reject, as CSV (row, column, value, reason, message)."""
    check_csrf(request, csrf_token)
    found = _upload(core, me, upload_id)
    columns = _preview(found)[0]
    out = io.StringIO()
    core.imports.run(
        me.actor,
        found.path,
        choices.options(columns, dry_run=True),
        rejects=out,
        display_name=found.name,
    )
    return _csv(out.getvalue(), f"rejects-check-{upload_id}.csv")


# -- step 4: the import itself --------------------------------------------------------------------
@router.post("/imports/{upload_id}/start", response_model=None)
def start(
    request: Request,
    core: CoreDep,
    me: PageUser,
    upload_id: str,
    choices: ChoicesDep,
    csrf_token: FormText = "",
) -> Response:
    check_csrf(request, csrf_token)
    found = _upload(core, me, upload_id)
    columns = _preview(found)[0]
    options = choices.options(columns, dry_run=False)
    job_id = core.imports.submit(me.actor, found.path, options, display_name=found.name)
    _meta(found.path.parent, found.id).unlink(missing_ok=True)  # the job owns the file now
    return _see_other(f"/imports/jobs/{job_id}")


@router.get("/imports/jobs/{job_id}", response_model=None)
def progress(request: Request, core: CoreDep, me: PageUser, job_id: str) -> Response:
    job = core.imports.job(me.actor, job_id)
    return render(request, "imports/progress.html", _base(request, me, job=job_dict(job)))


@router.get("/imports/jobs/{job_id}/rejects.csv", response_model=None)
def job_rejects(core: CoreDep, me: PageUser, job_id: str) -> Response:
    return _csv(rejects_csv(core.imports.rejects(me.actor, job_id)), f"rejects-{job_id}.csv")


@router.get("/web/api/imports/{job_id}")
def job_json(core: CoreDep, me: ScriptUser, job_id: str) -> JSONResponse:
    """How far a job got, for the progress page's script (signed-in session only)."""
    return JSONResponse(job_dict(core.imports.job(me.actor, job_id)))


# -- helpers --------------------------------------------------------------------------------------
def _base(request: Request, me: SignedIn, **extra: Any) -> dict[str, Any]:
    return {"me": me, "csrf_token": csrf_token(request), **extra}


def _mapping_context(
    request: Request,
    core: Phonelist,
    me: SignedIn,
    found: Upload,
    choices: Choices,
    *,
    error: str | None,
) -> dict[str, Any]:
    custom = [f"custom:{f.name}" for f in core.fields.all(me.actor)]
    return _base(
        request,
        me,
        upload=found,
        choices=choices,
        targets=_targets(custom, choices.mapping),
        duplicates=DUPLICATE_POLICIES,
        bases=CONSENT_BASES,
        error=error,
    )


def _targets(custom: list[str], chosen: list[str]) -> list[str]:
    """What a column may be mapped to, in the order people look for them."""
    slots = [
        slot_column("phone", 1),
        "phone:mobile",
        "phone:work",
        "phone:home",
        slot_column("phone", 2),
        slot_column("phone", 3),
        label_column("phone", 1),
        label_column("phone", 2),
        slot_column("email", 1),
        slot_column("email", 2),
        label_column("email", 1),
    ]
    single = [*NAME_FIELDS, *PLACE_FIELDS, "status", "tags", "lists", "source", "note"]
    targets = [*slots, *single, *IMPORT_ONLY_FIELDS, *custom]
    extra = [t for t in chosen if t not in targets and t != IGNORE]
    return [*targets, *dict.fromkeys(extra)]


def _upload(core: Phonelist, me: SignedIn, upload_id: str) -> Upload:
    """The upload named by ``upload_id``, if this user made it."""
    missing = NotFound("no such upload: it was imported, or is too old; upload the file again")
    if not UPLOAD_ID.fullmatch(upload_id):
        raise missing
    folder = _folder(core)
    try:
        record = json.loads(_meta(folder, upload_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise missing from None
    if record.get("by") != me.actor.label or record.get("workspace") != me.actor.workspace_id:
        raise missing
    me.actor.require(Permission.CONTACTS_WRITE)
    files = [p for p in folder.glob(f"{upload_id}*") if p.suffix != ".json"]
    if len(files) != 1:
        raise missing
    return Upload(upload_id, files[0], str(record.get("name", "upload")))


def _preview(found: Upload) -> tuple[list[str], list[list[str]], str, int | None]:
    """The file's columns, its first rows (one cell per column), format, and row count."""
    with open_table(found.path, name=found.name) as table:
        rows = []
        for _, values in table.rows():
            rows.append([values.get(c, "") for c in table.columns])
            if len(rows) >= PREVIEW_ROWS:
                break
        return list(table.columns), rows, table.format, table.row_count


def _meta(folder: Path, upload_id: str) -> Path:
    return folder / f"{upload_id}.json"


def _sweep(folder: Path) -> None:
    """Remove uploads that were never imported, a day after they came."""
    if not folder.is_dir():
        return
    cutoff = time.time() - STALE_SECONDS
    for meta in folder.glob("*.json"):
        try:
            if meta.stat().st_mtime < cutoff:
                for path in folder.glob(f"{meta.stem}*"):
                    path.unlink(missing_ok=True)
        except OSError:
            continue


def _csv(body: str, filename: str) -> Response:
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
