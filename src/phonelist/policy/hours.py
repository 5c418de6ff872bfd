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
    occurrence.
    """
    tz = zone(key)
    if tz is None:
        raise ValueError(f"unknown time zone {key!r}")
    local = dt.datetime.combine(day, wall, tzinfo=tz)
    utc = local.astimezone(dt.UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        # In a gap: fold=0 used the offset from before the change, which lands past the gap;
        # walk back to the first instant whose wall time is not before the one asked for.
        while (utc - dt.timedelta(minutes=1)).astimezone(tz).replace(tzinfo=None) >= (
            local.replace(tzinfo=None)
        ):
            utc -= dt.timedelta(minutes=1)
    return utc
