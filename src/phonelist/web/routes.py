"""The pages: sign in, sign out, and the contact list with search and pagination."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from phonelist.api.deps import CoreDep
from phonelist.contacts.service import Page
from phonelist.core import DEFAULT_WORKSPACE
from phonelist.errors import AuthenticationError, ValidationError
from phonelist.web.pages import render
from phonelist.web.session import (
    SignedIn,
    check_csrf,
    csrf_token,
    end_session,
    signed_in,
    start_session,
)
from phonelist.web.throttle import SignInThrottle

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
FormText = Annotated[str, Form()]
Me = Annotated[SignedIn | None, Depends(signed_in)]


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/")
def home() -> RedirectResponse:
    return _see_other("/contacts")


@router.get("/signin", response_model=None)
def signin_form(request: Request, me: Me) -> Response:
    if me is not None:
        return _see_other("/contacts")
    return render(request, "signin.html", _form(request, username="", error=None))


@router.post("/signin", response_model=None)
def signin(
    request: Request,
    core: CoreDep,
    username: FormText = "",
    password: FormText = "",
    code: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    check_csrf(request, csrf_token)
    wait = _throttle(request).hit(request.client.host if request.client else "-")
    if wait is not None:
        message = f"Too many sign-in attempts from your address; try again in {wait} seconds."
        context = _form(request, username=username, error=message)
        headers = {"Retry-After": str(wait)}
        return render(request, "signin.html", context, status_code=429, headers=headers)
    try:
        actor = core.users.sign_in(DEFAULT_WORKSPACE, username, password, code.strip() or None)
    except AuthenticationError as exc:
        context = _form(request, username=username, error=exc.message)
        return render(request, "signin.html", context, status_code=401)
    start_session(request, actor, username)
    return _see_other("/contacts")


@router.post("/signout")
def signout(request: Request, csrf_token: FormText = "") -> RedirectResponse:
    check_csrf(request, csrf_token)
    end_session(request)
    return _see_other("/signin")


@router.get("/contacts", response_model=None)
def contacts(request: Request, core: CoreDep, me: Me, q: str = "", cursor: str = "") -> Response:
    if me is None:
        return _see_other("/signin")
    error, status = None, 200
    try:
        if q.strip():
            page = core.contacts.search(me.actor, q, limit=PAGE_SIZE)
        else:
            page = core.contacts.page(me.actor, limit=PAGE_SIZE, cursor=cursor or None)
    except ValidationError as exc:
        page, error, status = Page(items=[], next_cursor=None), exc.message, 422
    context = {
        "me": me,
        "csrf_token": csrf_token(request),
        "q": q,
        "cursor": cursor,
        "page": page,
        "error": error,
    }
    return render(
        request,
        "contacts.html",
        context,
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


def _throttle(request: Request) -> SignInThrottle:
    """The app's sign-in throttle, made on first use (one per app, so one per test client)."""
    throttle = getattr(request.app.state, "sign_in_throttle", None)
    if not isinstance(throttle, SignInThrottle):
        throttle = request.app.state.sign_in_throttle = SignInThrottle()
    return throttle


def _form(request: Request, *, username: str, error: str | None) -> dict[str, object]:
    return {"me": None, "csrf_token": csrf_token(request), "username": username, "error": error}
