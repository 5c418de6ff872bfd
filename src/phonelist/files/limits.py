"""The limits every reader enforces while streaming, so memory stays bounded whatever the file.

They are module constants so that the docs (docs/files.md) and the importer can name them.
"""

from __future__ import annotations

__all__ = [
    "BINARY_CONTROL_RATIO",
    "MAX_COLUMNS",
    "MAX_FIELD_CHARS",
    "MAX_HEADER_CHARS",
    "MAX_LINE_CHARS",
    "MAX_ROW_CHARS",
    "MAX_ZIP_ENTRIES",
    "MAX_ZIP_RATIO",
    "MAX_ZIP_UNCOMPRESSED",
    "SNIFF_BYTES",
    "ZIP_RATIO_FLOOR",
]

SNIFF_BYTES = 64 * 1024
"""How much of a text file is read up front to detect its encoding, delimiter and binary data."""

BINARY_CONTROL_RATIO = 0.10
"""More control characters than this share of the sniffed text (or any NUL) means binary."""

MAX_LINE_CHARS = 1024 * 1024
"""Longest physical line (characters, without its line break); longer is refused unread."""

MAX_FIELD_CHARS = 131_072
"""Longest single value (the csv module's own default field limit)."""

MAX_ROW_CHARS = 4 * 1024 * 1024
"""Longest row: a CSV record over several lines (quoted line breaks), or one vCard."""

MAX_COLUMNS = 1000
"""Most columns a file may have (a vCard's or JSON line's keys count too)."""

MAX_HEADER_CHARS = 255
"""Longest column name."""

MAX_ZIP_UNCOMPRESSED = 500 * 1000 * 1000
"""Most bytes an XLSX may unpack to, by its own central directory, checked before opening."""

MAX_ZIP_RATIO = 200
"""Highest compression ratio of one member (XML compresses 10-50 to 1; bombs 1000 to 1)."""

ZIP_RATIO_FLOOR = 1024 * 1024
"""Members that unpack to less than this are not ratio-checked (tiny files compress oddly)."""

MAX_ZIP_ENTRIES = 10_000
"""Most members an XLSX archive may hold."""
