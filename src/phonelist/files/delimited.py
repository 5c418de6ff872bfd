"""CSV and TSV: encoding and delimiter detected, records streamed through bounded lines."""

from __future__ import annotations

import csv
import io
from collections.abc import Generator
from contextlib import closing
from pathlib import Path

from phonelist.files.errors import FileRejected
from phonelist.files.layout import restore_formula
from phonelist.files.limits import MAX_COLUMNS, MAX_FIELD_CHARS
from phonelist.files.table import Cells, Rows, Table, check_header
from phonelist.files.text import Encoding, LineReader, open_text

__all__ = ["DELIMITERS", "CsvTable", "delimiter_of", "sniff_delimiter"]

DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
_SNIFF_RECORDS = 50


def delimiter_of(given: str, name: str) -> str:
    value = _DELIMITER_NAMES.get(given.lower(), given)
    if len(value) != 1 or value in '"\r\n' or value.isalnum():
        raise FileRejected(
            "file_bad_csv",
            name,
            f"the delimiter must be one character such as , ; | or tab, not {given!r}",
        )
    return value


def sniff_delimiter(head: bytes, encoding: Encoding, complete: bool, *, tsv: bool) -> str:
    """The delimiter among , ; tab | that splits the first rows most consistently.

    Each candidate parses the sample; it scores by the share of rows with as many fields as
    the header, then by the header's width. Ties go to tab for .tsv files, else in the order
    , ; tab |. A file of one column gets , (or tab).
    """
    text = head[encoding.skip :].decode(encoding.codec, errors="ignore")
    if not complete:
        text = text[: max(text.rfind("\n"), 0)]  # the last line may be cut short
    order = ("\t", ",", ";", "|") if tsv else DELIMITERS
    best, best_score = order[0], (0.0, 0)
    for candidate in order:
        widths = _widths(text, candidate)
        if not widths or widths[0] < 2:
            continue
        body = widths[1:]
        consistent = sum(w == widths[0] for w in body) / len(body) if body else 1.0
        score = (consistent, widths[0])
        if score > best_score:
            best, best_score = candidate, score
    return best


def _widths(text: str, delimiter: str) -> list[int]:
    widths = []
    try:
        for fields in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if any(field.strip() for field in fields):
                widths.append(len(fields))
            if len(widths) >= _SNIFF_RECORDS:
                break
    except csv.Error:
        return []
    return widths


class CsvTable(Table):
    """CSV or TSV: the header is the first non-empty row."""

    def __init__(
        self, path: Path, name: str, format: str, encoding: Encoding, delimiter: str
    ) -> None:
        super().__init__(path, name, format)
        self._encoding = encoding
        self.encoding = encoding.name
        self.delimiter = delimiter
        self._header_records = 0
        with closing(self._parsed()) as records:
            for start, fields in records:
                self._header_records += 1
                if any(field.strip() for field in fields):
                    self.columns = check_header(fields, name, f"line {start}")
                    break
            else:
                raise FileRejected("file_empty", name, "the file is empty")

    def _parsed(self) -> Cells:
        """Every record with the line it starts on."""
        with open_text(self.path, self._encoding) as stream:
            lines = LineReader(stream, self.name, self._encoding, self.path)
            reader = csv.reader(lines, delimiter=self.delimiter or ",")
            while True:
                lines.start_record()
                try:
                    fields = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise self._csv_error(exc, lines) from None
                yield lines.record_start, fields

    def _csv_error(self, exc: csv.Error, lines: LineReader) -> FileRejected:
        text, line = str(exc), lines.record_start
        if "field larger than field limit" in text:
            # One value over many lines is most often a quote that was never closed.
            return self._too_long(line, open_quote=lines.line_number > line)
        if "NUL" in text:
            return FileRejected(
                "file_binary",
                self.name,
                f"line {line} holds a NUL byte; this is not a text file",
                line=line,
            )
        return FileRejected("file_bad_csv", self.name, f"line {line}: {text}", line=line)

    def _too_long(self, line: int, *, open_quote: bool = False) -> FileRejected:
        hint = " (is a quote left open?)" if open_quote else ""
        return FileRejected(
            "file_field_too_long",
            self.name,
            f"line {line}: a value is longer than {MAX_FIELD_CHARS:,} characters{hint}",
            line=line,
        )

    def scan(self) -> int:
        """The safety pass: every limit checked and the rows counted, no row built."""
        count = 0
        with closing(self._data_records()) as records:
            for _ in records:
                count += 1
        self.row_count = count
        return count

    def _records(self) -> Rows:
        columns = self.columns
        width = len(columns)
        with closing(self._data_records()) as records:
            for number, fields, text in records:
                if len(fields) < width:
                    fields += [""] * (width - len(fields))
                if "'" in text:  # only then can a cell have a protecting ' to take off
                    fields = [restore_formula(field) for field in fields]
                yield number, dict(zip(columns, fields, strict=True))

    def _data_records(self) -> Generator[tuple[int, list[str], str], None, None]:
        """Every non-empty data record, numbered, checked, at most as wide as the header,
        with its values joined (one string tells what every value holds)."""
        width = len(self.columns)
        with closing(self._parsed()) as records:
            for _ in range(self._header_records):
                next(records)
            for number, (line, fields) in enumerate(records, start=1):
                if len(fields) > width:
                    self._check_extra(fields, width, line)
                    fields = fields[:width]
                text = "".join(fields)
                if not text or text.isspace():  # what strip() removes is what isspace() sees
                    continue
                if len(text) > MAX_FIELD_CHARS and any(
                    len(field) > MAX_FIELD_CHARS for field in fields
                ):
                    raise self._too_long(line)
                yield number, fields, text

    def _check_extra(self, fields: list[str], width: int, line: int) -> None:
        if len(fields) > MAX_COLUMNS:
            raise FileRejected(
                "file_too_many_columns",
                self.name,
                f"line {line} has {len(fields):,} values; at most {MAX_COLUMNS:,} columns "
                "are allowed",
                line=line,
            )
        if any(field.strip() for field in fields[width:]):
            raise FileRejected(
                "file_ragged_row",
                self.name,
                f"line {line} has {len(fields)} values but the header has {width} columns "
                "(is a value missing its quotes?)",
                line=line,
            )
