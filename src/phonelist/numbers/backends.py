"""The parsers behind :func:`~phonelist.numbers.analyze`: the reference and a faster drop-in.

``phonenumbers`` (Python) is the reference. ``rphonenumbers`` (the same API on a Rust core, about
seven times faster here, see docs/benchmarks.md) is used when it is installed and its data
release is one whose differences from the installed reference are known
(:mod:`phonelist.numbers.routing`); numbers those differences could touch are read by the
reference instead. Anything else, including a data release nobody compared, runs on the
reference alone.

This module is the boundary where the parsers' exceptions end: :meth:`Backend.read` never
raises for any text.
"""

from __future__ import annotations

import importlib
import re
from functools import cache
from types import ModuleType
from typing import Any, NamedTuple

import phonenumbers

from phonelist.numbers import routing

__all__ = [
    "TYPE_NAMES",
    "Backend",
    "Reading",
    "auto_backend",
    "fast_backend",
    "is_plain",
    "reference_backend",
]

# PhoneNumberType codes, shared by both libraries.
TYPE_NAMES: dict[int, str] = {
    0: "fixed_line",
    1: "mobile",
    2: "fixed_line_or_mobile",
    3: "toll_free",
    4: "premium_rate",
    5: "shared_cost",
    6: "voip",
    7: "personal_number",
    8: "pager",
    9: "uan",
    10: "voicemail",
    99: "unknown",
}
UNKNOWN_TYPE = 99

# NumberParseException.error_type -> reason
_PARSE_REASONS = {
    0: "invalid_country_code",
    1: "not_a_number",
    2: "too_short",  # TOO_SHORT_AFTER_IDD
    3: "too_short",  # TOO_SHORT_NSN
    4: "too_long",
}
# ValidationResult -> reason, for numbers that parse but are not possible
_POSSIBILITY_REASONS = {
    1: "invalid_country_code",
    2: "too_short",
    3: "too_long",
    5: "invalid_for_region",  # INVALID_LENGTH: between the shortest and longest, but not a length
}
_POSSIBLE = (0, 4)  # IS_POSSIBLE, IS_POSSIBLE_LOCAL_ONLY
_E164, _INTERNATIONAL, _NATIONAL = 0, 1, 2
_START = re.compile(r"[+\d]")
# Texts of ASCII digits and separators, with at most a leading +: no extension, letter or other
# script, as in every text the two parsers' own code was found to differ on (RoutedBackend.read).
_PLAIN = re.compile(r"\+?[0-9 ().\-/]*")
# rphonenumbers computes a number with more than this many leading zeros (+39 000000000005)
# as if it had ten: its E.164, length checks and type are then wrong. The reference reads them.
_MAX_FAST_LEADING_ZEROS = 10
# The regions of each calling code (equal in both libraries: the routing table is refused
# otherwise). A code with one region: libphonenumber's region_code_for_number returns it.
_REGIONS_OF_CODE: dict[int, tuple[str, ...]] = phonenumbers.COUNTRY_CODE_TO_REGION_CODE


class Reading(NamedTuple):
    """What one parser says about one cleaned text. ``validity`` is valid, possible or invalid."""

    e164: str | None
    validity: str
    reason: str | None
    type_code: int
    region: str | None
    country_code: int | None
    extension: str | None


def _failed(reason: str) -> Reading:
    return Reading(None, "invalid", reason, UNKNOWN_TYPE, None, None, None)


_FAILED = {code: _failed(reason) for code, reason in _PARSE_REASONS.items()}
_NOT_A_NUMBER = _FAILED[1]


class Backend:
    """One phone number library, read through the handful of calls phonelist needs."""

    def __init__(self, name: str, library: ModuleType, data_version: str) -> None:
        self.name = name
        self.data_version = data_version
        self.library = library
        lib: Any = library
        self._parse = lib.parse
        self._error = lib.NumberParseException
        self._is_valid = lib.is_valid_number
        self._possible_reason = lib.is_possible_number_with_reason
        self._number_type = lib.number_type
        self._region = lib.region_code_for_number
        self._format = lib.format_number
        self._nsn = lib.national_significant_number

    def __repr__(self) -> str:
        return f"<Backend {self.name} (data {self.data_version})>"

    def read(self, text: str, region: str | None, *, confirm_invalid: bool = True) -> Reading:
        """Parse, validate and classify ``text`` as dialled from ``region``.

        ``confirm_invalid`` matters only to :class:`RoutedBackend`.
        """
        try:
            number = self._parse(text, region)
        except self._error as exc:
            return _FAILED.get(exc.error_type, _NOT_A_NUMBER)
        except Exception:  # a parser bug must not reach the caller
            return _NOT_A_NUMBER
        return self._describe(number)

    def _describe(self, number: Any) -> Reading:
        country_code = number.country_code
        if self._is_valid(number):
            validity, reason = "valid", None
        else:
            possibility = self._possible_reason(number)
            if possibility in _POSSIBLE:
                validity, reason = "possible", "invalid_for_region"
            else:
                reason = _POSSIBILITY_REASONS.get(possibility, "invalid_for_region")
                return Reading(None, "invalid", reason, UNKNOWN_TYPE, None, country_code, None)
        return Reading(
            self._format(number, _E164),
            validity,
            reason,
            self._number_type(number),
            self._region(number),
            country_code,
            number.extension or None,
        )

    def formats(self, e164: str) -> tuple[str, str]:
        """The national and international formats of an E.164 number (extension left out).

        They depend on the number alone, so they are computed when asked for, not for every
        number analysed: each costs about as much as parsing (docs/benchmarks.md).
        """
        number = self._parse(e164, None)
        return self._format(number, _NATIONAL), self._format(number, _INTERNATIONAL)


