"""/api/v1/segments: count, list, export and freeze the contacts a query selects; saved segments.

Every ``q`` (and a body's ``query``) is a segment query or the name of a saved segment
(docs/segments.md). A query that cannot be read is a 422 ``invalid_query`` whose ``details``
hold ``position`` and ``end`` (0-based offsets), ``suggestion`` and the ``query``, so an editor
can underline the token. ``GET /segments/count`` is meant to be called while the user types:
it counts and does nothing else (no audit event).

The fixed paths (``/segments/count``, ``/contacts``, ``/export``, ``/freeze``, ``/fields``) are
declared before ``/segments/{name}``, so they are never read as a segment's name.
"""

from __future__ import annotations

import datetime as dt
from typing import IO, Annotated
from urllib.parse import quote

from fastapi import Path as PathParam
from fastapi import Query, Response
from fastapi.responses import StreamingResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic import StringConstraints as Length

from phonelist.api.deps import ActorDep, CoreDep
from phonelist.api.exports import download
from phonelist.api.routing import api_router
from phonelist.contacts.schemas import ContactOut, multiline_text, plain_text
from phonelist.contacts.service import MAX_PAGE
from phonelist.files.writers import EXPORT_FORMATS, export_format
from phonelist.segments import Count, SavedSegment

__all__ = ["router"]

router = api_router(tags=["segments"])

# Room above the parser's own limit (4,000 characters), so that a long query gets its
# invalid_query answer rather than a bare "too long" about the parameter.
MAX_QUERY = 8_000

_STRICT = ConfigDict(extra="forbid", strict=True)
QueryText = Annotated[
    str,
    Length(min_length=1, max_length=MAX_QUERY),
    AfterValidator(multiline_text),
    Field(description="A segment query, or the name of a saved segment"),
]
Name = Annotated[str, Length(min_length=1, max_length=100), AfterValidator(plain_text)]
Description = Annotated[str, Length(min_length=1, max_length=500), AfterValidator(plain_text)]
Q = Annotated[
    str,
    Query(
        min_length=1,
        max_length=MAX_QUERY,
        description="A segment query, e.g. country = PT tag = vip, or a saved segment's name",
    ),
]
# A saved segment's name may hold a slash: the rest of the path is the name.
NamePath = Annotated[str, PathParam(min_length=1, max_length=300, description="URL-encoded")]


# -- bodies ---------------------------------------------------------------------------------------
class CountOut(BaseModel):
    count: int
    query: str = Field(description="As evaluated: a saved segment's name becomes segment = name")
    warnings: list[str] = Field(description="E.g. a tag that does not exist (matches no one)")

    @classmethod
    def of(cls, count: Count) -> CountOut:
        return cls(count=count.count, query=count.query, warnings=list(count.warnings))


class SegmentContacts(BaseModel):
    items: list[ContactOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page")
    count: int | None = Field(description="How many contacts match, on the first page only")
    warnings: list[str]


class SegmentIn(BaseModel):
    model_config = _STRICT
    name: Name
    query: QueryText
    description: Description | None = None


class SegmentReplace(BaseModel):
    model_config = _STRICT
    query: QueryText
    description: Description | None = None


class SegmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    name: str
    query: str = Field(description="Normalised, as stored")
    description: str | None
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime


class FreezeIn(BaseModel):
    model_config = _STRICT
    query: QueryText
    list: Name = Field(description="The new static list; an existing one is a 409")


class FreezeOut(BaseModel):
    list: str
    contacts: int = Field(description="How many contacts were copied into the list")


class FieldOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    name: str
    type: str
    description: str


# -- what a query may name ------------------------------------------------------------------------
# -- counting and listing -------------------------------------------------------------------------
@router.get("/segments/count", response_model=CountOut)
def count_segment(q: Q, core: CoreDep, actor: ActorDep) -> CountOut:
    """How many contacts match, and the query's warnings. Meant to be called while typing."""
    return CountOut.of(core.segments.count(actor, q))


@router.get("/segments/contacts", response_model=SegmentContacts)
def segment_contacts(
    q: Q,
    core: CoreDep,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Contacts per page")] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> SegmentContacts:
    """A page of the matching contacts, oldest first; the first page also has the count.

    With a ``sendable`` condition a page may hold fewer than ``limit`` contacts and still have
    a ``next_cursor``.
    """
    page, count = core.segments.page(actor, q, limit=limit, cursor=cursor)
    if count is not None:
        warnings = count.warnings
    else:
        warnings = core.segments.prepare(actor, q).bound.warnings
    return SegmentContacts(
        items=page.items,
        next_cursor=page.next_cursor,
        count=count.count if count is not None else None,
        warnings=list(warnings),
    )


@router.get(
    "/segments/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The export file, as an attachment.",
            "content": {f.media_type.split(";")[0]: {} for f in EXPORT_FORMATS.values()},
        }
    },
)
def export_segment(
    q: Q,
    core: CoreDep,
    actor: ActorDep,
    format_: Annotated[
        str, Query(alias="format", max_length=16, description="csv, xlsx, vcard or jsonl")
    ] = "csv",
    columns: Annotated[
        str | None,
        Query(max_length=4000, description="Comma-separated columns, as for GET /export"),
    ] = None,
    numbers: Annotated[
        str, Query(max_length=16, description="e164 (default) or national")
    ] = "e164",
) -> StreamingResponse:
    """The matching contacts as a file, like GET /export (audited with the query)."""
    kind = export_format(format_)
    chosen = [c.strip() for c in columns.split(",")] if columns is not None else None

    def write(out: IO[bytes]) -> int:
        return core.segments.export(actor, q, out, kind.name, columns=chosen, number_format=numbers)

    return download(kind, write, "phonelist-segment")


