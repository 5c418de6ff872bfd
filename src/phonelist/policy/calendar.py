"""Computed holidays and business days (pure): the calendar behind O4 deadlines and H3 bans.

Holidays are data (COMPLIANCE.md: rules live in dated rule packs), written in a four-form rule
language that :func:`parse_rule` reads:

    fixed:MM-DD          a fixed date, e.g. ``fixed:07-04``
    nth:N:WEEKDAY:MM     the Nth (1-5) weekday of a month, e.g. ``nth:3:mon:01`` (MLK Day)
    last:WEEKDAY:MM      the last weekday of a month, e.g. ``last:mon:05`` (Memorial Day)
    easter:+/-DAYS       an offset from Western (Gregorian) Easter, e.g. ``easter:-2``

A rule whose date does not exist in a year (``fixed:02-29`` outside leap years, a fifth Monday
that a month lacks) simply has no occurrence that year. Nothing here reads the clock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from phonelist.errors import ValidationError

__all__ = [
    "EasterOffset",
    "FixedDate",
    "HolidayRule",
    "HolidayRuleError",
    "LastWeekday",
    "NthWeekday",
    "ParsedRule",
    "add_business_days",
    "easter",
    "holidays",
    "is_business_day",
    "observed_date",
    "occurs",
    "parse_rule",
    "us_federal_rules",
]

_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_FORMS = "fixed:MM-DD, nth:N:WEEKDAY:MM, last:WEEKDAY:MM or easter:+/-DAYS"
# Every Easter offset stays within a year of Easter, so a year's holidays come from the rules of
# that year and its two neighbours (see _dates_in_year).
_MAX_EASTER_OFFSET = 365


class HolidayRuleError(ValidationError, ValueError):
    """A holiday rule string that is not one of the four forms, or names an impossible date."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="rule")


@dataclass(frozen=True, slots=True)
class FixedDate:
    month: int
    day: int


@dataclass(frozen=True, slots=True)
class NthWeekday:
    n: int
    weekday: int  # Monday is 0, as in date.weekday()
    month: int


@dataclass(frozen=True, slots=True)
class LastWeekday:
    weekday: int
    month: int


@dataclass(frozen=True, slots=True)
class EasterOffset:
    days: int


ParsedRule = FixedDate | NthWeekday | LastWeekday | EasterOffset


@dataclass(frozen=True, slots=True)
class HolidayRule:
    """One named holiday: its rule, whether it is observed on a weekday, and its first year.

    The rule is parsed on construction, so a rule pack with a bad rule fails when it is loaded.
    """

    name: str
    rule: str
    observed: bool = False  # federal observance: Saturday -> Friday before, Sunday -> Monday after
    since: int | None = None  # first year the holiday exists (Juneteenth: 2021)

    def __post_init__(self) -> None:
        parse_rule(self.rule)


@lru_cache(maxsize=512)
def parse_rule(text: str) -> ParsedRule:
    """Read one rule of the four-form language; raise :class:`HolidayRuleError` if it is bad."""
    kind, sep, rest = text.strip().lower().partition(":")
    if not sep:
        raise HolidayRuleError(f"bad holiday rule {text!r}: expected {_FORMS}")
    parts = rest.split(":")
    if kind == "fixed" and len(parts) == 1:
        match = re.fullmatch(r"(\d{1,2})-(\d{1,2})", parts[0])
        if match is None:
            raise HolidayRuleError(f"bad holiday rule {text!r}: expected fixed:MM-DD")
        month = _month(text, match[1])
        day = int(match[2])
        try:
            dt.date(2000, month, day)  # a leap year, so that 02-29 is allowed
        except ValueError:
            raise HolidayRuleError(
                f"bad holiday rule {text!r}: {month:02d}-{day:02d} is not a calendar date"
            ) from None
        return FixedDate(month, day)
    if kind == "nth" and len(parts) == 3:
        if not re.fullmatch(r"[1-5]", parts[0]):
            raise HolidayRuleError(f"bad holiday rule {text!r}: N must be 1 to 5")
        return NthWeekday(int(parts[0]), _weekday(text, parts[1]), _month(text, parts[2]))
    if kind == "last" and len(parts) == 2:
        return LastWeekday(_weekday(text, parts[0]), _month(text, parts[1]))
    if kind == "easter" and len(parts) == 1:
        if not re.fullmatch(r"[+-]?\d{1,3}", parts[0]):
            raise HolidayRuleError(f"bad holiday rule {text!r}: expected easter:+/-DAYS")
        days = int(parts[0])
        if abs(days) > _MAX_EASTER_OFFSET:
            raise HolidayRuleError(
                f"bad holiday rule {text!r}: an Easter offset is at most {_MAX_EASTER_OFFSET} days"
            )
        return EasterOffset(days)
    raise HolidayRuleError(f"bad holiday rule {text!r}: expected {_FORMS}")


def _month(text: str, value: str) -> int:
    if not re.fullmatch(r"\d{1,2}", value) or not 1 <= int(value) <= 12:
        raise HolidayRuleError(f"bad holiday rule {text!r}: month {value!r} is not 01 to 12")
    return int(value)


def _weekday(text: str, value: str) -> int:
    if value not in _WEEKDAYS:
        raise HolidayRuleError(
            f"bad holiday rule {text!r}: weekday {value!r} is not one of mon, tue, wed, thu, "
            "fri, sat, sun"
        )
    return _WEEKDAYS[value]


