"""What every reader gives: a :class:`Table` of rows, and the header rules they share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Generator
from contextlib import closing
from pathlib import Path
from types import TracebackType

from phonelist.files.errors import FileRejected
from phonelist.files.layout import order_columns
from phonelist.files.limits import MAX_COLUMNS, MAX_HEADER_CHARS

__all__ = ["Cells", "Rows", "Table", "check_header", "dedupe"]

Rows = Generator[tuple[int, dict[str, str]], None, None]
"""A pass over a file: ``(row_number, values)`` pairs; closing it closes the file."""
Cells = Generator[tuple[int, list[str]], None, None]


class Table(ABC):
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

    @abstractmethod
    def _records(self) -> Rows:
        """One pass over the file: every non-empty row, with every column as a key."""

    def rows(self, *, after: int = 0) -> Rows:
        """A fresh pass from the top, yielding the rows numbered above ``after``."""
        records = self._records()
        self._passes.append(records)
        with closing(records):
            if after <= 0:  # rows are numbered from 1: all of them
                yield from records
                return
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


class RecordTable(Table):
    """A file of self-describing records (JSON objects, vCards): the columns are the fields
    found in any record, in canonical order, so the scan pass is what finds them."""

    #: how messages name the records and their fields, and what an empty file is
    records_word = "records"
    fields_word = "fields"
    empty_code = "file_empty"
    empty_problem = "the file is empty"
    skip_blank_rows = False

    @abstractmethod
    def _items(self) -> Rows:
        """Every record of the file, flattened to canonical columns, with its number."""

    def scan(self) -> int:
        seen: dict[str, None] = {}
        count = 0
        with closing(self._items()) as items:
            for _, record in items:
                count += 1
                seen.update(dict.fromkeys(record))
                if len(seen) > MAX_COLUMNS:
                    raise FileRejected(
                        "file_too_many_columns",
                        self.name,
                        f"the {self.records_word} have more than {MAX_COLUMNS:,} different "
                        f"{self.fields_word}",
                    )
        if count == 0:
            raise FileRejected(self.empty_code, self.name, self.empty_problem)
        self.columns = order_columns(seen)
        self.row_count = count
        return count

    def _records(self) -> Rows:
        columns = self.columns
        with closing(self._items()) as items:
            for number, record in items:
                if self.skip_blank_rows and not any(
                    record.get(column, "").strip() for column in columns
                ):
                    continue
                yield number, {column: record.get(column, "") for column in columns}


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
