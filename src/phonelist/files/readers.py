"""Open a contact file of any supported format as a :class:`Table` of rows.

    with open_table(path) as table:
        table.format, table.encoding, table.delimiter, table.columns, table.row_count
        for row_number, values in table:          # or table.rows(after=n) to resume
            ...

Formats: CSV and TSV (``csv``/``tsv``), Excel workbooks (``xlsx``), vCard 2.1/3.0/4.0
(``vcard``) and JSON Lines (``jsonl``). The format comes from ``format`` if given, else from
the content (a zip archive is a workbook) and the file name's extension, else CSV.

Rows are streamed: memory stays bounded whatever the file's size. By default the whole file is
read once when it is opened (``scan=True``), so that a file that breaks a limit further down is
refused before the importer writes anything, and ``row_count`` is known.

Values are the file's text as is (not trimmed), except that a cell that an export protected
against formula injection (``'=...``) gets its protecting ``'`` back off; empty rows are
skipped. ``row_number`` counts data rows from 1 after the header, empty rows included, so it
is stable between runs and an import can resume after any row.
"""

from __future__ import annotations

from pathlib import Path

from phonelist.files.delimited import CsvTable, delimiter_of, sniff_delimiter
from phonelist.files.errors import FileRejected
from phonelist.files.jsonl import JsonlTable
from phonelist.files.table import Table
from phonelist.files.text import detect_encoding, read_head
from phonelist.files.vcard import VcardTable
from phonelist.files.xlsx import XlsxTable

__all__ = ["FORMATS", "Table", "open_table"]

FORMATS = ("csv", "tsv", "xlsx", "vcard", "jsonl")
_FORMAT_ALIASES = {"vcf": "vcard", "ndjson": "jsonl", "xlsm": "xlsx"}
_EXTENSIONS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".vcf": "vcard",
    ".vcard": "vcard",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def open_table(
    path: Path,
    *,
    format: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    name: str | None = None,
    scan: bool = True,
) -> Table:
    """Open ``path`` as a table; raise :class:`FileRejected` when it is not a usable file.

    ``name`` is how messages call the file (default: its file name; the API passes the name
    of the upload). ``encoding``, ``delimiter`` and ``sheet`` override detection for text
    formats and pick a worksheet of a workbook.
    """
    shown = name or path.name
    head, complete = read_head(path, shown)
    kind = _format(path, head, format, shown)
    table: Table
    if kind == "xlsx":
        table = XlsxTable(path, shown, sheet)
    else:
        if not head.strip():
            raise FileRejected("file_empty", shown, "the file is empty")
        text_encoding = detect_encoding(head, complete, shown, encoding)
        if kind == "vcard":
            table = VcardTable(path, shown, text_encoding)
        elif kind == "jsonl":
            table = JsonlTable(path, shown, text_encoding)
        else:
            chosen = delimiter_of(delimiter, shown) if delimiter is not None else None
            if chosen is None:
                chosen = sniff_delimiter(head, text_encoding, complete, tsv=kind == "tsv")
            table = CsvTable(path, shown, kind, text_encoding, chosen)
    try:
        if scan or table.format in ("vcard", "jsonl"):
            table.scan()
    except BaseException:
        table.close()
        raise
    return table


def _format(path: Path, head: bytes, given: str | None, name: str) -> str:
    if given is not None:
        kind = _FORMAT_ALIASES.get(given.strip().lower(), given.strip().lower())
        if kind not in FORMATS:
            raise FileRejected(
                "file_unsupported",
                name,
                f"unknown format {given!r}; use one of {', '.join(FORMATS)}",
            )
        return kind
    if head.startswith(_ZIP_MAGIC):
        return "xlsx"
    if head.startswith(_OLE_MAGIC):
        raise FileRejected(
            "file_unsupported",
            name,
            "this is an old Excel (.xls) or password-protected workbook, which phonelist "
            "does not read; save it as .xlsx or CSV",
        )
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise FileRejected(
            "file_unsupported",
            name,
            "old Excel (.xls) files are not read; save it as .xlsx or CSV",
        )
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:11].upper()
    if start.startswith(b"BEGIN:VCARD"):
        return "vcard"
    if start.startswith(b"{"):
        return "jsonl"
    return "csv"
