"""Undo the damage that spreadsheets, CRMs and people do to phone numbers, before parsing.

:func:`clean` is pure and backend-free: the fast and the reference parser both read what it
returns, so they can be compared row for row. It only removes what cannot be part of a number
(labels, quotes, Excel's apostrophe, trailing words) and rewrites what has exactly one meaning
(full-width characters, a float export that kept every digit). Everything that needs the
numbering plan to decide (a lost ``+``, a lost leading zero) is left to
:mod:`phonelist.numbers.analyze`, which only repairs when the result is unambiguous.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import NamedTuple

__all__ = ["MAX_INPUT_LENGTH", "Cleaned", "clean", "has_letters"]

# libphonenumber refuses inputs past 250 characters; longer text is not a phone number.
MAX_INPUT_LENGTH = 250
# E.164 allows 15 digits; a float export that expands past this is not a number either.
_MAX_FLOAT_DIGITS = 17
# One number in ten ends in 0, which a float export writes as 6.1234087E+8 (612340870); two or
# more zeros added by the exponent are taken as rounding: Excel's "General" format keeps six
# significant digits (3.51912E+11), and the lost digits cannot be recovered.
_MAX_PADDED_ZEROS = 1

# Quotes (straight and curly), backticks and Excel's "=" of ="0123" formulas.
_QUOTES = "'\"`\u2018\u2019\u201c\u201d"
_LEADING_JUNK = re.compile(f"^[\\s{_QUOTES}=]+")
_TRAILING_JUNK_CHARS = frozenset(f"{_QUOTES};,.:")
_TRAILING_JUNK = re.compile(f"[\\s{_QUOTES};,.:]+$")
_LABEL = re.compile(
    r"^(?:tel|phone|telephone|mobile|mob|cell|cellphone|fax|ph|tlf|tfn|whatsapp|t|m|p)"
    r"\s*(?:\.|:|=)\s*",
    re.IGNORECASE,
)
_TRAILING_WORD = re.compile(
    r"\s*(?:\(\s*[a-z][a-z ]*\)|\b(?:mobile|cell|home|work|office|fax|main|landline))$",
    re.IGNORECASE,
)
_PLAIN = re.compile(r"\+?[\d\s\-./()]+")
_SCIENTIFIC = re.compile(r"^\+?(\d+)(?:\.(\d*))?[eE]\+?(\d{1,3})$")
_DOT_ZERO = re.compile(r"^(\+?\d{4,})\.0+$")
_EXTENSION = re.compile(r"\s*(?:;\s*ext\s*=|ext\w*\.?|x|#)\s*\d{1,10}\s*#?$", re.IGNORECASE)


class Cleaned(NamedTuple):
    """What :func:`clean` made of a raw value.

    ``text`` is ready for the parser, ``repairs`` names what was changed, and ``reason`` is set
    (with ``text`` empty) when the value can be refused without a parser.
    """

    text: str
    repairs: tuple[str, ...]
    reason: str | None


_EMPTY = Cleaned("", (), "empty")
_TOO_LONG = Cleaned("", (), "too_long")


def clean(raw: str) -> Cleaned:
    """Strip junk and undo lossless damage; never raises."""
    if len(raw) > MAX_INPUT_LENGTH:
        return _TOO_LONG
    text = raw.strip()
    if not text:
        return _EMPTY
    if _PLAIN.fullmatch(text):  # most numbers: nothing to strip, at most a float to undo
        if "." not in text:
            return Cleaned(text, (), None)
        repairs: list[str] = []
    else:
        repairs = []
        if not text.isascii():
            if any("\uff00" <= char <= "\uffef" for char in text):
                repairs.append("fullwidth")
            # NFKC folds full-width digits, plus signs and brackets, and odd spaces, to ASCII.
            text = unicodedata.normalize("NFKC", text).strip()
        stripped = _strip_junk(text)
        if stripped != text:
            repairs.append("junk")
            text = stripped
        if not text:
            return Cleaned("", tuple(repairs), "empty")
    if "." in text or "e" in text or "E" in text:
        converted = _from_float(text)
        if converted is not None:
            if not converted:
                return Cleaned("", (*repairs, "float"), "not_a_number")
            repairs.append("float")
            text = converted
    return Cleaned(text, tuple(repairs), None)


def has_letters(text: str) -> bool:
    """True when letters remain once a trailing extension (``x12``, ``ext. 12``) is set aside.

    Letters mean a vanity number (1-800-FLOWERS): its digits were chosen, not damaged, so the
    repairs that add a ``+`` or a zero never apply to it.
    """
    body = _EXTENSION.sub("", text)
    return any(char.isalpha() for char in body)


def _strip_junk(text: str) -> str:
    for _ in range(3):  # junk can nest: 'Phone: "0912 345 678" (home)'
        previous = text
        text = _LEADING_JUNK.sub("", text)
        text = _LABEL.sub("", text)
        # The trailing patterns are tried at every position of the text; they can only match
        # when it ends in junk, a ")" or a letter, which is cheaper to look at first.
        last = text[-1:]
        if last in _TRAILING_JUNK_CHARS or last.isspace():
            text = _TRAILING_JUNK.sub("", text)
            last = text[-1:]
        if last == ")" or last.isalpha():
            text = _TRAILING_WORD.sub("", text)
        if text == previous:
            break
    return text


def _from_float(text: str) -> str | None:
    """The digits of a number a spreadsheet wrote as a float; "" when digits were lost.

    ``351912345678.0`` and ``3.51912345678E+11`` keep every digit and are rewritten.
    ``3.51912E+11`` (Excel's "General" format) rounded the number: the lost digits cannot be
    recovered, so it is refused rather than guessed. ``None``: not a float.
    """
    match = _DOT_ZERO.match(text)
    if match:
        return match.group(1).lstrip("+")
    match = _SCIENTIFIC.match(text)
    if match is None:
        return None
    whole, fraction, exponent = match.groups()
    if int(exponent) > _MAX_FLOAT_DIGITS:
        return ""
    value = Decimal(text.lstrip("+"))  # the pattern admits only valid literals
    if value != value.to_integral_value():
        return ""
    digits = str(int(value))
    padded = len(digits) - len((whole + (fraction or "")).lstrip("0"))
    if padded > _MAX_PADDED_ZEROS:
        # The exponent added zeros that were not written: the number was rounded.
        return ""
    return digits
