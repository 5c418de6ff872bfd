"""How the CLI talks back: JSON or Rich output, and the one place where errors become exit codes.

Every command is wrapped by :func:`guarded`. A :class:`~phonelist.errors.PhonelistError` becomes
one line on stderr (``error: ...``), plus ``{"error": {...}}`` on stdout under ``--json``, and
the error's ``exit_code``. Anything else becomes ``error: unexpected failure: <type>`` and
exit 1: never a traceback.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import sys
import unicodedata
from collections.abc import Callable
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console

from phonelist.errors import (
    AuthenticationError,
    ConfigError,
    Conflict,
    NotFound,
    PermissionDenied,
    PhonelistError,
    StoreError,
    ValidationError,
)

__all__ = [
    "EXIT_CODES",
    "Interrupted",
    "JsonFlag",
    "UsageProblem",
    "clean",
    "confirm",
    "emit_json",
    "fail",
    "guarded",
    "stderr",
    "stdout",
    "timestamp",
]

P = ParamSpec("P")
R = TypeVar("R")

MAX_MESSAGE = 500

JsonFlag = Annotated[
    bool, typer.Option("--json", help="Print machine-readable JSON on stdout instead of text.")
]


class UsageProblem(PhonelistError):
    """The command line itself is wrong or incomplete (a face error: the core never raises it)."""

    code = "usage"
    status = 400
    exit_code = 2


class Interrupted(PhonelistError):
    """Ctrl-C; what was committed stays committed."""

    code = "interrupted"
    exit_code = 130


EXIT_CODES: list[tuple[int, str]] = [
    (0, "success"),
    (PhonelistError.exit_code, "unexpected failure (a bug: please report it)"),
    (UsageProblem.exit_code, "usage error: unknown option, missing argument, refused prompt"),
    (NotFound.exit_code, "not found: no contact, token or field with that id or name"),
    (Conflict.exit_code, "conflict: e.g. the number already belongs to another contact"),
    (ValidationError.exit_code, "invalid input; the message names the field"),
    (ConfigError.exit_code, "configuration: not initialised, bad settings, unreadable keys"),
    (AuthenticationError.exit_code, "authentication failed"),
    (PermissionDenied.exit_code, "forbidden: the role may not do this"),
    (StoreError.exit_code, "the database is unavailable"),
    (Interrupted.exit_code, "interrupted (Ctrl-C)"),
]


def stdout() -> Console:
    """A console for results. Built per call, so it writes to whatever sys.stdout is now."""
    return Console(highlight=False, emoji=False)


def stderr() -> Console:
    return Console(stderr=True, highlight=False, emoji=False)


def clean(text: str, limit: int = MAX_MESSAGE) -> str:
    """One printable line: control characters and lone surrogates escaped, length capped."""
    if len(text) > limit:
        text = text[:limit] + f"... ({len(text) - limit} more characters)"
    return "".join(
        char.encode("unicode_escape").decode("ascii")
        if unicodedata.category(char) in ("Cc", "Cs")
        else char
        for char in text
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def emit_json(data: Any) -> None:
    """Print ``data`` as JSON on stdout. Text is kept as is (not \\u-escaped)."""
    text = json.dumps(data, default=_jsonable, ensure_ascii=False, indent=2)
    # A lone surrogate cannot be encoded; backslashreplace writes it as a JSON \\udcXX escape.
    typer.echo(text.encode("utf-8", "backslashreplace").decode("utf-8"))


def timestamp(value: dt.datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value is not None else ""


def message_of(error: PhonelistError) -> str:
    """The message, prefixed with the field path when the message does not already name it."""
    field = error.field
    if field and ("." in field or "[" in field) and field not in error.message:
        return f"{field}: {error.message}"
    return error.message


def fail(error: PhonelistError, *, as_json: bool) -> NoReturn:
    """Report ``error`` (one line on stderr; JSON on stdout too under --json) and exit."""
    if as_json:
        emit_json({"error": error.to_dict()})
    typer.echo(f"error: {clean(message_of(error))}", err=True)
    raise typer.Exit(error.exit_code)


def guarded(command: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command so that every failure ends as a one-line message and its exit code."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        as_json = bool(kwargs.get("as_json", False))
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except PhonelistError as error:
            fail(error, as_json=as_json)
        except KeyboardInterrupt:
            fail(Interrupted("interrupted"), as_json=as_json)
        except Exception as error:
            unexpected = PhonelistError(
                f"unexpected failure: {type(error).__name__}", code="unexpected"
            )
            fail(unexpected, as_json=as_json)

    return run


def confirm(question: str, *, yes: bool, refusal: str) -> None:
    """Go on when ``--yes`` was given or a person at a terminal agrees; else stop.

    Without a terminal there is nobody to ask, so the command is refused (exit 2) rather than
    assumed: ``refusal`` says what was not done.
    """
    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageProblem(f"{refusal}: stdin is not a terminal, so pass --yes to confirm")
    if not typer.confirm(question, default=False, err=True):
        typer.echo(f"cancelled: {refusal}", err=True)
        raise typer.Exit(1)
