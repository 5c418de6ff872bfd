"""Write canonical records (see :mod:`phonelist.files.layout`) as CSV, XLSX, vCard or JSON Lines.

    writer = open_writer("csv", stream, columns)
    for record in records:
        writer.write(record)
    writer.close()          # finishes the file; the stream stays open

- CSV: UTF-8 with a byte order mark (so that Excel reads accents right), comma-separated,
  CRLF line ends, quoted only where needed, one header row of column names.
- XLSX: one sheet "Contacts", a bold frozen header row, every cell text (so numbers keep
  their digits and leading zeros). Written in openpyxl's write-only mode (rows go to a
  temporary file, not memory).
- vCard 4.0 and JSON Lines: see :mod:`phonelist.files.vcard` and :mod:`phonelist.files.jsonl`.

In CSV and XLSX, a cell that a spreadsheet could run as a formula gets a leading ``'``
(:func:`~phonelist.files.layout.neutralize_formula`); the readers take it off again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Protocol

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from phonelist.errors import ValidationError
from phonelist.files.jsonl import JsonlWriter
from phonelist.files.layout import neutralize_formula, parse_slot
from phonelist.files.vcard import VcardWriter
from phonelist.files.xlsx import escape_text

__all__ = [
    "EXPORT_FORMATS",
    "CsvWriter",
    "ExportFormat",
    "RecordWriter",
    "XlsxWriter",
    "export_format",
    "neutralize_formula",
    "open_writer",
]


@dataclass(frozen=True, slots=True)
class ExportFormat:
    name: str
    extension: str
    media_type: str


EXPORT_FORMATS = {
    "csv": ExportFormat("csv", "csv", "text/csv; charset=utf-8"),
    "xlsx": ExportFormat(
        "xlsx", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ),
    "vcard": ExportFormat("vcard", "vcf", "text/vcard; charset=utf-8"),
    "jsonl": ExportFormat("jsonl", "jsonl", "application/x-ndjson"),
}
_ALIASES = {"vcf": "vcard", "ndjson": "jsonl"}


def export_format(name: str) -> ExportFormat:
    """The export format called ``name`` (``vcf`` and ``ndjson`` are accepted too)."""
    key = _ALIASES.get(name.strip().lower(), name.strip().lower())
    if key not in EXPORT_FORMATS:
        raise ValidationError(
            f"format must be one of {', '.join(EXPORT_FORMATS)}",
            field="format",
            code="export_bad_format",
        )
    return EXPORT_FORMATS[key]


class RecordWriter(Protocol):
    def write(self, record: dict[str, str]) -> None: ...

    def close(self) -> None: ...


def open_writer(
    format: str,
    stream: IO[bytes],
    columns: list[str],
    *,
    custom_types: Mapping[str, str] | None = None,
) -> RecordWriter:
    """A writer of ``format`` on ``stream`` (binary) for records with ``columns``."""
    kind = export_format(format).name
    if kind == "csv":
        return CsvWriter(stream, columns)
    if kind == "xlsx":
        return XlsxWriter(stream, columns)
    if kind == "vcard":
        return VcardWriter(stream, columns)
    return JsonlWriter(stream, columns, custom_types)


def _phone_columns(columns: list[str]) -> frozenset[str]:
    """The number columns, where an E.164 value is left unescaped."""
    return frozenset(
        column
        for column in columns
        if (slot := parse_slot(column)) is not None and slot[0] == "phone" and not slot[2]
    )


class CsvWriter:
    def __init__(self, stream: IO[bytes], columns: list[str]) -> None:
        self.columns = columns
        self._phones = _phone_columns(columns)
        self._text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
        self._text.write("\ufeff")
        self._writer = csv.writer(self._text, lineterminator="\r\n")
        self._writer.writerow(columns)

    def write(self, record: dict[str, str]) -> None:
        phones = self._phones
        self._writer.writerow(
            [
                neutralize_formula(record.get(column, ""), phone=column in phones)
                for column in self.columns
            ]
        )

    def close(self) -> None:
        self._text.flush()
        self._text.detach()  # the caller owns the stream


class XlsxWriter:
    SHEET = "Contacts"
    WIDTH = 18

    def __init__(self, stream: IO[bytes], columns: list[str]) -> None:
        self.stream = stream
        self.columns = columns
        self._phones = _phone_columns(columns)
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet(self.SHEET)
        for position in range(1, len(columns) + 1):
            self._sheet.column_dimensions[get_column_letter(position)].width = self.WIDTH
        self._sheet.freeze_panes = "A2"
        header = []
        for column in columns:
            cell = WriteOnlyCell(self._sheet, value=column)
            cell.font = Font(bold=True)
            header.append(cell)
        self._sheet.append(header)

    def write(self, record: dict[str, str]) -> None:
        phones = self._phones
        self._sheet.append(
            [
                escape_text(neutralize_formula(record.get(column, ""), phone=column in phones))
                or None
                for column in self.columns
            ]
        )

    def close(self) -> None:
        self._book.save(self.stream)
