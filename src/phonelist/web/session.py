"""Who is signed in, and the CSRF token, kept in Starlette's signed session cookie.

The cookie holds the user's id (never a contact's data); the user is re-read from the store
on every request, so a disabled account or a changed role takes effect at once. Signing in
throws the old session away and starts a fresh one with a new id and CSRF token, so a session
planted before sign-in is worth nothing after. The cookie also holds when the session began:
a password reset ends every session that began before it.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from starlette.exceptions import HTTPException
from starlette.requests import Request

from phonelist.api.deps import CoreDep
from phonelist.clock import utcnow
from phonelist.errors import AuthenticationError, PermissionDenied
from phonelist.security.permissions import Actor

__all__ = [
    "CSRF_HEADER",
    "PageUser",
    "ScriptUser",
    "SignInFirst",
    "SignedIn",
    "check_csrf",
    "csrf_token",
    "end_session",
    "flash",
    "page_user",
    "pop_flashes",
    "script_user",
    "signed_in",
    "start_session",
]

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class SignedIn:
    actor: Actor
    username: str


def csrf_token(request: Request) -> str:
    """This session's CSRF token, made on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
        request.session.setdefault("sid", secrets.token_urlsafe(16))
    return token


def check_csrf(request: Request, given: str) -> None:
    expected = request.session.get("csrf")
    if not (
        isinstance(expected, str)
        and given
        and hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode())
    ):
        raise PermissionDenied(
            "this form has expired or did not come from this site; reload the page and try again",
            code="csrf_failed",
        )


def flash(request: Request, message: str) -> None:
    """A one-line notice for the next page shown (after a POST's redirect), e.g. "User added".

    The cookie is signed, not encrypted: never put a contact's data or a secret in a notice.
    """
    flashes = request.session.get("flashes")
    request.session["flashes"] = [*(flashes if isinstance(flashes, list) else []), message][-5:]


def pop_flashes(request: Request) -> list[str]:
    flashes = request.session.pop("flashes", None)
    return [str(text) for text in flashes] if isinstance(flashes, list) else []


def start_session(request: Request, actor: Actor, username: str) -> None:
    request.session.clear()
    request.session.update(
        {
            "sid": secrets.token_urlsafe(16),
            "csrf": secrets.token_urlsafe(32),
            "user": {
                "id": actor.ref,
                "role": actor.role.value,
                "workspace": actor.workspace_id,
                "name": username,
                "at": utcnow().isoformat(),  # sessions begun before a password reset end
            },
        }
    )


def end_session(request: Request) -> None:
    request.session.clear()


def signed_in(request: Request, core: CoreDep) -> SignedIn | None:
    """The signed-in user, re-read from the store: disabling or a role change is immediate."""
    user = request.session.get("user")
    if not isinstance(user, dict):
        return None
    try:
        at = dt.datetime.fromisoformat(str(user["at"])) if "at" in user else None
        found = core.users.actor_of(int(user["workspace"]), str(user["id"]), at)
    except (KeyError, TypeError, ValueError):
        return None
    if found is None:
        return None
    actor, username = found
    return SignedIn(actor=actor, username=username)


class SignInFirst(HTTPException):
    """Raised by :func:`page_user` without a session: answered with a redirect to /signin."""

    def __init__(self) -> None:
        super().__init__(status_code=303, headers={"Location": "/signin"})


def page_user(request: Request, core: CoreDep) -> SignedIn:
    """For a page: the signed-in user, or a redirect to the sign-in form.

    Use as ``me: PageUser``. Forms posted to the page still check their own ``csrf_token``
    field with :func:`check_csrf`.
    """
    me = signed_in(request, core)
    if me is None:
        raise SignInFirst()
    return me


def script_user(request: Request, core: CoreDep) -> SignedIn:
    """For the JSON a page's script calls (``/web/api/...``): the session, not a bearer token.

    Without a session the answer is a 401. A request that changes anything (any method but
    GET, HEAD and OPTIONS) must carry the session's CSRF token in the ``X-CSRF-Token`` header,
    which scripts read from ``<meta name="csrf-token">`` (static/app.js: ``phonelist.fetchJSON``).
    """
    me = signed_in(request, core)
    if me is None:
        raise AuthenticationError("sign in first: this session has ended")
    if request.method not in SAFE_METHODS:
        check_csrf(request, request.headers.get(CSRF_HEADER, ""))
    return me


PageUser = Annotated[SignedIn, Depends(page_user)]
ScriptUser = Annotated[SignedIn, Depends(script_user)]
