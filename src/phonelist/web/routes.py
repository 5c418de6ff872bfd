"""The pages: home, sign in and sign out (the contact list is in contacts.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from phonelist.api.deps import CoreDep
from phonelist.core import DEFAULT_WORKSPACE
from phonelist.errors import AuthenticationError
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

FormText = Annotated[str, Form()]
Me = Annotated[SignedIn | None, Depends(signed_in)]


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/")
def home(me: Me) -> RedirectResponse:
    return _see_other("/dashboard" if me is not None else "/signin")


@router.get("/favicon.ico")
def favicon() -> RedirectResponse:
    """Browsers ask for /favicon.ico on pages that name no icon (a 404 is a console error)."""
    return RedirectResponse("/static/favicon.svg", status_code=301)


@router.get("/signin", response_model=None)
def signin_form(request: Request, me: Me) -> Response:
    if me is not None:
        return _see_other("/dashboard")
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
    return _see_other("/dashboard")


@router.post("/signout")
def signout(request: Request, csrf_token: FormText = "") -> RedirectResponse:
    check_csrf(request, csrf_token)
    end_session(request)
    return _see_other("/signin")


def _throttle(request: Request) -> SignInThrottle:
    """The app's sign-in throttle, made on first use (one per app, so one per test client)."""
    throttle = getattr(request.app.state, "sign_in_throttle", None)
    if not isinstance(throttle, SignInThrottle):
        throttle = request.app.state.sign_in_throttle = SignInThrottle()
    return throttle


def _form(request: Request, *, username: str, error: str | None) -> dict[str, object]:
    return {"me": None, "csrf_token": csrf_token(request), "username": username, "error": error}
