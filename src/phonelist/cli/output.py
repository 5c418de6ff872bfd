"""How the CLI talks back: JSON or Rich output, and the one place where errors become exit codes.

Every command is wrapped by :func:`guarded`. A :class:`~phonelist.errors.PhonelistError` becomes
one line on stderr (``error: ...``; a segment query error adds the query with a caret under
the bad token), plus ``{"error": {...}}`` on stdout under ``--json``, and
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
from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from phonelist.contacts.schemas import ContactOut, PhoneOut
from phonelist.errors import (
    AuthenticationError,
    BackupError,
    ConfigError,
    Conflict,
    NotFound,
    PermissionDenied,
    PhonelistError,
    StoreError,
    ValidationError,
)
from phonelist.segments.errors import QueryError, where

__all__ = [
    "EXIT_CODES",
    "Interrupted",
    "JsonFlag",
    "UsageProblem",
    "clean",
    "confirm",
    "contact_card",
    "contact_table",
    "emit_json",
    "fail",
    "guarded",
    "is_interactive",
    "read_stdin",
    "show_contact",
    "show_contacts",
    "show_secret",
    "stderr",
    "stdout",
    "timestamp",
]

P = ParamSpec("P")
R = TypeVar("R")

MAX_MESSAGE = 500

JsonFlag = Annotated[
    bool,
    typer.Option(
        "--json", metavar="", help="Print machine-readable JSON on stdout instead of text."
    ),
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


EXIT_CODES: list[tuple[int, str, str]] = [
    (0, "ok", "the command did what it was asked"),
    (PhonelistError.exit_code, "unexpected", "an unexpected failure (a bug: please report it)"),
    (UsageProblem.exit_code, "usage", "unknown option, missing argument, or a refused prompt"),
    (NotFound.exit_code, "not found", "no contact, token or field with that id or name"),
    (Conflict.exit_code, "conflict", "e.g. the number already belongs to another contact"),
    (ValidationError.exit_code, "invalid input", "the message names the field"),
    (ConfigError.exit_code, "config", "not initialised, bad settings, unreadable keys"),
    (AuthenticationError.exit_code, "auth", "missing, wrong or expired credentials"),
    (PermissionDenied.exit_code, "forbidden", "the role may not do this"),
    (
        StoreError.exit_code,
        "unavailable",
        "the database, or a configured provider (line checks), cannot be reached or failed",
    ),
    (
        10,
        "ledger broken",
        "consent verify, audit verify: records were edited, deleted or reordered",
    ),
    (11, "blocked", "policy check: the send is not allowed; the reasons are printed"),
    (
        BackupError.exit_code,
        "backup",
        "backup verify/restore: damaged file, wrong backup key, or the store is not empty",
    ),
    (Interrupted.exit_code, "interrupted", "Ctrl-C; what was committed stays committed"),
]


def stdout() -> Console:
    """A console for results. Built per call, so it writes to whatever sys.stdout is now."""
    return Console(highlight=False, emoji=False)


def stderr() -> Console:
    return Console(stderr=True, highlight=False, emoji=False)


def show_secret(label: str, secret: str) -> None:
    """A generated password or token secret, printed this once (only its hash is kept)."""
    console = stdout()
    console.print(Text(f"{label} (store it now, it is not shown again):", style="bold"))
    console.print(Text(secret), soft_wrap=True)


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
    field, message = error.field, error.message
    if isinstance(error, QueryError):
        return f"{message} (at {where(error.query, error.pos)})"
    if not field or not ("." in field or "[" in field):
        return message  # a plain name ("id", "limit") is already in the words of the message
    if field in message or repr(field.rsplit(".", 1)[-1]) in message:
        return message
    return f"{field}: {message}"


def fail(error: PhonelistError, *, as_json: bool) -> NoReturn:
    """Report ``error`` (one line on stderr; JSON on stdout too under --json) and exit.

    A segment query error adds the query line with carets under the bad token.
    """
    if as_json:
        emit_json({"error": error.to_dict()})
    typer.echo(f"error: {clean(message_of(error))}", err=True)
    if isinstance(error, QueryError):
        typer.echo(_pointer(error), err=True)
    raise typer.Exit(error.exit_code)


def _pointer(error: QueryError) -> str:
    """The query line with carets under the bad token, indented, safe to print.

    Control characters in the line are escaped as :func:`clean` does, and the caret line is
    widened to match, so the carets still sit under the token.
    """
    line, marks = error.caret().split("\n", 1)
    shown, under = "", ""
    for index, char in enumerate(line):
        text = " " if char == "\t" else clean(char)
        mark = marks[index] if index < len(marks) else " "
        shown += text
        under += ("^" if mark == "^" else " ") * len(text)
    under += marks[len(line) :]  # a caret past the end: what was missing
    return f"  {shown}\n  {under.rstrip()}"


def guarded(command: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command so that every failure ends as a one-line message and its exit code."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        as_json = bool(kwargs.get("as_json", False))
        try:
            _check_utf8(kwargs)
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


def _check_utf8(arguments: dict[str, Any]) -> None:
    """Refuse arguments that were not valid UTF-8.

    Python hands such bytes over as lone surrogates (PEP 383); they can be neither stored nor
    printed, so they are refused here, where the command line is decoded, naming the option.
    """
    for name, value in arguments.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, str) and any("\ud800" <= char <= "\udfff" for char in item):
                where = _option_name(arguments.get("ctx"), name)
                raise ValidationError(
                    f"{where} is not valid UTF-8 (the shell passed bytes that are not text)",
                    field=name,
                )


def _option_name(ctx: Any, name: str) -> str:
    """``--name`` for an option, ``ID`` for an argument, as the user typed or saw them."""
    # typer hands commands a plain click context, not a typer.Context instance.
    for param in getattr(getattr(ctx, "command", None), "params", []):
        if param.name == name:
            if param.param_type_name == "option":
                return str(param.opts[0])
            return str(param.metavar or name.upper()).removesuffix("...")
    return name


def read_stdin() -> str:
    """All of stdin as text; invalid UTF-8 is refused like invalid UTF-8 in arguments."""
    raw = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"stdin is not valid UTF-8 (byte {exc.start})", field="stdin"
        ) from None


def is_interactive() -> bool:
    """True when a person can answer a prompt: stdin is a terminal."""
    return sys.stdin.isatty()


def confirm(question: str, *, yes: bool, refusal: str) -> None:
    """Go on when ``--yes`` was given or a person at a terminal agrees; else stop.

    Without a terminal there is nobody to ask, so the command is refused (exit 2) rather than
    assumed: ``refusal`` says what was not done.
    """
    if yes:
        return
    if not is_interactive():
        raise UsageProblem(f"{refusal}: stdin is not a terminal, so pass --yes to confirm")
    if not typer.confirm(question, default=False, err=True):
        typer.echo(f"cancelled: {refusal}", err=True)
        raise typer.Exit(1)


# -- contacts ---------------------------------------------------------------------------------
def _primary_phone(contact: ContactOut) -> PhoneOut | None:
    return next(
        (p for p in contact.phones if p.primary), contact.phones[0] if contact.phones else None
    )


def contact_card(contact: ContactOut) -> RenderableType:
    """Everything about one contact, as a two-column grid."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")

    def row(label: str, value: str | None) -> None:
        if value:
            grid.add_row(label, Text(value))

    row("id", contact.id)
    row("name", contact.display_name)
    row("first name", contact.first_name)
    row("last name", contact.last_name)
    for phone in contact.phones:
        about = [x for x in (phone.label, "primary" if phone.primary else None) if x]
        about += [x for x in (phone.number_type, phone.region) if x and x != "unknown"]
        row("phone", f"{phone.e164}  ({', '.join(about)})" if about else phone.e164)
    for email in contact.emails:
        about = [x for x in (email.label, "primary" if email.primary else None) if x]
        row("email", f"{email.email}  ({', '.join(about)})" if about else email.email)
    row("country", contact.country)
    row("region", contact.region)
    row("city", contact.city)
    row("postal code", contact.postal_code)
    row("time zone", contact.time_zone)
    row("status", contact.status)
    row("tags", ", ".join(contact.tags))
    row("lists", ", ".join(contact.lists))
    for name, value in contact.custom.items():
        row(f"field:{name}", _field_text(value))
    row("source", contact.source)
    row("created", timestamp(contact.created_at))
    row("updated", timestamp(contact.updated_at))
    for note in contact.notes:
        row("note", f"{timestamp(note.created_at)} {note.author}\n{note.body}")
    return grid