class RoutedBackend(Backend):
    """The fast library, handing the numbers its older data could get wrong to the reference."""

    def __init__(
        self, fast: Backend, reference: Backend, table: routing.RoutingTable | None
    ) -> None:
        super().__init__(f"{fast.name}+routing", fast.library, fast.data_version)
        self.fast = fast
        self.reference = reference
        self.table = table

    def read(self, text: str, region: str | None, *, confirm_invalid: bool = True) -> Reading:
        """The fast reading, or the reference's where they could differ.

        Besides the routing table, the reference confirms the *invalid* answers (and the parse
        errors) for texts that are not plain (:data:`_PLAIN`: ASCII digits, separators and a
        leading ``+``), and every *possible* answer with an extension: the two parsers' code
        differs on some such texts (``00;0``, ``91,2``, ``76;04`` read from Germany: which error,
        or whether a one- or two-digit "number" with an extension parses at all). On plain texts
        they agree (``bench/numbers_bench.py --fuzz``, docs/numbers.md). Repairs skip the
        confirmation for their candidate readings (``confirm_invalid=False``): only a valid
        candidate counts.
        """
        table = self.table
        if table is not None and region in table.hint_regions and not _starts_with_plus(text):
            return self.reference.read(text, region)
        try:
            number = self._parse(text, region)
        except self._error as exc:
            if confirm_invalid and _PLAIN.fullmatch(text) is None:
                return self.reference.read(text, region)
            return _FAILED.get(exc.error_type, _NOT_A_NUMBER)
        except Exception:  # a parser bug must not reach the caller
            return self.reference.read(text, region) if confirm_invalid else _NOT_A_NUMBER
        national_number = self._nsn(number)
        if self._routed(number, national_number):
            return self.reference.read(text, region)
        reading = self._describe_fast(number, national_number)
        if confirm_invalid and (
            (reading.validity == "invalid" and _PLAIN.fullmatch(text) is None)
            or (reading.validity == "possible" and reading.extension is not None)
        ):
            return self.reference.read(text, region)
        return reading

    def _describe_fast(self, number: Any, national_number: str) -> Reading:
        """:meth:`Backend._describe` in two library calls for a valid number instead of four.

        As in libphonenumber: a number is valid exactly when its type is known (both are the
        type test against its region's data), its E.164 form is ``+``, the calling code and the
        national significant number, and a calling code with one region gives that region.
        """
        country_code = number.country_code
        type_code = self._number_type(number)
        if type_code != UNKNOWN_TYPE:
            validity, reason = "valid", None
        else:
            possibility = self._possible_reason(number)
            if possibility in _POSSIBLE:
                validity, reason = "possible", "invalid_for_region"
            else:
                reason = _POSSIBILITY_REASONS.get(possibility, "invalid_for_region")
                return Reading(None, "invalid", reason, UNKNOWN_TYPE, None, country_code, None)
        regions = _REGIONS_OF_CODE.get(country_code)
        return Reading(
            f"+{country_code}{national_number}",
            validity,
            reason,
            type_code,
            regions[0] if regions is not None and len(regions) == 1 else self._region(number),
            country_code,
            number.extension or None,
        )

    def formats(self, e164: str) -> tuple[str, str]:
        number = self._parse(e164, None)
        if self._routed(number, self._nsn(number)):
            return self.reference.formats(e164)
        return self._format(number, _NATIONAL), self._format(number, _INTERNATIONAL)

    def _routed(self, number: Any, national_number: str) -> bool:
        if number.italian_leading_zero and (number.number_of_leading_zeros or 1) > (
            _MAX_FAST_LEADING_ZEROS
        ):
            return True
        table = self.table
        if table is None:
            return False
        country_code = number.country_code
        return country_code in table.country_codes and table.touches(country_code, national_number)


def is_plain(text: str) -> bool:
    """Whether the text is ASCII digits and separators with at most a leading ``+``.

    The fast parser's invalid answers for such texts are the reference's
    (:meth:`RoutedBackend.read`).
    """
    return _PLAIN.fullmatch(text) is not None


def _starts_with_plus(text: str) -> bool:
    """Whether the parser will read a ``+``: the first ``+`` or digit of the text is a ``+``."""
    start = _START.search(text)
    return start is not None and start.group() == "+"


@cache
def reference_backend() -> Backend:
    """``phonenumbers``: always available, the answer every other backend must agree with."""
    return Backend("phonenumbers", phonenumbers, phonenumbers.__version__)


@cache
def fast_backend() -> Backend | None:
    """``rphonenumbers`` alone (no routing), or None when it is not installed."""
    try:
        library = importlib.import_module("rphonenumbers")
    except ImportError:
        return None
    return Backend("rphonenumbers", library, str(library.__phonenumbers_version__))


@cache
def auto_backend() -> Backend:
    """The backend :func:`analyze` uses by default: fast where it is known to agree.

    - rphonenumbers missing: the reference.
    - its data release equals the reference's: rphonenumbers for every number.
    - a release pair with a generated routing table: rphonenumbers, and the reference for the
      numbers the table names.
    - any other pair: the reference (unknown differences are not risked).
    """
    reference = reference_backend()
    fast = fast_backend()
    if fast is None:
        return reference
    if fast.data_version == reference.data_version:
        return RoutedBackend(fast, reference, None)
    table = routing.table_for(fast.data_version, reference.data_version)
    if table is None:
        return reference
    return RoutedBackend(fast, reference, table)
