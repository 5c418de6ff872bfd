"""Time zones and carrier names from libphonenumber's prefix tables, cached by number prefix.

``phonenumbers.timezone.time_zones_for_number`` and ``phonenumbers.carrier.name_for_number``
recompute the number type and format the number again before walking their prefix tables, which
makes them cost more than the rest of the analysis with the fast backend (docs/benchmarks.md).
Here the type already known is reused, and the walk is cached on the shortest prefix that
decides the answer: the first *n* digits of the E.164 number, where *n* is the longest table key
for that country code (for +1 that is 7 digits; for +49 time zones, 2). The answers are the
reference's, read from the reference's own tables; the corpus test compares them.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache, lru_cache

import phonenumbers
from phonenumbers import phonenumberutil

__all__ = ["carrier_name", "time_zones"]

_UNKNOWN_TYPE = 99
_CARRIER_TYPES = frozenset({1, 2, 8})  # MOBILE, FIXED_LINE_OR_MOBILE, PAGER
_UNKNOWN_ZONE = "Etc/Unknown"
_CACHE_SIZE = 1 << 16


@cache
def _tz_table() -> tuple[dict[str, tuple[str, ...]], int]:
    # Imported on first use: the tables take ~20 ms and several MB, and most commands never
    # ask for a time zone.
    from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

    return TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX


@cache
def _carrier_table() -> tuple[dict[str, dict[str, str]], int]:
    from phonenumbers.carrierdata import CARRIER_DATA, CARRIER_LONGEST_PREFIX

    return CARRIER_DATA, CARRIER_LONGEST_PREFIX


def _key_lengths(keys: Iterable[str], longest: int) -> dict[str, int]:
    """For each country code, the longest table key that can be a prefix of its numbers."""
    codes = [str(cc) for cc in phonenumbers.COUNTRY_CODE_TO_REGION_CODE]
    lengths = dict.fromkeys(codes, 0)
    by_code = {code: code for code in codes}
    for key in keys:
        code = by_code.get(key[:1]) or by_code.get(key[:2]) or by_code.get(key[:3])
        if code is not None:
            lengths[code] = max(lengths[code], len(key))
        else:  # a key shorter than the country codes it is a prefix of
            for other in codes:
                if other.startswith(key):
                    lengths[other] = max(lengths[other], len(key))
    return {code: min(length, longest) for code, length in lengths.items()}


@cache
def _tz_key_lengths() -> dict[str, int]:
    table, longest = _tz_table()
    return _key_lengths(table, longest)


@cache
def _carrier_key_lengths() -> dict[str, int]:
    table, longest = _carrier_table()
    return _key_lengths(table, longest)


def time_zones(e164: str, country_code: int, type_code: int) -> tuple[str, ...]:
    """The time zones of a parsed number, as ``time_zones_for_number`` gives them.

    The library's "Etc/Unknown" placeholder becomes an empty tuple.
    """
    if type_code == _UNKNOWN_TYPE:
        return ()
    if not phonenumberutil.is_number_type_geographical(type_code, country_code):
        return _country_zones(country_code)
    digits = e164[1:]
    return _geographic_zones(digits[: _tz_key_lengths().get(str(country_code), 0)])


@lru_cache(maxsize=_CACHE_SIZE)
def _geographic_zones(prefix: str) -> tuple[str, ...]:
    table, _ = _tz_table()
    for length in range(len(prefix), 0, -1):
        found = table.get(prefix[:length])
        if found is not None:
            return _known(found)
    return ()


@cache
def _country_zones(country_code: int) -> tuple[str, ...]:
    # The same walk as phonenumbers.timezone._country_level_time_zones_for_number.
    table, longest = _tz_table()
    code = str(country_code)
    for length in range(longest, 0, -1):
        found = table.get(code[: 1 + length])
        if found is not None:
            return _known(found)
    return ()


def _known(zones: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(zone for zone in zones if zone != _UNKNOWN_ZONE)


def carrier_name(e164: str, country_code: int, type_code: int) -> str | None:
    """The carrier the number range was allocated to (English name), as ``name_for_number``.

    Only mobile-like numbers have one; with number portability the line may have moved since.
    """
    if type_code not in _CARRIER_TYPES:
        return None
    digits = e164[1:]
    return _carrier_for(digits[: _carrier_key_lengths().get(str(country_code), 0)])


@lru_cache(maxsize=_CACHE_SIZE)
def _carrier_for(prefix: str) -> str | None:
    table, _ = _carrier_table()
    for length in range(len(prefix), 0, -1):
        names = table.get(prefix[:length])
        if names is not None:
            name = names.get("en")
            if name is not None:
                return name or None
    return None
