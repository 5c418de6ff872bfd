"""The one error a segment query raises, and the helpers that make it point at the words.

:class:`QueryError` is a :class:`~phonelist.errors.ValidationError` (422, exit 5) about the
``query`` field. It keeps the query text and the offending span so every face can show the line
with a caret under the bad token, the way compilers do::

    contry = PT
    ^^^^^^
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from phonelist.errors import ValidationError

__all__ = ["QueryError", "suggest", "where"]

# Wider lines are cut around the error so the caret still lines up in a terminal.
_CARET_WIDTH = 100
_CARET_BEFORE = 40


class QueryError(ValidationError):
    """A segment query that cannot be read or bound; ``pos``/``end`` are 0-based offsets."""

    code = "invalid_query"

    def __init__(
        self,
        message: str,
        *,
        query: str,
        pos: int,
        end: int | None = None,
        suggestion: str | None = None,
    ) -> None:
        details = {"position": pos, "end": end, "suggestion": suggestion, "query": query}
        super().__init__(message, field="query", details=details)
        self.query = query
        self.pos = pos
        self.end = end
        self.suggestion = suggestion

    def caret(self) -> str:
        """The line holding the error and a line of carets under the offending span."""
        text = self.query
        pos = min(max(self.pos, 0), len(text))
        start = text.rfind("\n", 0, pos) + 1
        stop = text.find("\n", pos)
        line = text[start : len(text) if stop < 0 else stop].rstrip("\r")
        col = min(pos - start, len(line))
        width = 1 if self.end is None else max(1, min(self.end - pos, len(line) - col))
        if len(line) > _CARET_WIDTH:
            cut = max(0, min(col - _CARET_BEFORE, len(line) - _CARET_WIDTH))
            prefix = "..." if cut else ""
            shown = line[cut : cut + _CARET_WIDTH]
            suffix = "..." if cut + _CARET_WIDTH < len(line) else ""
            width = max(1, min(width, _CARET_WIDTH - (col - cut)))
            line, col = prefix + shown + suffix, col - cut + len(prefix)
        # Tabs stay tabs so the caret lines up whatever the terminal's tab width.
        pad = "".join("\t" if ch == "\t" else " " for ch in line[:col])
        return f"{line}\n{pad}{'^' * width}"

    def __str__(self) -> str:
        return f"{self.message} (at {where(self.query, self.pos)})\n{self.caret()}"


def where(query: str, pos: int) -> str:
    """``column N`` (1-based) for a one-line query, ``line L, column N`` otherwise."""
    pos = min(max(pos, 0), len(query))
    column = pos - query.rfind("\n", 0, pos)
    if "\n" not in query:
        return f"column {column}"
    return f"line {query.count(chr(10), 0, pos) + 1}, column {column}"


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt ``name`` (difflib, cutoff 0.6), or ``None``."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None
