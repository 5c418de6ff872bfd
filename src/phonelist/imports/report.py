"""What an import did: counts, breakdowns, and where the rejected rows went."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Counts", "ImportReport"]


@dataclass
class Counts:
    """Running totals; stored on the job after every batch so a resume continues them."""

    rows: int = 0
    imported: int = 0
    updated: int = 0
    duplicates_in_file: int = 0
    duplicates_in_store: int = 0
    rejected: int = 0
    numbers_dropped: int = 0
    suppressed: int = 0
    consent_records: int = 0
    rejected_by_reason: Counter[str] = field(default_factory=Counter)
    by_type: Counter[str] = field(default_factory=Counter)
    by_country: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in vars(self).items() if not isinstance(v, Counter)}
        for name in ("rejected_by_reason", "by_type", "by_country"):
            data[name] = dict(sorted(getattr(self, name).items()))
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Counts:
        counts = cls(**{k: v for k, v in data.items() if not isinstance(v, dict)})
        for name in ("rejected_by_reason", "by_type", "by_country"):
            setattr(counts, name, Counter(data.get(name, {})))
        return counts


@dataclass
class ImportReport:
    job_id: str | None  # None for a dry run: nothing was written
    file: str
    format: str
    encoding: str | None
    delimiter: str | None
    dry_run: bool
    mapping: dict[str, str]
    ignored_columns: list[str]
    counts: Counts
    seconds: float
    resumed_after_row: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        return self.counts.rows / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "file": self.file,
            "format": self.format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "dry_run": self.dry_run,
            "mapping": self.mapping,
            "ignored_columns": self.ignored_columns,
            "counts": self.counts.to_json(),
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.rows_per_second),
            "resumed_after_row": self.resumed_after_row,
            "warnings": self.warnings,
        }
