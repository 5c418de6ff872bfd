"""One query value as the type its field wants: text, a number, yes or no, a date or an instant.

Relative dates (``-30d``) count from the instant ``at`` the query is evaluated at; a date means
its whole UTC day. Every function raises :class:`QueryError` pointing at the value (in the
query text ``query``) when the value is not of the wanted kind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from phonelist.segments import plan
from phonelist.segments.ast import Value
from phonelist.segments.errors import QueryError

__all__ = ["boolean", "date_term", "day", "instant", "number", "shift", "text_of"]

_DAY = dt.timedelta(days=1)
_MIN = dt.datetime(1, 1, 2, tzinfo=dt.UTC)
_MAX = dt.datetime.max.replace(tzinfo=dt.UTC)


def text_of(value: Value) -> str:
    if value.kind == "string":
        return str(value.parsed)
    return value.raw


def number(value: Value, query: str) -> float:
    if value.kind == "number":
        return float(value.parsed)  # type: ignore[arg-type]
    raise _error(f"expected a number, not '{value.raw}'", value, query)


def boolean(value: Value, query: str) -> bool:
    if value.kind == "bool":
        return bool(value.parsed)
    raise _error(f"expected yes or no, not '{value.raw}'", value, query)


def instant(value: Value, query: str, at: dt.datetime) -> tuple[dt.datetime, dt.datetime | None]:
    """An instant, or a whole UTC day as (start, end)."""
    if value.kind == "date":
        day = value.parsed
        assert isinstance(day, dt.date)
        start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        return start, _plus_day(start)
    if value.kind == "datetime":
        assert isinstance(value.parsed, dt.datetime)
        return value.parsed.astimezone(dt.UTC), None
    if value.kind == "reldate":
        assert isinstance(value.parsed, tuple)
        amount, unit = value.parsed
        return shift(at, int(amount), str(unit)), None
    raise _error(
        f"expected a date like 2026-01-31, 2026-01-31T09:00Z or -30d, not '{value.raw}'",
        value,
        query,
    )


def day(value: Value, query: str, at: dt.datetime) -> dt.date:
    start, _ = instant(value, query, at)
    return start.date()


def date_term(
    op: str,
    span: tuple[dt.datetime, dt.datetime | None],
    make: Callable[[plan.Op, tuple[object, ...]], plan.Term],
) -> plan.Term:
    """Compare with an instant, or with a whole day ``span``; ``=`` on an instant means its day."""
    start, end = span
    if end is None:  # an instant: compare with it; "=" means its UTC day
        if op != "eq":
            return make(op, (start,))  # type: ignore[arg-type]
        start = start.replace(hour=0, minute=0, second=0, microsecond=0)
        end = _plus_day(start)
    if op == "eq":
        return plan.AllOf((make("ge", (start,)), make("lt", (end,))))
    bound = {"gt": ("ge", end), "ge": ("ge", start), "lt": ("lt", start), "le": ("lt", end)}
    new_op, instant = bound[op]
    return make(new_op, (instant,))  # type: ignore[arg-type]


def shift(at: dt.datetime, amount: int, unit: str) -> dt.datetime:
    """``at`` moved by a relative date: hours, days, weeks, calendar months or years."""
    if unit in ("h", "d", "w"):
        hours = {"h": 1, "d": 24, "w": 24 * 7}[unit]
        try:
            return at + dt.timedelta(hours=amount * hours)
        except OverflowError:
            return _MAX if amount > 0 else _MIN
    months = amount * (12 if unit == "y" else 1)
    year, month = divmod(at.month - 1 + months, 12)
    year += at.year
    if year < 1:
        return _MIN
    if year > 9999:
        return _MAX
    day = min(at.day, _days_in(year, month + 1))
    return at.replace(year=year, month=month + 1, day=day)


def _days_in(year: int, month: int) -> int:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return (following - dt.timedelta(days=1)).day


def _plus_day(start: dt.datetime) -> dt.datetime:
    try:
        return start + _DAY
    except OverflowError:
        return _MAX


def _error(message: str, value: Value, query: str) -> QueryError:
    return QueryError(message, query=query, pos=value.pos, end=value.end)
