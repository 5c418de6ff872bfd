"""The rejects file: one CSV row per unusable row, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from phonelist.files.writers import neutralize_formula

__all__ = ["REJECT_COLUMNS", "rejects_csv", "write_reject"]

REJECT_COLUMNS = ("row", "column", "value", "reason", "message")


def write_reject(
    writer: Any, row: int, column: str | None, raw: str | None, reason: str, message: str
) -> None:
    """Values may be anything a file held: cells that a spreadsheet would run are neutralised."""
    writer.writerow(
        [
            row,
            neutralize_formula(column or ""),
            neutralize_formula(raw or ""),
            reason,
            neutralize_formula(message),
        ]
    )


def rejects_csv(rows: Iterable[tuple[int, str | None, str | None, str, str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REJECT_COLUMNS)
    for row in rows:
        write_reject(writer, *row)
    return out.getvalue()
