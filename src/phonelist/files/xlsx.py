"""Excel workbooks (.xlsx): the archive checked before it is opened, then rows streamed.

The zip central directory is read first (it holds each member's sizes, and zipfile never
unpacks more than a member declares): too many members, a nested archive, more than
MAX_ZIP_UNCOMPRESSED bytes in all, or one member compressed more than MAX_ZIP_RATIO to 1
refuses the file before any XML is parsed. openpyxl then reads in read-only mode (one row at a
time; XML entity tricks are refused by defusedxml).

Cells become the text a person sees: whole numbers without ``.0`` (so a phone number that
Excel stored as a number comes back as its digits), other numbers as Python writes them
(``3.5``, ``1e+20``), dates as ISO 8601, booleans as ``TRUE``/``FALSE``; Excel's ``_x000D_``
escapes are undone. Formulas give their last computed value.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
import zipfile
from collections.abc import Generator
from contextlib import closing
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

from phonelist.files.errors import FileRejected
from phonelist.files.layout import restore_formula
from phonelist.files.limits import (
    MAX_COLUMNS,
    MAX_FIELD_CHARS,
    MAX_ZIP_ENTRIES,
    MAX_ZIP_RATIO,
    MAX_ZIP_UNCOMPRESSED,
    ZIP_RATIO_FLOOR,
)
from phonelist.files.table import Rows, Table, check_header

__all__ = ["XlsxTable", "cell_text", "check_archive", "escape_text", "unescape_text"]

_NESTED = (".zip", ".gz", ".7z", ".rar", ".tar", ".bz2", ".xz")
_WHOLE = 1e15  # beyond this a float no longer holds every digit of an integer
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_TO_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)|\r")


def escape_text(text: str) -> str:
    """A string as OOXML stores it: a CR as ``_x000D_`` (XML itself would turn it into a line
    feed), and a literal ``_xHHHH_`` protected as ``_x005F_xHHHH_``; as Excel does."""
    if "\r" not in text and "_x" not in text:
        return text
    return _TO_ESCAPE.sub(lambda m: "_x000D_" if m.group() == "\r" else "_x005F_", text)


def unescape_text(text: str) -> str:
    """Undo :func:`escape_text` (openpyxl's read-only mode leaves ``_xHHHH_`` as it is)."""
    if "_x" not in text:
        return text
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)


