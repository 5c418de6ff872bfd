"""The scanner of segment queries: text to the tokens :mod:`phonelist.segments.parse` feeds lark.

Only the scanner knows whether ``in`` is a keyword, ``-30d`` a relative date and ``a@b.pt`` a
word. It raises :class:`Problem` at the first token it cannot read (an unknown operator, a bad
escape, a date that does not exist); :func:`phonelist.segments.parse.parse` makes that a
:class:`~phonelist.segments.errors.QueryError`.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Iterator

from lark import Token

__all__ = ["KEYWORDS", "NAME_PATTERN", "Problem", "read_date", "read_datetime", "scan"]

KEYWORDS = frozenset({"AND", "OR", "NOT", "IN", "HAS", "IS", "SET"})
_OPERATORS = {
    **{op: op for op in ("=", "!=", "~", ">", ">=", "<", "<=")},
    **{"==": "=", "<>": "!="},
}
_OPERATOR_FIXES = {
    "=>": ">=",
    "=<": "<=",
    "===": "=",
    "!==": "!=",
    "=~": "~",
    "~=": "~",
    "!": "NOT",
}
_SYMBOL_FIXES = {"&": "AND", "|": "OR"}
_OPERATOR_CHARS = frozenset("=!<>~")
_WORD_CHARS = frozenset(string.ascii_letters + string.digits + "_+@.:/-")


class _WordChar:
    """Bare words also take letters beyond ASCII, so that ``city = Évora`` needs no quotes."""

    def __contains__(self, char: object) -> bool:
        return isinstance(char, str) and (char in _WORD_CHARS or char.isalpha())


_WORD = _WordChar()
_PUNCTUATION = {"(": "LPAR", ")": "RPAR", ",": "COMMA"}
_ESCAPABLE = frozenset("\"'\\")

NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_RELDATE = re.compile(r"[+-][0-9]+[hdwmy]")
# Anything shaped like a date must be a real one: "2026-13-40" is an error, not a bare word.
_DATE_LIKE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")
_DATETIME_LIKE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}[Tt].*")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATETIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?Z?")


class Problem(Exception):
    """Why the text is rejected; :func:`~phonelist.segments.parse.parse` makes it a QueryError."""

    def __init__(
        self, message: str, pos: int, end: int | None = None, suggestion: str | None = None
    ) -> None:
        super().__init__(message)
        self.message, self.pos, self.end, self.suggestion = message, pos, end, suggestion


def scan(text: str, start: int = 0) -> Iterator[Token]:
    """The tokens of ``text`` from ``start``; raises :class:`Problem` at the first bad one."""
    i, n = start, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in _PUNCTUATION:
            j, kind, value = i + 1, _PUNCTUATION[ch], ch
        elif ch in "\"'":
            j, value = _read_string(text, i)
            kind = "STRING"
        elif ch in _OPERATOR_CHARS:
            j = _run_end(text, i, _OPERATOR_CHARS)
            kind, value = "OP", _operator(text[i:j], i, j)
        elif ch in _WORD:
            j = _run_end(text, i, _WORD)
            kind, value = _classify(text[i:j], i, j), text[i:j]
        else:
            raise _unexpected_character(text, i)
        yield Token(kind, value, start_pos=i, end_pos=j)
        i = j


def _run_end(text: str, i: int, chars: frozenset[str] | _WordChar) -> int:
    while i < len(text) and text[i] in chars:
        i += 1
    return i


def _read_string(text: str, start: int) -> tuple[int, str]:
    """The end of the string starting at ``start`` and its content, escapes resolved."""
    quote, i = text[start], start + 1
    out: list[str] = []
    while i < len(text) and text[i] not in "\r\n":
        ch = text[i]
        if ch == quote:
            return i + 1, "".join(out)
        if ch == "\\" and i + 1 < len(text) and text[i + 1] not in "\r\n":
            escaped = text[i + 1]
            if escaped not in _ESCAPABLE:
                raise Problem(
                    f"unknown escape '\\{escaped}' in a string (write \\\\ for a backslash)",
                    i,
                    i + 2,
                )
            out.append(escaped)
            i += 2
            continue
        out.append(ch)
        i += 1
    raise Problem("unterminated string", start, i)


def _operator(op: str, pos: int, end: int) -> str:
    if op in _OPERATORS:
        return _OPERATORS[op]
    fix = _OPERATOR_FIXES.get(op)
    message = f"unknown operator '{op}'" + (f" — did you mean '{fix}'?" if fix else "")
    raise Problem(message, pos, end, suggestion=fix)


def _classify(run: str, pos: int, end: int) -> str:
    """The token type of a bare run of word characters."""
    if run.upper() in KEYWORDS:
        return run.upper()
    if _DATETIME_LIKE.fullmatch(run):
        read_datetime(run, pos, end)
        return "DATETIME"
    if _DATE_LIKE.fullmatch(run):
        read_date(run, pos, end)
        return "DATE"
    if _RELDATE.fullmatch(run):
        return "RELDATE"
    if _NUMBER.fullmatch(run):
        return "NUMBER"
    return "NAME" if NAME_PATTERN.fullmatch(run) else "WORD"


def read_date(raw: str, pos: int, end: int) -> dt.date:
    match = _DATE.fullmatch(raw)
    try:
        if match:
            return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        pass
    raise Problem(f"not a date: '{raw}' (write dates as YYYY-MM-DD)", pos, end)


def read_datetime(raw: str, pos: int, end: int) -> dt.datetime:
    match = _DATETIME.fullmatch(raw)
    try:
        if match:
            year, month, day, hour, minute, second = map(int, match.groups(default="0"))
            return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)
    except ValueError:
        pass
    message = f"not a date and time: '{raw}' (write YYYY-MM-DDTHH:MM, optionally :SS and Z)"
    raise Problem(message, pos, end)


def _unexpected_character(text: str, i: int) -> Problem:
    ch = text[i]
    if ch in _SYMBOL_FIXES:
        end, fix = _run_end(text, i, frozenset(ch)), _SYMBOL_FIXES[ch]
        return Problem(f"unexpected '{text[i:end]}' — write {fix}", i, end, suggestion=fix)
    shown = f"'{ch}'" if ch.isprintable() else repr(ch)
    return Problem(f"unexpected character {shown} — put values that hold it in quotes", i, i + 1)
