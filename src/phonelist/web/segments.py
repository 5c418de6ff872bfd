"""The segment editor: saved segments with their counts now, and an editor whose query is
counted while it is typed, with the parser's error shown under it and a caret at the place.

The live count is ``GET /web/api/segments/editor-count`` (session-authenticated). A query that
cannot be read is answered 200 with an ``error`` (message, position, caret) rather than a 422: the
editor expects bad queries while someone types, and a 4xx would be a console error.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from phonelist.api.deps import CoreDep
from phonelist.core import Phonelist
from phonelist.errors import PhonelistError, ValidationError
from phonelist.security.permissions import Permission
from phonelist.segments.errors import QueryError, where
from phonelist.web.pages import render
from phonelist.web.session import PageUser, ScriptUser, SignedIn, check_csrf, csrf_token, flash

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]
MAX_QUERY = 8_000  # as the API: room above the parser's own limit, so it gives the error


@router.get("/segments", response_model=None)
def segments_page(
    request: Request,
    core: CoreDep,
    me: PageUser,
    name: Annotated[str, Query(max_length=300)] = "",
) -> Response:
    """Every saved segment with its count; the editor, holding ``name``'s query if given."""
    editing = core.segments.get(me.actor, name) if name else None
    form = {
        "name": editing.name if editing else "",
        "query": editing.query if editing else "",
        "description": (editing.description or "") if editing else "",
        "original": editing.name if editing else "",
    }
    return _page(request, core, me, form, errors={})


@router.post("/segments/save", response_model=None)
def save(
    request: Request,
    core: CoreDep,
    me: PageUser,
    name: FormText = "",
    query: Annotated[str, Form(max_length=MAX_QUERY)] = "",
    description: FormText = "",
    original: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    check_csrf(request, csrf_token)
    form = {"name": name, "query": query, "description": description, "original": original}
    try:
        if not query.strip():
            raise ValidationError("write a query, e.g. country = PT tag = vip", field="query")
        saved = core.segments.save(
            me.actor,
            name,
            query,
            description=description.strip() or None,
            replace=bool(original) and original == name.strip(),
        )
    except QueryError as exc:
        return _page(request, core, me, form, errors={"query": _query_error(exc)}, status=422)
    except ValidationError as exc:
        field = exc.field if exc.field in ("name", "description") else "query"
        errors = {field: {"message": exc.message, "caret": None, "where": None}}
        return _page(request, core, me, form, errors=errors, status=422)
    except PhonelistError as exc:
        if exc.status != 409:  # a name in use: shown next to the name
            raise
        errors = {"name": {"message": exc.message, "caret": None, "where": None}}
        return _page(request, core, me, form, errors=errors, status=409)
    flash(request, f"Segment '{saved.name}' saved.")
    return RedirectResponse("/segments", status_code=303)


@router.post("/segments/delete", response_model=None)
def delete(
    request: Request, core: CoreDep, me: PageUser, name: FormText = "", csrf_token: FormText = ""
) -> Response:
    check_csrf(request, csrf_token)
    core.segments.delete(me.actor, name)
    flash(request, f"Segment '{name}' deleted.")
    return RedirectResponse("/segments", status_code=303)


@router.get("/web/api/segments/editor-count")
def live_count(
    core: CoreDep, me: ScriptUser, q: Annotated[str, Query(max_length=MAX_QUERY)] = ""
) -> JSONResponse:
    """How many contacts the query matches now, or why it cannot be read."""
    if not q.strip():
        return JSONResponse({"count": None, "warnings": [], "error": None})
    try:
        count = core.segments.count(me.actor, q)
    except QueryError as exc:
        return JSONResponse({"count": None, "warnings": [], "error": _query_error(exc)})
    except ValidationError as exc:
        error = {"message": exc.message, "caret": None, "where": None}
        return JSONResponse({"count": None, "warnings": [], "error": error})
    return JSONResponse({"count": count.count, "warnings": list(count.warnings), "error": None})


def _query_error(exc: QueryError) -> dict[str, Any]:
    return {
        "message": exc.message,
        "caret": exc.caret(),
        "where": where(exc.query, exc.pos),
        "position": exc.pos,
        "end": exc.end,
        "suggestion": exc.suggestion,
    }


def _page(
    request: Request,
    core: Phonelist,
    me: SignedIn,
    form: dict[str, str],
    *,
    errors: dict[str, dict[str, Any]],
    status: int = 200,
) -> Response:
    saved = []
    for segment in core.segments.all(me.actor):
        try:
            count: int | None = core.segments.count(me.actor, segment.name).count
            problem = None
        except ValidationError as exc:  # e.g. a custom field it names was removed since
            count, problem = None, exc.message
        saved.append({"segment": segment, "count": count, "problem": problem})
    live = None
    if form["query"].strip() and "query" not in errors:
        try:
            live = core.segments.count(me.actor, form["query"]).count
        except QueryError as exc:
            errors = {**errors, "query": _query_error(exc)}
        except ValidationError as exc:
            errors = {**errors, "query": {"message": exc.message, "caret": None, "where": None}}
    context = {
        "me": me,
        "csrf_token": csrf_token(request),
        "saved": saved,
        "form": form,
        "errors": errors,
        "live": live,
        "fields": core.segments.fields(me.actor),
        "can_manage": me.actor.can(Permission.SEGMENTS_MANAGE),
    }
    return render(request, "segments/index.html", context, status_code=status)
