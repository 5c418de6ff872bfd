"""Number intelligence: everything phonelist can tell about a number without calling anyone.

:func:`analyze` is pure and never raises. It cleans the text (:mod:`~phonelist.numbers.clean`),
parses it with the fastest backend known to agree with the reference
(:mod:`~phonelist.numbers.backends`), repairs spreadsheet damage only where exactly one reading
is valid, and adds the time zones and carrier from the prefix tables
(:mod:`~phonelist.numbers.prefixes`). The rules are documented in docs/numbers.md.

Repairs, each tried only when the text as written is not a valid number, has no ``+`` and no
letters (a vanity number's digits were chosen, not damaged):

- ``lost_plus``: ``+`` followed by the text is valid: ``351912345678`` read from the US.
- ``idd_00`` / ``idd_011``: it starts with an international prefix that is not the region's
  (``0044...`` dialled from the US, ``011 44...`` from Portugal) and the rest is valid after ``+``.
- ``lost_leading_zero``: ``0`` followed by it is valid in the region (a spreadsheet dropped the
  leading zero: ``0044...`` stored as ``044...``, an Italian ``06...`` stored as ``6...``).

All three are tried; when two are valid and disagree, none is taken and the number stays as
written. A repair that moves the number to another country is taken only when the text cannot
be a national number of the hint's region at all (validity "invalid", e.g. too long): a
"possible" national number (right length, unknown range) is not reinterpreted abroad.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any

import phonenumbers

from phonelist.numbers.backends import TYPE_NAMES, Backend, Reading, auto_backend
from phonelist.numbers.clean import clean, has_letters
from phonelist.numbers.prefixes import carrier_name, time_zones

__all__ = [
    "REASONS",
    "VALIDITIES",
    "Analysis",
    "analyze",
    "analyze_many",
    "clear_cache",
    "number_formats",
    "region_code",
]

VALIDITIES = ("valid", "possible", "invalid")
REASONS: dict[str, str] = {
    "empty": "it is empty",
    "not_a_number": "it does not look like a phone number",
    "invalid_country_code": "its country code does not exist",
    "too_short": "it is too short",
    "too_long": "it is too long",
    "invalid_for_region": "it is not a number in use in its country",
}

# Cleaned texts whose reading is kept (_read): about 0.5 KB each.
_READ_CACHE_SIZE = 1 << 15
_IDD = re.compile(
    r"^(?:(?P<idd_011>0[\s.\-/]*1[\s.\-/]*1)|(?P<idd_00>0[\s.\-/]*0))[\s.\-/]*(?=[1-9])"
)


@dataclass(frozen=True, slots=True)
class Analysis:
    """What :func:`analyze` found out about one raw value.

    ``e164`` (and the ``national`` and ``international`` formats, computed from it when read)
    is set when the number is valid or possible (the right length for its country, in no known
    range). ``reason`` says why a number is not
    valid (see :data:`REASONS`). ``repairs`` names what was undone to read it: fullwidth, junk,
    float, lost_plus, idd_00, idd_011, lost_leading_zero.
    """

    raw: str
    e164: str | None
    validity: str
    reason: str | None
    number_type: str
    region: str | None
    country_code: int | None
    carrier: str | None
    time_zones: tuple[str, ...]
    extension: str | None
    repairs: tuple[str, ...]

    @property
    def usable(self) -> bool:
        """Valid or possible: something a contact can hold."""
        return self.e164 is not None

    @property
    def national(self) -> str | None:
        """The number as dialled inside its country, e.g. ``(202) 555-0143``."""
        return None if self.e164 is None else number_formats(self.e164)[0]

    @property
    def international(self) -> str | None:
        """The number as written for the world, e.g. ``+1 202-555-0143``."""
        return None if self.e164 is None else number_formats(self.e164)[1]

    def as_dict(self) -> dict[str, Any]:
        """Every field and both formats, ready for JSON."""
        found = {name: getattr(self, name) for name in _FIELDS}
        found["time_zones"] = list(self.time_zones)
        found["repairs"] = list(self.repairs)
        found["national"], found["international"] = self.national, self.international
        return found

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # A plain tuple of fields: the cheapest shape to send between processes.
        return (Analysis, tuple(getattr(self, name) for name in _FIELDS))


_FIELDS = tuple(f.name for f in fields(Analysis))
# A frozen dataclass's __init__ sets each field through object.__setattr__; the slots' own
# descriptors set them in half the time (about 0.6 against 1.2 us here), and an import builds
# one Analysis per row (_build). Unpacking them fails at import if the fields change.
(
    _set_raw,
    _set_e164,
    _set_validity,
    _set_reason,
    _set_number_type,
    _set_region,
    _set_country_code,
    _set_carrier,
    _set_time_zones,
    _set_extension,
    _set_repairs,
) = (getattr(Analysis, name).__set__ for name in _FIELDS)


def number_formats(e164: str, *, backend: Backend | None = None) -> tuple[str, str]:
    """The national and international formats of a valid or possible E.164 number.

    Formatting costs about as much as parsing, and the importer never needs it, so
    :class:`Analysis` computes its formats from ``e164`` when they are read.
    """
    if backend is not None:
        return backend.formats(e164)
    return _cached_formats(e164)


@lru_cache(maxsize=4096)
def _cached_formats(e164: str) -> tuple[str, str]:
    return auto_backend().formats(e164)


@lru_cache(maxsize=256)
def _calling_code(region: str | None) -> int | None:
    return phonenumbers.country_code_for_region(region) if region else None


@lru_cache(maxsize=1024)
def region_code(value: str | None) -> str | None:
    """An ISO 3166 region code phonenumbers knows (``pt`` -> ``PT``), else None."""
    if not value:
        return None
    code = value.strip().upper()
    return code if code in phonenumbers.SUPPORTED_REGIONS else None


def analyze(
    raw: str,
    region_hint: str | None = None,
    default_region: str = "US",
    *,
    backend: Backend | None = None,
) -> Analysis:
    """Analyse ``raw`` as dialled from ``region_hint`` (else ``default_region``); never raises.

    The hint is the most specific region known for the row: an explicit column or option, else
    the contact's country; ``default_region`` is the workspace's.
    """
    region = region_code(region_hint) or region_code(default_region)
    return _analyze(raw, region, backend or auto_backend())


def analyze_many(
    raws: Sequence[str],
    region_hints: Sequence[str | None] | None = None,
    default_region: str = "US",
    *,
    backend: Backend | None = None,
) -> list[Analysis]:
    """:func:`analyze` for a batch (the importer's entry point); hints align with ``raws``."""
    chosen = backend or auto_backend()
    default = region_code(default_region)
    if region_hints is None:
        return [_analyze(raw, default, chosen) for raw in raws]
    if len(region_hints) != len(raws):
        raise ValueError("raws and region_hints must have the same length")
    return [
        _analyze(raw, region_code(hint) or default, chosen)
        for raw, hint in zip(raws, region_hints, strict=True)
    ]


def _analyze(raw: str, region: str | None, backend: Backend) -> Analysis:
    if not isinstance(raw, str):  # callers are typed, but a pure function should not crash
        raw = str(raw)
    cleaned = clean(raw)
    if cleaned.reason is not None:
        return _invalid(raw, cleaned.reason, None, cleaned.repairs)
    repair, found = _read(cleaned.text, region, backend)
    return _build(raw, found, cleaned.repairs if repair is None else (*cleaned.repairs, repair))


def _build(raw: str, found: _Found, repairs: tuple[str, ...]) -> Analysis:
    """``Analysis(raw, *found, repairs)``, built faster (see _set_raw)."""
    e164, validity, reason, number_type, region, country_code, carrier, zones, extension = found
    analysis = object.__new__(Analysis)
    _set_raw(analysis, raw)
    _set_e164(analysis, e164)
    _set_validity(analysis, validity)
    _set_reason(analysis, reason)
    _set_number_type(analysis, number_type)
    _set_region(analysis, region)
    _set_country_code(analysis, country_code)
    _set_carrier(analysis, carrier)
    _set_time_zones(analysis, zones)
    _set_extension(analysis, extension)
    _set_repairs(analysis, repairs)
    return analysis


# Fields of an Analysis between ``raw`` and ``repairs``: e164 ... extension.
_Found = tuple[
    str | None,
    str,
    str | None,
    str,
    str | None,
    int | None,
    str | None,
    tuple[str, ...],
    str | None,
]


@lru_cache(maxsize=_READ_CACHE_SIZE)
def _read(text: str, region: str | None, backend: Backend) -> tuple[str | None, _Found]:
    """What a cleaned text reads as from ``region``, and the name of the repair that read it.

    A pure function of its arguments, so it is cached: files repeat numbers, often written
    differently, and the cleaned texts of many of those are equal.
    """
    reading = backend.read(text, region)
    repair = None
    if reading.validity != "valid" and "+" not in text and not has_letters(text):
        repaired = _repair(text, region, reading, backend)
        if repaired is not None:
            repair, reading = repaired
    if reading.e164 is None:
        reason = reading.reason or "not_a_number"
        return repair, (
            None,
            "invalid",
            reason,
            "unknown",
            None,
            reading.country_code,
            None,
            (),
            None,
        )
    e164 = reading.e164
    country_code = reading.country_code or 0
    type_code = reading.type_code
    return repair, (
        e164,
        reading.validity,
        reading.reason,
        TYPE_NAMES.get(type_code, "unknown"),
        reading.region,
        country_code,
        carrier_name(e164, country_code, type_code),
        time_zones(e164, country_code, type_code),
        reading.extension,
    )


def clear_cache() -> None:
    """Forget the cached readings (benchmarks time cold runs with it)."""
    _read.cache_clear()


def _repair(
    text: str, region: str | None, reading: Reading, backend: Backend
) -> tuple[str, Reading] | None:
    """The one valid reading of a damaged text and the repair's name; None unless just one."""
    candidates: list[tuple[str, str]] = []
    first = text.lstrip("( ")[:1]
    if first and first in "123456789":
        candidates.append(("lost_plus", "+" + text))
    idd = _IDD.match(text)
    if idd is not None:
        candidates.append((idd.lastgroup or "idd_00", "+" + text[idd.end() :]))
    if region is not None:
        candidates.append(("lost_leading_zero", "0" + text))
    found: dict[str, tuple[str, Reading]] = {}
    for name, candidate in candidates:
        tried = backend.read(candidate, region, confirm_invalid=False)
        if tried.validity == "valid" and tried.e164 is not None:
            found.setdefault(tried.e164, (name, tried))
    if len(found) != 1:
        return None  # nothing valid, or two valid readings that disagree: no guessing
    name, repaired = next(iter(found.values()))
    if reading.validity == "possible" and repaired.country_code != _calling_code(region):
        return None  # a plausible national number is not moved to another country
    return name, repaired


def _invalid(raw: str, reason: str, country_code: int | None, repairs: tuple[str, ...]) -> Analysis:
    return Analysis(
        raw, None, "invalid", reason, "unknown", None, country_code, None, (), None, repairs
    )  # fmt: skip
