"""Case folding that SQLite, PostgreSQL and Python all do the same way.

``~`` and ``=`` on free text in segments compare case-insensitively. SQLite's ``lower()`` folds
only ASCII and PostgreSQL's depends on the server's locale, so neither is used: Python folds
with one fixed table (ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic capitals), SQLite
calls the same function (registered as ``pl_fold`` on every connection), and PostgreSQL gets
the table as one ``translate()``. The three agree by construction, and a test holds them to it.
"""

from __future__ import annotations

__all__ = ["FOLD_FROM", "FOLD_TO", "fold"]


def _table() -> dict[int, int]:
    table: dict[int, int] = {}
    ranges = [(0x41, 0x5A), (0xC0, 0xDE), (0x100, 0x17F), (0x391, 0x3A9), (0x400, 0x42F)]
    for start, end in ranges:
        for code in range(start, end + 1):
            char = chr(code)
            lower = char.lower()
            if lower != char and len(lower) == 1 and lower.upper() == char:
                table[code] = ord(lower)
    return table


_TABLE = _table()
FOLD_FROM = "".join(chr(c) for c in _TABLE)
FOLD_TO = "".join(chr(c) for c in _TABLE.values())


def fold(text: str) -> str:
    """``text`` with the capitals of the table lower-cased; everything else as it is."""
    return text.translate(_TABLE)
