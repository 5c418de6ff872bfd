"""ASGI middleware shared by the API and the web pages: body limit, headers, logging, last resort.

Plain ASGI classes rather than ``BaseHTTPMiddleware``, so that request bodies stream through
them and sync endpoints keep running in the threadpool.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from phonelist.api.errors import log_unexpected

__all__ = [
    "EMBEDDABLE_PREFIXES",
    "FRAME_ANCESTORS_HEADER",
    "AccessLog",
    "BodyLimit",
    "BodyTooLarge",
    "LastResort",
    "SecurityHeaders",
]

access_logger = logging.getLogger("phonelist.access")

CSP = (
    "default-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'"
)
# The interactive API docs load Swagger UI from a CDN and start it with an inline script;
# only that one page gets a policy that allows them.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)

# The public opt-in form may be embedded in other sites: a response on a path under one of
# these prefixes may name the allowed embedders in this (internal, removed) header, e.g.
# "https://shop.example"; the middleware puts them in frame-ancestors and drops X-Frame-Options.
EMBEDDABLE_PREFIXES = ("/join/",)
FRAME_ANCESTORS_HEADER = "x-phonelist-frame-ancestors"
_SOURCES = re.compile(r"[A-Za-z0-9:/.*'_-]+( [A-Za-z0-9:/.*'_-]+)*")

ErrorRenderer = Callable[[Request, Exception], Response]


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes the limit; rendered as a 413.

    An ``HTTPException`` so that FastAPI's body reader passes it on unchanged instead of
    turning it into a 400.
    """

    def __init__(self) -> None:
        super().__init__(status_code=413)


class BodyLimit:
    """Refuse bodies over ``max_bytes``: by Content-Length up front, and while streaming."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        render: ErrorRenderer,
        uploads: tuple[str | tuple[str, ...], int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.render = render
        self.uploads = uploads  # (path prefix, larger limit) for file uploads

    def limit_for(self, path: str) -> int:
        if self.uploads is not None and path.startswith(self.uploads[0]):
            return self.uploads[1]
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self.render(Request(scope), BodyTooLarge())(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, tracked)
        except BodyTooLarge as exc:
            # Read outside the exception handlers' reach (e.g. by a middleware): answer here.
            if started:
                raise
            await self.render(Request(scope), exc)(scope, receive, send)


class SecurityHeaders:
    """Security headers on every response; HSTS only when the site is served over HTTPS.

    Everything but the static files is also marked ``no-store``: it may hold personal data.
    """

    def __init__(self, app: ASGIApp, *, hsts: bool, docs_path: str) -> None:
        self.app = app
        self.hsts = hsts
        self.docs_path = docs_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_CSP if scope["path"] == self.docs_path else CSP
        cacheable = scope["path"].startswith("/static/")
        embeddable = scope["path"].startswith(EMBEDDABLE_PREFIXES)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                ancestors = headers.get(FRAME_ANCESTORS_HEADER, "")
                if FRAME_ANCESTORS_HEADER in headers:
                    del headers[FRAME_ANCESTORS_HEADER]
                framed = embeddable and _SOURCES.fullmatch(ancestors) is not None
                headers["Content-Security-Policy"] = (
                    policy.replace("frame-ancestors 'none'", f"frame-ancestors {ancestors}")
                    if framed
                    else policy
                )
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                if not framed:
                    headers["X-Frame-Options"] = "DENY"
                if not cacheable:  # pages and API answers may hold personal data
                    headers.setdefault("Cache-Control", "no-store")
                if self.hsts:
                    headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
            await send(message)

        await self.app(scope, receive, with_headers)


class AccessLog:
    """One line per request: method, route template (never the query string), status, time.

    The template (``/api/v1/contacts/{contact_id}``) rather than the path keeps search text,
    numbers and names typed into URLs out of the log.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def tracked(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        finally:
            access_logger.info(
                "%s %s %d %.1fms",
                scope["method"],
                _template(scope, status),
                status,
                (time.perf_counter() - started) * 1000,
            )


def _template(scope: Scope, status: int) -> str:
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str):
        return path
    # Without an API route: the OpenAPI and docs pages and static files answer 2xx, and their
    # paths are our own names; any other path is the client's text, not logged.
    return str(scope["path"]) if 200 <= status < 300 else "(unmatched)"


class LastResort:
    """Turn any exception that no handler took into a 500 in the face's own shape.

    Starlette's own last handler re-raises after answering, which would print the exception
    (and its message, which may hold personal data) through the server's logger.
    """

    def __init__(self, app: ASGIApp, *, render: ErrorRenderer) -> None:
        self.app = app
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            log_unexpected(exc, f"{scope['method']} {_template(scope, 500)}")
            if started:
                return  # too late to answer; the server closes the unfinished response
            await self.render(Request(scope), exc)(scope, receive, send)
