"""The API's one error shape, and the one place every error becomes it.

    {"error": {"code": str, "message": str, "field": str | null, "details": {}}}

:func:`problem_of` turns any exception into a :class:`Problem` (status, headers and that body);
:func:`json_error` renders it. Messages never echo the input, which may be personal data or a
megabyte of junk, and unexpected errors say only "internal error": their type and stack (never
their message, which may hold personal data) go to the server log.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from dataclasses import field as default
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from phonelist.errors import AuthenticationError, PhonelistError

__all__ = ["Problem", "field_path", "json_error", "log_unexpected", "problem_of"]

logger = logging.getLogger("phonelist.api")

_HTTP_CODES = {
    400: "malformed_json",  # only the body parsers raise a bare 400 here
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
}
_HTTP_MESSAGES = {
    400: "the request body is not valid JSON in UTF-8",
    404: "no such page or endpoint",
    405: "this method is not allowed here",
    413: "the request body is too large",
}
_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})
_MAX_PART = 64


@dataclass(frozen=True, slots=True)
class Problem:
    status: int
    code: str
    message: str
    field: str | None = None
    details: dict[str, Any] = default(default_factory=dict)
    headers: dict[str, str] = default(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "field": self.field,
                "details": self.details,
            }
        }


def problem_of(exc: Exception) -> Problem:
    """What the client is told about ``exc``."""
    if isinstance(exc, PhonelistError):
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, AuthenticationError) else {}
        return Problem(exc.status, exc.code, exc.message, exc.field, exc.details, headers)
    if isinstance(exc, RequestValidationError):
        return _invalid_request(exc)
    if isinstance(exc, HTTPException):
        status = exc.status_code
        message = _HTTP_MESSAGES.get(status) or (
            exc.detail if isinstance(exc.detail, str) else "the request was refused"
        )
        return Problem(
            status,
            _HTTP_CODES.get(status, "http_error"),
            message,
            headers=dict(exc.headers or {}),
        )
    return Problem(500, "internal", "internal error; the server log has the details")


def json_error(problem: Problem) -> JSONResponse:
    return JSONResponse(problem.body(), status_code=problem.status, headers=problem.headers)


def log_unexpected(exc: BaseException, where: str) -> None:
    """Log an unexpected error by type and stack only: its message may hold personal data."""
    stack = "".join(traceback.format_tb(exc.__traceback__))
    logger.error("unexpected %s in %s\n%s", type(exc).__name__, where, stack.rstrip())


def field_path(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """``("body", "phones", 0, "number")`` -> ``phones[0].number``.

    Parts can be input (the keys of ``custom``), so long ones are cut short.
    """
    parts = [p for p in loc if p != "[key]"]
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
    text = ""
    for part in parts:
        if isinstance(part, str) and len(part) > _MAX_PART:
            part = part[:_MAX_PART] + "…"
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _invalid_request(exc: RequestValidationError) -> Problem:
    errors = exc.errors()
    first = errors[0] if errors else {}
    kind = first.get("type", "")
    if kind == "json_invalid":
        reason = first.get("ctx", {}).get("error", "")
        message = "the request body is not valid JSON" + (f": {reason}" if reason else "")
        return Problem(400, "malformed_json", message)
    path = field_path(tuple(first.get("loc", ())))
    if kind == "extra_forbidden":
        message = "unknown field"
    elif kind == "missing" and not path:
        message = "a JSON request body is required"
    else:
        message = str(first.get("msg", "invalid input")).removeprefix("Value error, ")
    return Problem(
        422,
        "invalid",
        f"{path}: {message}" if path else message,
        path or None,
        {"errors": len(errors)},
    )
