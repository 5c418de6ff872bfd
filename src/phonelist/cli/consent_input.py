"""Command-line inputs shared by the consent, inbound, policy, dnc and suppress commands.

Instants (``--at``) are ISO 8601 with a zone: ``2025-03-09T08:05:00-07:00`` or
``2025-03-09T15:05:00Z``. A time without a zone is refused rather than guessed, because the
same wall-clock time is a different instant in each of the recipient's zones (H1, H5).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from phonelist.cli.output import UsageProblem, clean
from phonelist.clock import utcnow
from phonelist.errors import ValidationError

__all__ = [
    "At",
    "ChannelChoice",
    "ConsentPurpose",
    "Number",
    "evidence_pairs",
    "instant",
    "local_time",
]


class ChannelChoice(StrEnum):
    """How the person is reached."""

    SMS = "sms"
    VOICE = "voice"


class ConsentPurpose(StrEnum):
    """Purposes that need consent (emergency does not)."""

    MARKETING = "marketing"
    INFORMATIONAL = "informational"


Number = Annotated[
    str,
    typer.Argument(
        metavar="NUMBER",
        help="The phone number in any common format; without + the default region is used.",
    ),
]

At = Annotated[
    str | None,
    typer.Option(
        "--at",
        metavar="ISO",
        help="When, as ISO 8601 with a zone, e.g. 2025-03-09T08:05:00-07:00 or "
        "2025-03-09T15:05:00Z (default: now).",
    ),
]


def instant(value: str | None, option: str = "--at") -> dt.datetime:
    """``value`` as an aware UTC datetime; now when it is None. A zone is required."""
    if value is None:
        return utcnow()
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(
            f"{option} expects an ISO 8601 date and time with a zone, e.g. "
            f"2025-03-09T08:05:00-07:00, not {clean(value, 60)!r}",
            field=option.lstrip("-").replace("-", "_"),
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValidationError(
            f"{option} needs a time zone: add Z for UTC or an offset such as -05:00 "
            f"({clean(value, 60)!r} has none)",
            field=option.lstrip("-").replace("-", "_"),
        )
    return parsed.astimezone(dt.UTC)


def local_time(value: dt.datetime, zone: str | None) -> str:
    """``value`` on the wall clock of ``zone`` (IANA), with the zone's abbreviation."""
    if not zone:
        return ""
    try:
        local = value.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return ""
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()} ({zone})"


def evidence_pairs(pairs: list[str] | None) -> dict[str, Any]:
    """``["obtained_in_sale=true", "recording=r-17"]`` -> ``{"obtained_in_sale": True, ...}``.

    ``true`` and ``false`` (any case) become booleans, because the C7 facts are booleans.
    """
    values: dict[str, Any] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageProblem(f"--evidence expects KEY=VALUE, got {clean(pair, 60)!r}")
        if name in values:
            raise UsageProblem(f"--evidence {clean(name, 60)} is given twice")
        lowered = value.strip().casefold()
        values[name] = {"true": True, "false": False}.get(lowered, value)
    return values
