"""The contact list: search, a segment filter with a live count, pagination and bulk actions.

- ``GET /contacts`` shows one page of contacts: all of them (a cursor pages on), those a search
  finds (``q``), or those a segment query selects (``segment``, with its count). Numbers are as
  the core gives them: masked for roles without contacts.numbers (agents).
- ``GET /web/api/segments/count?q=`` is the live count the page's script asks for while the
  user types a segment query; for a query that cannot be read it gives the message, the
  0-based position and a caret line, shown under the field.
- ``POST /contacts/bulk`` tags the selected contacts, adds them to a list, or deletes them
  (after a confirmation page). The core checks each permission; every form carries its CSRF
  token.

The contact page itself is in :mod:`phonelist.web.contact_page`, included here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from phonelist.api.deps import CoreDep
from phonelist.contacts.commands import AddToLists, DeleteContact, TagContact
from phonelist.contacts.service import Page
from phonelist.core import Phonelist
from phonelist.errors import NotFound, ValidationError
from phonelist.security.permissions import Permission
from phonelist.segments import QueryError
from phonelist.segments.errors import where
from phonelist.web import contact_page
from phonelist.web.pages import render
from phonelist.web.session import PageUser, ScriptUser, SignedIn, check_csrf

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
router.include_router(contact_page.router)

PAGE_SIZE = 50
MAX_SELECTED = 200  # contacts one bulk action may touch (four pages' worth)
MAX_QUERY = 8_000  # as the API: room above the parser's own limit, so it explains the error
FormText = Annotated[str, Form()]
# What a bulk action reports back, by code: the redirect carries the code and a count, never text.
DONE = {
    "tagged": "Tagged {n} contact(s).",
    "listed": "Added {n} contact(s) to the list.",
    "deleted": "Deleted {n} contact(s).",
    "erased": "The contact was erased; its numbers stay suppressed.",
}


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/contacts", response_model=None)
def contacts(
    request: Request,
    core: CoreDep,
    me: PageUser,
    q: str = "",  # the core says what is wrong with a search, shown next to the box
    segment: Annotated[str, Query(max_length=MAX_QUERY)] = "",
    cursor: str = "",
    done: Annotated[str, Query(max_length=20)] = "",
    n: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    actor = me.actor
    page, count = Page(items=[], next_cursor=None), None
    warnings: tuple[str, ...] = ()
    error: str | None = None
    query_error: dict[str, Any] | None = None
    status = 200
    try:
        if segment.strip():
            page, counted = core.segments.page(
                actor, segment, limit=PAGE_SIZE, cursor=cursor or None
            )
            if counted is not None:
                count, warnings = counted.count, counted.warnings
        elif q.strip():
            page = core.contacts.search(actor, q, limit=PAGE_SIZE)
        else:
            page = core.contacts.page(actor, limit=PAGE_SIZE, cursor=cursor or None)
    except QueryError as exc:
        query_error, status = _query_error(exc), 422
    except ValidationError as exc:
        error, status = exc.message, 422
    context = {
        "me": me,
        "q": q,
        "segment": segment,
        "cursor": cursor,
        "page": page,
        "count": count,
        "warnings": list(warnings),
        "error": error,
        "query_error": query_error,
        "notice": _notice(done, n),
        "can_write": actor.can(Permission.CONTACTS_WRITE),
        "can_delete": actor.can(Permission.CONTACTS_DELETE),
        "masked": not actor.can(Permission.CONTACTS_NUMBERS),
        "back": _here(request),
    }
    return render(request, "contacts/list.html", context, status_code=status, headers=_NO_STORE)


@router.get("/web/api/segments/count", response_model=None)
def segment_count(
    core: CoreDep, me: ScriptUser, q: Annotated[str, Query(max_length=MAX_QUERY)] = ""
) -> Response:
    """How many contacts a segment query selects, for the live count (no audit event).

    A query that cannot be read is answered 200 with an ``error`` rather than a 422: bad queries
    are expected while someone types, and a 4xx would be a console error in the browser.
    """
    if not q.strip():
        return _counted(None, [], None)
    try:
        counted = core.segments.count(me.actor, q)
    except QueryError as exc:
        return _counted(None, [], _query_error(exc))
    return _counted(counted.count, list(counted.warnings), None)


def _counted(count: int | None, warnings: list[str], error: dict[str, Any] | None) -> Response:
    body = {"count": count, "warnings": warnings, "error": error}
    return JSONResponse(body, headers=_NO_STORE)


@router.post("/contacts/bulk", response_model=None)
def bulk(
    request: Request,
    core: CoreDep,
    me: PageUser,
    csrf_token: FormText = "",
    action: FormText = "",
    name: FormText = "",
    ids: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
    confirm: FormText = "",
    back: FormText = "",
) -> Response:
    check_csrf(request, csrf_token)
    back = back if _is_list_url(back) else "/contacts"
    chosen = list(dict.fromkeys(i for i in ids if i))
    try:
        if not chosen:
            raise ValidationError("select at least one contact", field="ids")
        if len(chosen) > MAX_SELECTED:
            raise ValidationError(f"select at most {MAX_SELECTED} contacts", field="ids")
        if action == "delete":
            me.actor.require(Permission.CONTACTS_DELETE)
            if confirm != "yes":
                context = {"me": me, "ids": chosen, "back": back}
                return render(request, "contacts/confirm_delete.html", context, headers=_NO_STORE)
            done = _apply_each(core, me, "delete", chosen, "")
        elif action in ("tag", "list"):
            if not name.strip():
                label = "a tag" if action == "tag" else "a list"
                raise ValidationError(f"give {label} name", field="name")
            done = _apply_each(core, me, "tag" if action == "tag" else "list", chosen, name.strip())
        else:
            raise ValidationError("choose an action: tag, list or delete", field="action")
    except ValidationError as exc:
        context = {"me": me, "message": exc.message, "back": back}
        return render(request, "contacts/bulk_error.html", context, status_code=422)
    code = {"tag": "tagged", "list": "listed", "delete": "deleted"}[action]
    joiner = "&" if "?" in back else "?"
    return _see_other(f"{back}{joiner}done={code}&n={done}")


def _apply_each(
    core: Phonelist,
    me: SignedIn,
    action: Literal["tag", "list", "delete"],
    ids: list[str],
    name: str,
) -> int:
    """Apply one command per contact (each its own transaction and audit event).

    A contact gone meanwhile (deleted in another tab) is skipped; any other error stops the
    action where it is and is shown.
    """
    done = 0
    for contact_id in ids:
        command: TagContact | AddToLists | DeleteContact
        if action == "tag":
            command = TagContact(contact_id, (name,))
        elif action == "list":
            command = AddToLists(contact_id, (name,))
        else:
            command = DeleteContact(contact_id)
        try:
            core.contacts.apply(me.actor, command)
        except NotFound:
            continue
        done += 1
    return done


def _query_error(exc: QueryError) -> dict[str, Any]:
    return {
        "message": exc.message,
        "position": exc.pos,
        "end": exc.end,
        "suggestion": exc.suggestion,
        "at": where(exc.query, exc.pos),
        "caret": exc.caret(),
    }


def _notice(done: str, n: int) -> str | None:
    template = DONE.get(done)
    return template.format(n=n) if template else None


def _here(request: Request) -> str:
    """This list's URL without the notice, for the bulk form to come back to."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("done", "n")]
    return "/contacts" + (f"?{urlencode(kept)}" if kept else "")


def _is_list_url(url: str) -> bool:
    """Only our own list page: never an open redirect to another site."""
    return url == "/contacts" or url.startswith("/contacts?")


_NO_STORE = {"Cache-Control": "no-store"}
