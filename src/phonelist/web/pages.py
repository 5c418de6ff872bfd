"""Templates, static files, and the web face's one error page."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

__all__ = ["PAGE_PATHS", "error_page", "render", "serves_page", "static_files"]

HERE = Path(__file__).parent
PAGE_PATHS = frozenset({"/", "/signin", "/signout", "/contacts"})


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
    return _templates().TemplateResponse(
        request, name, context, status_code=status_code, headers=headers
    )


def static_files() -> StaticFiles:
    return StaticFiles(directory=HERE / "static")


def serves_page(path: str) -> bool:
    """Whether errors on ``path`` are shown as a page rather than as API JSON."""
    return path in PAGE_PATHS or path.startswith("/static/")


def error_page(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    return render(
        request,
        "error.html",
        {"status": status, "message": message, "me": None},
        status_code=status,
        headers=headers,
    )
