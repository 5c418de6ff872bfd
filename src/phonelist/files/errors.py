"""The one error the file readers raise: :class:`FileRejected`, with a stable ``code``.

Every message names the file (and the line or row, where there is one) in one line, so that
the CLI can print it as is and the API can return it in its error shape.

    code                     when
    file_unreadable          the file cannot be opened
    file_empty               no bytes, only white space, or no header row
    file_unsupported         a format phonelist does not read (old .xls, unknown --format)
    file_binary              a text format that holds binary data
    file_bad_encoding        bytes that are not text in the detected or given encoding
    file_line_too_long       one line longer than MAX_LINE_CHARS
    file_field_too_long      one value longer than MAX_FIELD_CHARS
    file_row_too_long        one row (or card) longer than MAX_ROW_CHARS
    file_too_many_columns    more than MAX_COLUMNS columns
    file_bad_header          a column name longer than MAX_HEADER_CHARS
    file_ragged_row          a row with values beyond the header's columns
    file_bad_csv             CSV the parser cannot read
    file_not_xlsx            claims to be XLSX but is not a readable workbook
    file_zip_bomb            an archive that would unpack to too much, or holds archives
    file_no_sheet            the sheet asked for is not in the workbook
    file_not_vcard           a vCard file whose cards are not well formed
    file_bad_json            a JSON Lines line that is not one JSON object
"""

from __future__ import annotations

from phonelist.errors import ValidationError

__all__ = ["FileRejected"]


class FileRejected(ValidationError):
    """A file that is not what it claims to be, or breaks a limit. Nothing was read from it."""

    code = "file_rejected"

    def __init__(self, code: str, name: str, problem: str, *, line: int | None = None) -> None:
        details: dict[str, object] = {"file": name}
        if line is not None:
            details["line"] = line
        super().__init__(f"{name}: {problem}", field="file", details=details, code=code)
