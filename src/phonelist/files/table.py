"""What every reader gives: a :class:`Table` of rows, and the header rules they share."""

from __future__ import annotations

from collections.abc import Generator
from contextlib import closing
from pathlib import Path
from types import TracebackType

from phonelist.files.errors import FileRejected
from phonelist.files.limits import MAX_COLUMNS, MAX_HEADER_CHARS

__all__ = ["Cells", "Rows", "Table", "check_header", "dedupe"]

Rows = Generator[tuple[int, dict[str, str]], None, None]
"""A pass over a file: ``(row_number, values)`` pairs; closing it closes the file."""
Cells = Generator[tuple[int, list[str]], None, None]


class Table:
    """Rows of one file; iterate for ``(row_number, values)``; close when done."""

    format: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    columns: list[str]
    row_count: int | None = None

    def __init__(self, path: Path, name: str, format: str) -> None:
        self.path = path
        self.name = name
        self.format = format
        self.columns = []
        self._passes: list[Rows] = []

    def _records(self) -> Rows:
        """One pass over the file: every non-empty row, with every column as a key."""
        raise NotImplementedError

    def rows(self, *, after: int = 0) -> Rows:
        """A fresh pass from the top, yielding the rows numbered above ``after``."""
        records = self._records()
        self._passes.append(records)
        with closing(records):
            for number, values in records:
                if number > after:
                    yield number, values

    def __iter__(self) -> Rows:
        return self.rows()

    def scan(self) -> int:
        """Read the whole file once, enforcing every limit; sets and returns ``row_count``."""
        count = 0
        for _ in self.rows():
            count += 1
        self.row_count = count
        return count

    def close(self) -> None:
        for records in self._passes:
            records.close()
        self._passes.clear()

    def __enter__(self) -> Table:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def dedupe(names: list[str]) -> list[str]:
    """Header names made unique: a repeated ``Phone`` becomes ``Phone (2)``, ``Phone (3)``;
    an empty one becomes ``column_N`` (its 1-based position)."""
    seen: set[str] = set()
    unique = []
    for position, raw in enumerate(names, start=1):
        base = raw.strip().lstrip("\ufeff").strip() or f"column_{position}"
        name, copy = base, 1
        while name in seen:
            copy += 1
            name = f"{base} ({copy})"
        seen.add(name)
        unique.append(name)
    return unique


def check_header(cells: list[str], name: str, where: str) -> list[str]:
    """Trailing empty header cells dropped; the width and name-length limits enforced."""
    width = len(cells)
    while width and not cells[width - 1].strip():
        width -= 1
    if width > MAX_COLUMNS:
        raise FileRejected(
            "file_too_many_columns",
            name,
            f"the header has {width:,} columns; at most {MAX_COLUMNS:,} are allowed",
        )
    for position, cell in enumerate(cells[:width], start=1):
        if len(cell) > MAX_HEADER_CHARS:
            raise FileRejected(
                "file_bad_header",
                name,
                f"the name of column {position} ({where}) is longer than {MAX_HEADER_CHARS} "
                "characters; is the first row a header?",
            )
    return dedupe(cells[:width])