def check_archive(path: Path, name: str) -> None:
    """Refuse a file that is not a zip archive, or that looks like a zip bomb, unopened."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError, OSError):
        raise FileRejected(
            "file_not_xlsx", name, "this is not an XLSX file (it is not a zip archive)"
        ) from None
    if len(members) > MAX_ZIP_ENTRIES:
        raise _bomb(
            name,
            f"the archive holds {len(members):,} files; a workbook has far fewer "
            f"(at most {MAX_ZIP_ENTRIES:,} are allowed)",
        )
    for member in members:
        if member.filename.lower().endswith(_NESTED):
            raise _bomb(name, f"the archive holds another archive ({member.filename})")
    total = sum(member.file_size for member in members)
    if total > MAX_ZIP_UNCOMPRESSED:
        raise _bomb(
            name,
            f"the archive would unpack to {total:,} bytes, more than the "
            f"{MAX_ZIP_UNCOMPRESSED:,} allowed",
        )
    for member in members:
        packed = max(member.compress_size, 1)
        if member.file_size > ZIP_RATIO_FLOOR and member.file_size > MAX_ZIP_RATIO * packed:
            ratio = member.file_size // packed
            raise _bomb(
                name,
                f"{member.filename} is compressed {ratio:,} to 1; more than {MAX_ZIP_RATIO} "
                "to 1 is refused as a zip bomb",
            )
    if not any(member.filename == "[Content_Types].xml" for member in members):
        raise FileRejected(
            "file_not_xlsx", name, "this is a zip archive, not an Excel workbook (.xlsx)"
        )


def _bomb(name: str, problem: str) -> FileRejected:
    return FileRejected("file_zip_bomb", name, f"refused: {problem}")


def cell_text(value: Any) -> str:
    """A cell's value as the text a person sees in the sheet."""
    if value is None:
        return ""
    if isinstance(value, str):
        return unescape_text(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < _WHOLE:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


class XlsxTable(Table):
    """One worksheet (the first, or ``sheet``); the header is its first non-empty row."""

    def __init__(self, path: Path, name: str, sheet: str | None) -> None:
        super().__init__(path, name, "xlsx")
        check_archive(path, name)
        self._wanted = sheet
        self._header_row = 0
        with closing(self._sheet_rows()) as rows:
            for index, row in rows:
                cells = [cell_text(value) for value in row]
                if any(cell.strip() for cell in cells):
                    self._header_row = index
                    self.columns = self._header(cells, index)
                    break
            else:
                raise FileRejected("file_empty", name, f"the sheet {self.sheet!r} is empty")

    def _header(self, cells: list[str], index: int) -> list[str]:
        if len(cells) > MAX_COLUMNS and cells[MAX_COLUMNS].strip():
            raise FileRejected(
                "file_too_many_columns",
                self.name,
                f"the header has more than {MAX_COLUMNS:,} columns; at most {MAX_COLUMNS:,} "
                "are allowed",
            )
        return check_header(cells[:MAX_COLUMNS], self.name, f"row {index}")

    def _sheet_rows(self) -> Generator[tuple[int, tuple[Any, ...]], None, None]:
        """Every row of the sheet with its row number: the cells' values, as far as the last
        one present but never past column MAX_COLUMNS + 1."""
        # A file object, not the path: openpyxl would refuse a workbook named .csv or .dat.
        source = self.path.open("rb")
        try:
            with warnings.catch_warnings():
                # openpyxl warns about parts it drops (data validation, styles); not our concern.
                warnings.simplefilter("ignore", UserWarning)
                workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl's errors are many and untyped: this is the boundary
            source.close()
            raise self._damaged(exc) from None
        try:
            try:
                sheet = self._pick(workbook)  # opening a sheet parses the start of its XML
                sheet.reset_dimensions()  # a sheet's own size claim may be 16384 columns wide
                rows = sheet.iter_rows(values_only=True)
            except FileRejected:
                raise
            except Exception as exc:
                raise self._damaged(exc) from None
            index = 0
            while True:
                try:
                    row = next(rows)
                except StopIteration:
                    return
                except Exception as exc:  # the boundary again, for the sheet's XML
                    raise self._damaged(exc) from None
                index += 1
                if len(row) > MAX_COLUMNS:  # tuple.count: no Python loop over empty cells
                    tail = row[MAX_COLUMNS:]
                    row = row[: MAX_COLUMNS + (tail.count(None) != len(tail))]
                yield index, row
        finally:
            workbook.close()
            source.close()

    def _pick(self, workbook: Any) -> Any:
        names = list(workbook.sheetnames)
        worksheets = workbook.worksheets
        if self._wanted is None:
            if not worksheets:
                raise FileRejected("file_empty", self.name, "the workbook has no worksheet")
            chosen = worksheets[0]
        elif self._wanted in names:
            chosen = workbook[self._wanted]
        else:
            raise FileRejected(
                "file_no_sheet",
                self.name,
                f"there is no sheet named {self._wanted!r} (sheets: {', '.join(names)})",
            )
        self.sheet = str(chosen.title)
        return chosen

    def _damaged(self, exc: Exception) -> FileRejected:
        error = FileRejected(
            "file_not_xlsx",
            self.name,
            "the workbook is damaged or not an Excel workbook; open it in Excel and save it "
            "again, or save it as CSV",
        )
        root: BaseException = exc
        while root.__cause__ is not None:  # openpyxl wraps the parser's error in a ValueError
            root = root.__cause__
        error.details["cause"] = type(root).__name__
        return error

    def _records(self) -> Rows:
        columns = self.columns
        width = len(columns)
        with closing(self._sheet_rows()) as rows:
            for index, row in rows:
                if index <= self._header_row:
                    continue
                if len(row) > width and row[width:].count(None) != len(row) - width:
                    for position in range(width, len(row)):
                        if cell_text(row[position]).strip():
                            self._beyond(index, position)
                cells = [cell_text(value) for value in row[:width]]
                if not any(cell.strip() for cell in cells):
                    continue
                values = dict.fromkeys(columns, "")
                for column, cell in zip(columns, cells, strict=False):
                    if len(cell) > MAX_FIELD_CHARS:
                        raise FileRejected(
                            "file_field_too_long",
                            self.name,
                            f"row {index}: a value is longer than {MAX_FIELD_CHARS:,} characters",
                            line=index,
                        )
                    values[column] = restore_formula(cell)
                yield index - self._header_row, values

    def _beyond(self, index: int, position: int) -> None:
        letter = get_column_letter(position + 1)
        if position >= MAX_COLUMNS:
            raise FileRejected(
                "file_too_many_columns",
                self.name,
                f"row {index} has a value in column {letter}; at most {MAX_COLUMNS:,} columns "
                "are allowed",
                line=index,
            )
        raise FileRejected(
            "file_ragged_row",
            self.name,
            f"row {index} has a value in column {letter}, which has no header",
            line=index,
        )