def _field_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def contact_table(contacts: list[ContactOut]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    table.add_column("id", no_wrap=True)
    table.add_column("name", overflow="fold")
    table.add_column("primary number", no_wrap=True)
    table.add_column("status")
    table.add_column("tags", overflow="fold")
    for contact in contacts:
        phone = _primary_phone(contact)
        table.add_row(
            Text(contact.id),
            Text(contact.name),
            Text(phone.e164 if phone else ""),
            Text(contact.status),
            Text(", ".join(contact.tags)),
        )
    return table


def show_contact(contact: ContactOut, *, as_json: bool, headline: str | None = None) -> None:
    """One contact: the object under --json, else an optional headline and the card."""
    if as_json:
        emit_json(contact)
        return
    console = stdout()
    if headline:
        console.print(Text(headline, style="green"))
    console.print(contact_card(contact))


def show_contacts(
    contacts: list[ContactOut], next_cursor: str | None, *, as_json: bool, empty: str
) -> None:
    if as_json:
        emit_json({"items": contacts, "next_cursor": next_cursor})
        return
    if not contacts:
        typer.echo(empty, err=True)
        return
    stdout().print(contact_table(contacts))
    if next_cursor:
        typer.echo(f"more: add --cursor {next_cursor} for the next page, or --all", err=True)
