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

from starlette.requests import Request

from phonelist.api.deps import CoreDep
from phonelist.clock import utcnow
from phonelist.errors import PermissionDenied
from phonelist.security.permissions import Actor

__all__ = ["SignedIn", "check_csrf", "csrf_token", "end_session", "signed_in", "start_session"]

CSRF_FIELD = "csrf_token"


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
