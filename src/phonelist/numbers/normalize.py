"""Normalise a typed number to E.164 with ``phonenumbers``.

This is the boundary where phonenumbers' errors become :class:`ValidationError`. The numbers
issue replaces it with full number intelligence (carrier, time zones, spreadsheet damage).
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from phonelist.errors import ValidationError

__all__ = ["NormalizedNumber", "normalize"]

MAX_RAW_LENGTH = 64

_TYPE_NAMES = {
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
    PhoneNumberType.UNKNOWN: "unknown",
}

_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "invalid country code",
    NumberParseException.NOT_A_NUMBER: "not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}


@dataclass(frozen=True, slots=True)
class NormalizedNumber:
    e164: str
    national: str
    international: str
    validity: str  # "valid" | "possible"
    number_type: str
    region: str | None
    country_code: int


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
    try:
        parsed = phonenumbers.parse(text, default_region)
    except NumberParseException as exc:
        reason = _PARSE_REASONS.get(exc.error_type, "not a phone number")
        raise ValidationError(
            f"{text!r} is not a usable phone number: {reason}", field=field, code="number_invalid"
        ) from exc
    if phonenumbers.is_valid_number(parsed):
        validity = "valid"
    elif phonenumbers.is_possible_number(parsed):
        validity = "possible"
    else:
        raise ValidationError(
            f"{text!r} is not a usable phone number: it has the wrong length for its country",
            field=field,
            code="number_invalid",
        )
    return NormalizedNumber(
        e164=phonenumbers.format_number(parsed, PhoneNumberFormat.E164),
        national=phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL),
        international=phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL),
        validity=validity,
        number_type=_TYPE_NAMES.get(phonenumbers.number_type(parsed), "unknown"),
        region=phonenumbers.region_code_for_number(parsed),
        country_code=int(parsed.country_code or 0),
    )
