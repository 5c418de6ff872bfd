"""What a live line check says, and the interface every provider implements."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

__all__ = ["LINE_TYPES", "LineCheck", "LineLookup"]

# The line types a provider may report, in phonelist's words (a superset of numbers.TYPE_NAMES:
# providers can tell fixed from non-fixed VoIP).
LINE_TYPES = (
    "fixed_line",
    "mobile",
    "fixed_voip",
    "non_fixed_voip",
    "voip",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "unknown",
)


@dataclass(frozen=True, slots=True)
class LineCheck:
    """One answer about one number, dated.

    ``active`` is None when the provider could not tell (or was not asked); ``reassigned`` is
    None unless a ``reassigned_since`` date was given and the provider had data for it.
    """

    e164: str
    provider: str
    line_type: str | None
    carrier: str | None
    active: bool | None
    reassigned: bool | None
    reassigned_since: dt.date | None
    checked_at: dt.datetime
    from_cache: bool = False


class LineLookup(Protocol):
    """A live line-check provider. Implementations raise only :class:`PhonelistError`."""

    name: str

    def check(self, e164: str, *, reassigned_since: dt.date | None = None) -> LineCheck:
        """Ask the provider about ``e164``; ``reassigned_since`` asks whether the line changed
        hands since that date (the date consent was given or last confirmed)."""
        ...