@router.post("/segments/freeze", response_model=FreezeOut, status_code=201)
def freeze_segment(body: FreezeIn, core: CoreDep, actor: ActorDep) -> FreezeOut:
    """Copy the contacts the query selects now into a new static list (contacts.write)."""
    added = core.segments.freeze(actor, body.query, body.list)
    return FreezeOut(list=body.list.strip(), contacts=added)


@router.get("/segments/fields", response_model=list[FieldOut])
def segment_fields(core: CoreDep, actor: ActorDep) -> list[FieldOut]:
    """Every field a query may name, this workspace's custom fields included."""
    return [FieldOut.model_validate(f) for f in core.segments.fields(actor)]


# -- saved segments -------------------------------------------------------------------------------
@router.get("/segments", response_model=list[SegmentOut])
def list_segments(core: CoreDep, actor: ActorDep) -> list[SegmentOut]:
    """Every saved segment, by name."""
    return [SegmentOut.model_validate(s) for s in core.segments.all(actor)]


@router.post("/segments", response_model=SegmentOut, status_code=201)
def create_segment(
    body: SegmentIn, core: CoreDep, actor: ActorDep, response: Response
) -> SegmentOut:
    """Save a query under a name (segments.manage); a name in use is a 409."""
    saved = core.segments.save(actor, body.name, body.query, description=body.description)
    response.headers["Location"] = _location(saved)
    return SegmentOut.model_validate(saved)


@router.get("/segments/{name:path}/count", response_model=CountOut)
def count_saved_segment(name: NamePath, core: CoreDep, actor: ActorDep) -> CountOut:
    """How many contacts the saved segment holds now."""
    saved = core.segments.get(actor, name)  # a 404 for a name that is not saved
    return CountOut.of(core.segments.count(actor, saved.name))


@router.get("/segments/{name:path}", response_model=SegmentOut)
def get_segment(name: NamePath, core: CoreDep, actor: ActorDep) -> SegmentOut:
    return SegmentOut.model_validate(core.segments.get(actor, name))


@router.put(
    "/segments/{name:path}",
    response_model=SegmentOut,
    responses={201: {"description": "Created", "model": SegmentOut}},
)
def put_segment(
    name: NamePath, body: SegmentReplace, core: CoreDep, actor: ActorDep, response: Response
) -> SegmentOut:
    """Save the query under this name, replacing what it held: 201 when new, else 200."""
    saved = core.segments.save(actor, name, body.query, description=body.description, replace=True)
    if saved.created_at == saved.updated_at:  # one instant stamps both only on creation
        response.status_code = 201
        response.headers["Location"] = _location(saved)
    return SegmentOut.model_validate(saved)


@router.delete("/segments/{name:path}", status_code=204)
def delete_segment(name: NamePath, core: CoreDep, actor: ActorDep) -> Response:
    """Delete a saved segment (segments.manage); one that another segment uses is a 409."""
    core.segments.delete(actor, name)
    return Response(status_code=204)


def _location(saved: SavedSegment) -> str:
    return f"/api/v1/segments/{quote(saved.name, safe='')}"
