"""A seeded generator of messy phone numbers, the way real contact files hold them.

API (deterministic for a given seed)::

    from bench.messy import messy_numbers, messy_rows, make_number, make_row

    for raw, region_hint in messy_numbers(100_000, seed=7): ...
    for row in messy_rows(100_000, seed=7):
        row.raw, row.region_hint, row.expected, row.damage

- ``make_row(rng)`` / ``messy_rows(n, seed)`` give a :class:`MessyRow`: the raw text, the region
  hint an importer would pass (the contact's country; ``None`` for a row without one, which
  then falls back to the workspace default), ``expected``, the E.164 number the text was made
  from (``None`` when the row is unusable by construction: empty, too short, invalid country
  code, a float that lost digits, a national number read from the wrong country...), and
  ``damage``, the name of what was done to it (see :data:`DAMAGES`).
- ``make_number(rng)`` / ``messy_numbers(n, seed)`` give only ``(raw, region_hint)``.

Numbers are drawn from :data:`COUNTRIES` (18 countries): the national significant number of one
of phonenumbers' example numbers for a fixed line, mobile or toll-free line, with its last
digits (sometimes all but the first one or two) redrawn at random, so most are valid and some
fall outside every allocated range. ``expected`` is what the text encodes, whether or not the
number is valid: tests check validity themselves.

Damage: formatting variants (spaces, dots, dashes, parentheses, slashes), the ``+``, ``00`` and
``011`` international prefixes, national trunk prefixes, vanity letters (1-800-FLOWERS),
extensions (``ext``, ``x``, ``#``, ``;ext=``), leading and trailing junk (``tel:``, labels,
quotes, Excel's apostrophe and ``="..."``, trailing words), full-width digits, spreadsheet
floats (``3.51912345678E+11``, ``351912345678.0``, and Excel's rounded ``3.51912E+11``), lost
leading zeros, a lost ``+``, and plainly unusable values (empty, words, too short, too long,
unknown country codes).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from functools import cache
from typing import NamedTuple

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberType

__all__ = [
    "COUNTRIES",
    "DAMAGES",
    "MessyRow",
    "make_number",
    "make_row",
    "messy_numbers",
    "messy_rows",
]

COUNTRIES = (
    "US", "CA", "GB", "DE", "FR", "PT", "ES", "IT", "NL",
    "BR", "MX", "IN", "AU", "JP", "ZA", "NG", "RU", "PL",
)  # fmt: skip
# Where most rows come from: an importer's file is rarely evenly spread over countries.
_WEIGHTS = (18, 4, 10, 9, 7, 9, 6, 6, 4, 5, 3, 4, 4, 2, 2, 2, 3, 2)

DAMAGES = (
    "e164",
    "international",
    "national",
    "idd_00",
    "idd_011",
    "lost_plus",
    "float",
    "float_national",
    "float_rounded",
    "lost_leading_zero",
    "vanity",
    "extension",
    "junk",
    "fullwidth",
    "foreign_hint",
    "unusable",
)
_DAMAGE_WEIGHTS = (8, 14, 20, 5, 3, 6, 4, 3, 2, 4, 2, 6, 8, 3, 4, 8)

_TYPES = (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE)
_TYPE_WEIGHTS = (40, 55, 5)
_KEYPAD = {
    "2": "ABC", "3": "DEF", "4": "GHI", "5": "JKL",
    "6": "MNO", "7": "PQRS", "8": "TUV", "9": "WXYZ",
}  # fmt: skip
# Full-width forms sit 0xFEE0 above their ASCII originals; the ideographic space is U+3000.
_FULLWIDTH = {ord(c): ord(c) + 0xFEE0 for c in "0123456789+()-."} | {ord(" "): 0x3000}
_JUNK = (
    ("tel:", ""),
    ("Phone: ", ""),
    ("Tel. ", ""),
    ("'", ""),
    ('"', '"'),
    ('="', '"'),
    ("", " (mobile)"),
    ("", " home"),
    ("  ", " ;"),
    ("Mob: ", "."),
)
_EXTENSIONS = (" ext {}", " ext. {}", " x{}", " x {}", "#{}", ";ext={}", " extension {}")
_UNUSABLE = (
    "",
    "   ",
    "n/a",
    "-",
    "unknown",
    "call me",
    "12",
    "123",
    "+44 12",
    "+999 123 4567",
    "+0 123 456 789",
    "+351 912 345 678 901 234",
    "00000",
    "1234567890123456789",
)


class MessyRow(NamedTuple):
    raw: str
    region_hint: str | None
    expected: str | None  # what analysis should recover; None when it cannot
    damage: str
    origin: str | None = None  # the E.164 number the text was made from, when there was one


class _Country(NamedTuple):
    region: str
    code: str  # the country calling code, as digits
    trunk: str  # national (trunk) prefix, "" when the country has none
    idd: str  # the international prefix dialled from there ("" when it is not 00 or 011)
    templates: tuple[tuple[str, ...], ...]  # example national numbers, per type


@cache
def _countries() -> dict[str, _Country]:
    found = {}
    for region in COUNTRIES:
        metadata = PhoneMetadata.metadata_for_region(region)
        templates = []
        for kind in _TYPES:
            example = phonenumbers.example_number_for_type(region, kind)
            nsn = phonenumbers.national_significant_number(example) if example else ""
            templates.append((nsn,) if nsn else ())
        idd = metadata.international_prefix or ""
        found[region] = _Country(
            region=region,
            code=str(metadata.country_code),
            trunk=metadata.national_prefix or "",
            idd=idd if idd in ("00", "011") else "",
            templates=tuple(templates),
        )
    return found


def _national_number(rng: random.Random, country: _Country) -> str:
    """An example number of the country with some digits redrawn."""
    kind = rng.choices(range(len(_TYPES)), _TYPE_WEIGHTS)[0]
    options = country.templates[kind] or country.templates[0]
    template = options[0]
    roll = rng.random()
    if roll < 0.6:
        keep = max(1, len(template) - 4)
    elif roll < 0.85:
        keep = min(3, len(template))
    else:
        keep = rng.choice((1, 2))
    tail = "".join(rng.choice("0123456789") for _ in range(len(template) - keep))
    return template[:keep] + tail


def _grouped(rng: random.Random, digits: str, separators: str = " -.") -> str:
    sep = rng.choice(separators)
    sizes = rng.choice(((3, 3, 4), (2, 4, 4), (3, 4), (4, 3, 3), (2, 2, 2, 2, 2)))
    parts, at = [], 0
    for size in sizes:
        if at >= len(digits):
            break
        parts.append(digits[at : at + size])
        at += size
    if at < len(digits):
        parts.append(digits[at:])
    return sep.join(parts)


def _national_text(rng: random.Random, country: _Country, nsn: str) -> str:
    """The way someone in the country writes the number."""
    if country.code == "1":
        area, rest = nsn[:3], nsn[3:]
        style = rng.randrange(4)
        if style == 0:
            return f"({area}) {rest[:3]}-{rest[3:]}"
        if style == 1:
            return f"{area}.{rest[:3]}.{rest[3:]}"
        if style == 2:
            return f"1-{area}-{rest[:3]}-{rest[3:]}"
        return f"{area} {rest[:3]} {rest[3:]}"
    national = country.trunk + nsn
    style = rng.randrange(4)
    if style == 0 and country.trunk:
        cut = rng.choice((2, 3, 4))
        return f"{national[:cut]}/{national[cut:]}"  # German style
    if style == 1 and country.trunk:
        cut = rng.choice((2, 3))
        return f"({national[:cut]}) {_grouped(rng, national[cut:], ' ')}"
    if style == 2:
        return national
    return _grouped(rng, national)


def _international_text(rng: random.Random, country: _Country, nsn: str) -> str:
    style = rng.randrange(5)
    if style == 0:
        return f"+{country.code} {_grouped(rng, nsn, ' ')}"
    if style == 1:
        return f"+{country.code}-{_grouped(rng, nsn, '-')}"
    if style == 2:
        return f"+{country.code}.{_grouped(rng, nsn, '.')}"
    if style == 3 and country.trunk == "0":
        return f"+{country.code} (0) {_grouped(rng, nsn, ' ')}"
    return f"+{country.code} {nsn}"


def _float_text(rng: random.Random, digits: str) -> str:
    digits = digits.lstrip("0")
    if rng.random() < 0.5:
        return f"{digits}.0"
    mantissa = f"{digits[0]}.{digits[1:]}".rstrip("0").rstrip(".")
    return f"{mantissa}E+{len(digits) - 1}"


def _unless_rounded(text: str, e164: str) -> str | None:
    """None when the float reads like Excel's rounding (two or more zeros left out)."""
    mantissa, _, exponent = text.partition("E+")
    if not exponent:
        return e164
    written = len(mantissa.replace(".", "").lstrip("0"))
    return None if int(exponent) + 1 - written >= 2 else e164


