"""Templates, static files, and the web face's one error page."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from phonelist.web.session import SignedIn, csrf_token, pop_flashes, signed_in

__all__ = ["NOT_PAGES", "error_page", "render", "serves_page", "static_files"]

HERE = Path(__file__).parent
# Everything else is a page (errors shown as HTML): the API, the webhooks, the probes and the
# JSON for page scripts answer errors in the API's JSON shape.
NOT_PAGES = ("/api/", "/web/api/", "/webhooks/")
PROBES = frozenset({"/healthz", "/readyz"})


@cache
def _templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    return Jinja2Templates(env=env)


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """Render ``templates/<name>``; ``me`` (None), ``csrf_token`` and ``flashes`` are added.

    base.html needs them: ``me`` for the navigation, ``csrf_token`` for the sign-out form and
    the ``<meta name="csrf-token">`` that page scripts send back in ``X-CSRF-Token``, and the
    notices left by :func:`phonelist.web.session.flash`.
    """
    context = {"me": None, **context}
    has_session = "session" in request.scope  # not outside its middleware (body limit, 500s)
    if "csrf_token" not in context:  # no cookie is made for a visitor who is not signed in
        wanted = has_session and (context["me"] is not None or "csrf" in request.session)
        context["csrf_token"] = csrf_token(request) if wanted else ""
    if "flashes" not in context:
        context["flashes"] = pop_flashes(request) if has_session else []
    return _templates().TemplateResponse(
        request, name, context, status_code=status_code, headers=headers
    )


def static_files() -> StaticFiles:
    return StaticFiles(directory=HERE / "static")


def serves_page(path: str) -> bool:
    """Whether errors on ``path`` are shown as a page rather than as API JSON."""
    if path in PROBES:
        return False
    return not any(path.startswith(prefix) or path == prefix[:-1] for prefix in NOT_PAGES)


def error_page(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    location = (headers or {}).get("Location")
    if 300 <= status < 400 and location:  # SignInFirst: a page that needs a session
        return RedirectResponse(location, status_code=status)
    return render(
        request,
        "error.html",
        {"status": status, "message": message, "me": _signed_in_quietly(request)},
        status_code=status,
        headers=headers,
    )


def _signed_in_quietly(request: Request) -> SignedIn | None:
    """Who is signed in, for the error page's navigation; None when that cannot be known."""
    if "session" not in request.scope:
        return None
    try:
        return signed_in(request, request.app.state.core)
    except Exception:  # the error may be the store itself being down
        return None
