"""Local time for the policy engine: zones, windows and DST-correct scheduling (H1, H5)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["local_instant", "zone", "zones_known"]

UNKNOWN_ZONE = "Etc/Unknown"  # libphonenumber's answer when it has none


@lru_cache(maxsize=4096)
def zone(key: str) -> ZoneInfo | None:
    """The zone named ``key``, or None when the name is unknown to the tz database."""
    if key == UNKNOWN_ZONE:
        return None
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zones_known(keys: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(k for k in keys if zone(k) is not None)


def local_instant(day: dt.date, wall: dt.time, key: str) -> dt.datetime:
    """The UTC instant when the clock in zone ``key`` shows ``wall`` on ``day`` (H5).

    A wall time that does not exist (skipped by a spring-forward change) moves to the first
    instant after the gap, so nothing fires early; an ambiguous one (fall back) takes its first
    occurrence, whatever the ``fold`` of ``wall``.
    """
    tz = zone(key)
    if tz is None:
        raise ValueError(f"unknown time zone {key!r}")
    # fold=0 whatever ``wall`` carries: with fold=1 a skipped wall time landed before the gap.
    naive = dt.datetime.combine(day, wall.replace(tzinfo=None, fold=0))
    utc = naive.replace(tzinfo=tz).astimezone(dt.UTC)
    if _wall(utc, tz) == naive:
        return utc
    # In a gap: fold=0 used the offset from before the change, which lands past the gap, and
    # fold=1 the offset after it, which lands before. The change itself is the first instant
    # whose wall time is not before ``wall``: search between the two to the microsecond (a
    # minute-by-minute walk kept the seconds of ``wall`` and fired late).
    low = naive.replace(tzinfo=tz, fold=1).astimezone(dt.UTC)  # wall time before ``wall``
    high = utc  # wall time after ``wall``
    one = dt.timedelta(microseconds=1)
    while high - low > one:
        middle = low + (high - low) // 2
        if _wall(middle, tz) >= naive:
            high = middle
        else:
            low = middle
    return high


def _wall(instant: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return instant.astimezone(tz).replace(tzinfo=None)