def _vanity(rng: random.Random, nsn: str) -> str:
    letters = "".join(
        rng.choice(_KEYPAD[d]) if d in _KEYPAD else d for d in nsn[3:]
    )  # keep the 800 code as digits, as the adverts do
    return f"1-{nsn[:3]}-{letters}"


def make_row(rng: random.Random) -> MessyRow:
    """One messy number, with the E.164 number it was made from where that is known."""
    countries = _countries()
    country = countries[rng.choices(COUNTRIES, _WEIGHTS)[0]]
    damage = rng.choices(DAMAGES, _DAMAGE_WEIGHTS)[0]
    nsn = _national_number(rng, country)
    e164 = f"+{country.code}{nsn}"
    hint: str | None = country.region if rng.random() < 0.9 else None
    row = _damaged(rng, countries, country, damage, nsn, e164, hint)
    if row.damage == "unusable":
        return row
    return row._replace(origin=row.expected if row.damage == "vanity" else e164)


def _damaged(
    rng: random.Random,
    countries: dict[str, _Country],
    country: _Country,
    damage: str,
    nsn: str,
    e164: str,
    hint: str | None,
) -> MessyRow:
    if damage == "e164":
        return MessyRow(e164, hint, e164, damage)
    if damage == "international":
        return MessyRow(_international_text(rng, country, nsn), hint, e164, damage)
    if damage == "national":
        return MessyRow(_national_text(rng, country, nsn), country.region, e164, damage)
    if damage == "idd_00":
        return MessyRow(f"00 {country.code} {_grouped(rng, nsn)}", hint, e164, damage)
    if damage == "idd_011":
        return MessyRow(f"011 {country.code} {_grouped(rng, nsn)}", hint, e164, damage)
    if damage == "lost_plus":
        foreign = rng.choice(COUNTRIES)
        return MessyRow(f"{country.code}{nsn}", foreign, e164, damage)
    if damage == "float":
        foreign = rng.choice(COUNTRIES)
        text = _float_text(rng, country.code + nsn)
        return MessyRow(text, foreign, _unless_rounded(text, e164), damage)
    if damage == "float_national":
        text = _float_text(rng, nsn)  # a trunk 0 is lost when the text becomes a number
        return MessyRow(text, country.region, _unless_rounded(text, e164), damage)
    if damage == "float_rounded":
        digits = country.code + nsn
        return MessyRow(f"{digits[0]}.{digits[1:6]}E+{len(digits) - 1}", hint, None, damage)
    if damage == "lost_leading_zero":
        national = (country.trunk if country.trunk == "0" else "") + nsn
        if national.startswith("0"):
            return MessyRow(national[1:], country.region, e164, damage)
        with_idd = f"00{country.code}{nsn}"  # 0044... stored as a number loses one zero
        return MessyRow(with_idd[1:], rng.choice(("GB", "DE", "FR", "PT", "ES")), e164, damage)
    if damage == "vanity":
        nanp = countries[rng.choice(("US", "CA"))]
        toll_free = rng.choice(("800", "888", "877", "866")) + "".join(
            rng.choice("23456789") for _ in range(7)
        )
        return MessyRow(_vanity(rng, toll_free), nanp.region, f"+1{toll_free}", damage)
    if damage == "extension":
        extension = str(rng.randrange(1, 99999))
        text = _international_text(rng, country, nsn) + rng.choice(_EXTENSIONS).format(extension)
        return MessyRow(text, hint, e164, damage)
    if damage == "junk":
        before, after = rng.choice(_JUNK)
        return MessyRow(
            f"{before}{_international_text(rng, country, nsn)}{after}", hint, e164, damage
        )
    if damage == "fullwidth":
        text = _international_text(rng, country, nsn).translate(_FULLWIDTH)
        return MessyRow(text, hint, e164, damage)
    if damage == "foreign_hint":
        # A national number in a file whose rows carry another country: not recoverable.
        other = rng.choice([c for c in COUNTRIES if countries[c].code != country.code])
        return MessyRow(_national_text(rng, country, nsn), other, None, damage)
    return MessyRow(rng.choice(_UNUSABLE), hint, None, "unusable")


def make_number(rng: random.Random) -> tuple[str, str | None]:
    """One messy number and its region hint."""
    row = make_row(rng)
    return row.raw, row.region_hint


def messy_rows(n: int, seed: int = 0) -> Iterator[MessyRow]:
    """``n`` messy rows, the same ones for the same seed."""
    rng = random.Random(seed)
    for _ in range(n):
        yield make_row(rng)


def messy_numbers(n: int, seed: int = 0) -> Iterator[tuple[str, str | None]]:
    """``n`` (raw, region_hint) pairs, the same ones for the same seed."""
    for row in messy_rows(n, seed):
        yield row.raw, row.region_hint
