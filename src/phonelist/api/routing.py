"""The API's routers: under ``/api/v1``, with JSON bodies that must be UTF-8 (RFC 8259).

Python's ``json.loads`` on bytes also accepts UTF-16 and UTF-32, and lets UTF-8-encoded
surrogates through; decoding strictly first makes all of those a 400 ``malformed_json``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

__all__ = ["API_PREFIX", "StrictJSONRoute", "api_router"]

API_PREFIX = "/api/v1"


class _StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            # A UnicodeDecodeError here becomes FastAPI's 400 "error parsing the body".
            self._json = json.loads((await self.body()).decode("utf-8"))
        return self._json


class StrictJSONRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(_StrictJSONRequest(request.scope, request.receive))

        return strict


def api_router(*, tags: list[str] | None = None) -> APIRouter:
    """A router for part of the API.

    The prefix is given here rather than when the router is included, so that each route's own
    path, which the access log shows, is the full template.
    """
    return APIRouter(prefix=API_PREFIX, tags=list(tags or []), route_class=StrictJSONRoute)