def easter(year: int) -> dt.date:
    """Western (Gregorian) Easter Sunday, by the anonymous algorithm (Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def occurs(rule: HolidayRule, year: int) -> dt.date | None:
    """The holiday's own date in ``year`` (before observance); None before ``since`` or if the
    rule has no date that year."""
    if rule.since is not None and year < rule.since:
        return None
    parsed = parse_rule(rule.rule)
    try:
        if isinstance(parsed, FixedDate):
            return dt.date(year, parsed.month, parsed.day)
        if isinstance(parsed, NthWeekday):
            first = dt.date(year, parsed.month, 1)
            day = first + dt.timedelta(
                ((parsed.weekday - first.weekday()) % 7) + 7 * (parsed.n - 1)
            )
            return day if day.month == parsed.month else None
        if isinstance(parsed, LastWeekday):
            following = dt.date(year + parsed.month // 12, parsed.month % 12 + 1, 1)
            last = following - dt.timedelta(1)
            return last - dt.timedelta((last.weekday() - parsed.weekday) % 7)
        return easter(year) + dt.timedelta(parsed.days)
    except (ValueError, OverflowError):  # 02-29 in a common year; the ends of the date range
        return None


def observed_date(rule: HolidayRule, year: int) -> dt.date | None:
    """The day off for the holiday of ``year``: with federal observance a Saturday holiday moves
    to the Friday before and a Sunday one to the Monday after (5 U.S.C. 6103(b))."""
    day = occurs(rule, year)
    if day is None or not rule.observed:
        return day
    shift = {5: -1, 6: 1}.get(day.weekday(), 0)
    try:
        return day + dt.timedelta(shift)
    except OverflowError:
        return None


def holidays(
    rules: Sequence[HolidayRule], year: int, *, observed: bool = True
) -> dict[dt.date, str]:
    """The holidays that fall in ``year``, date -> name, in date order.

    With ``observed`` each rule's observance applies and only the day off is listed (named
    "... (observed)" when it moved); the observed day may come from a neighbouring year's
    holiday (New Year's Day 2022, a Saturday, is observed on Friday 31 December 2021). Without
    it, every holiday's own date is listed. Two holidays on one day share it, names joined by
    " / ".
    """
    return dict(_dates_in_year(tuple(rules), year, observed))


@lru_cache(maxsize=256)
def _dates_in_year(
    rules: tuple[HolidayRule, ...], year: int, observed: bool
) -> tuple[tuple[dt.date, str], ...]:
    found: dict[dt.date, list[str]] = {}
    for source_year in (year - 1, year, year + 1):
        if not dt.MINYEAR <= source_year <= dt.MAXYEAR:
            continue
        for rule in rules:
            day = observed_date(rule, source_year) if observed else occurs(rule, source_year)
            if day is None or day.year != year:
                continue
            moved = observed and day != occurs(rule, source_year)
            found.setdefault(day, []).append(f"{rule.name} (observed)" if moved else rule.name)
    return tuple((day, " / ".join(found[day])) for day in sorted(found))


@lru_cache(maxsize=256)
def _days_off(rules: tuple[HolidayRule, ...], year: int) -> frozenset[dt.date]:
    return frozenset(day for day, _ in _dates_in_year(rules, year, True))


_US_FEDERAL = (
    HolidayRule("New Year's Day", "fixed:01-01", observed=True),
    HolidayRule("Birthday of Martin Luther King, Jr.", "nth:3:mon:01", observed=True),
    HolidayRule("Washington's Birthday", "nth:3:mon:02", observed=True),
    HolidayRule("Memorial Day", "last:mon:05", observed=True),
    HolidayRule("Juneteenth National Independence Day", "fixed:06-19", observed=True, since=2021),
    HolidayRule("Independence Day", "fixed:07-04", observed=True),
    HolidayRule("Labor Day", "nth:1:mon:09", observed=True),
    HolidayRule("Columbus Day", "nth:2:mon:10", observed=True),
    HolidayRule("Veterans Day", "fixed:11-11", observed=True),
    HolidayRule("Thanksgiving Day", "nth:4:thu:11", observed=True),
    HolidayRule("Christmas Day", "fixed:12-25", observed=True),
)


def us_federal_rules() -> tuple[HolidayRule, ...]:
    """The eleven US federal holidays of 5 U.S.C. 6103(a), each observed on a weekday."""
    return _US_FEDERAL


def is_business_day(day: dt.date, rules: Sequence[HolidayRule]) -> bool:
    """Monday to Friday and not the day off of any holiday in ``rules`` (observance applied)."""
    return day.weekday() < 5 and day not in _days_off(tuple(rules), day.year)


def add_business_days(start: dt.datetime, days: int, rules: Sequence[HolidayRule]) -> dt.datetime:
    """The deadline ``days`` business days after ``start`` (O4: 10 business days after receipt).

    Counting starts on the calendar day after ``start``'s own day, both read in ``start``'s
    time zone, so the day of receipt never counts, whatever its hour. The result is the very end
    of the Nth business day, 23:59:59.999999 local, aware in ``start``'s zone: anything done on
    that day is in time. ``start`` must be aware and ``days`` at least 1.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("add_business_days needs an aware datetime, got a naive one")
    if days < 1:
        raise ValueError(f"add_business_days counts at least 1 business day, got {days}")
    rule_tuple = tuple(rules)
    day = start.date()
    left = days
    while left:
        day += dt.timedelta(1)
        if is_business_day(day, rule_tuple):
            left -= 1
    return dt.datetime.combine(day, dt.time.max, tzinfo=start.tzinfo)
