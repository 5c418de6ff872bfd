"""Normalise a typed number to E.164 for a contact, or say why it cannot be.

A thin rule over :func:`~phonelist.numbers.analyze.analyze`: valid and possible numbers are
accepted, invalid ones become a :class:`ValidationError` naming the reason. The parsers' own
exceptions end inside :mod:`phonelist.numbers.backends`.
"""

from __future__ import annotations

from dataclasses import dataclass

from phonelist.errors import ValidationError
from phonelist.numbers.analyze import REASONS, analyze

__all__ = ["MAX_RAW_LENGTH", "NormalizedNumber", "area_code", "normalize"]

MAX_RAW_LENGTH = 64


@dataclass(frozen=True, slots=True)
class NormalizedNumber:
    e164: str
    national: str
    international: str
    validity: str  # "valid" | "possible"
    number_type: str
    region: str | None
    country_code: int
    carrier: str | None = None
    time_zones: tuple[str, ...] = ()
    extension: str | None = None


def normalize(raw: str, default_region: str, *, field: str = "number") -> NormalizedNumber:
    """Parse ``raw`` (any common format) into E.164, or raise ValidationError saying why."""
    text = raw.strip()
    if not text:
        raise ValidationError("phone number is empty", field=field, code="number_empty")
    if len(text) > MAX_RAW_LENGTH:
        raise ValidationError(
            f"phone number is longer than {MAX_RAW_LENGTH} characters",
            field=field,
            code="number_too_long",
        )
    found = analyze(text, default_region, default_region)
    if (
        found.e164 is None
        or found.national is None
        or found.international is None
        or found.country_code is None
    ):
        reason = REASONS.get(found.reason or "", "it is not a phone number")
        raise ValidationError(
            f"{text!r} is not a usable phone number: {reason}",
            field=field,
            code="number_invalid",
            details={"reason": found.reason},
        )
    return NormalizedNumber(
        e164=found.e164,
        national=found.national,
        international=found.international,
        validity=found.validity,
        number_type=found.number_type,
        region=found.region,
        country_code=found.country_code,
        carrier=found.carrier,
        time_zones=found.time_zones,
        extension=found.extension,
    )


def area_code(e164: str | None) -> str | None:
    """The NANP area code of a ``+1`` number (``+12025550143`` -> ``202``), else None."""
    if e164 is None or not e164.startswith("+1") or len(e164) != 12:
        return None
    return e164[2:5]
