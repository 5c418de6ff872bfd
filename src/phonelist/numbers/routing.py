"""Which numbers the fast backend may read, given how its data differs from the reference's.

rphonenumbers bundles the libphonenumber metadata of one phonenumbers release; the installed
reference may be newer. ``bench/numbers_bench.py diff-data`` compares the two releases' metadata
region by region and writes :mod:`phonelist.numbers._routing_data`. A number goes to the
reference when:

- it is written without a leading ``+`` and read from (region hint) a region whose general
  number pattern, possible lengths, national or international prefixes or leading digits
  changed: those steer how national digits are parsed, so the outcome is left to the reference
  (with a ``+``, the hint's data plays no part);
- it belongs to a country code one of whose regions changed its prefixes, leading digits or
  possible lengths: any of its numbers could be read otherwise;
- a changed number pattern (the general one, or a type's: mobile, fixed line...) of any region
  of its country code accepts it in one release and not in the other (lengths included);
- a changed list of formatting rules picks, for its national significant number, a rule that
  formats differently in the two releases.

Every other rule a number is checked against is identical in both releases, so for the numbers
left to the fast backend the two give the same answers. The corpus test
(tests/numbers/test_corpus.py) checks that on 100,000 generated messy numbers.

The table holds only for the exact pair of releases it was generated from; for any other pair
:func:`table_for` returns None and the caller uses the reference alone.
"""

from __future__ import annotations

import re

from phonelist.numbers import _routing_data as data

__all__ = ["RoutingTable", "table_for"]

_Desc = tuple[re.Pattern[str] | None, tuple[int, ...]]
_Rules = tuple[tuple[re.Pattern[str] | None, re.Pattern[str], str], ...]


class RoutingTable:
    """The differences between one fast data release and one reference release."""

    def __init__(
        self,
        fast_version: str,
        reference_version: str,
        hint_regions: frozenset[str],
        whole_country_codes: frozenset[int],
        desc_changes: dict[int, tuple[data.DescChange, ...]],
        format_changes: dict[int, tuple[tuple[tuple[data.Rule, ...], tuple[data.Rule, ...]], ...]],
    ) -> None:
        self.fast_version = fast_version
        self.reference_version = reference_version
        self.hint_regions = hint_regions
        self.whole_country_codes = whole_country_codes
        self.country_codes = (
            whole_country_codes | frozenset(desc_changes) | frozenset(format_changes)
        )
        self._desc_changes = desc_changes
        self._format_changes = format_changes
        self._descs: dict[int, tuple[tuple[_Desc, _Desc], ...]] = {}
        self._formats: dict[int, tuple[re.Pattern[str], tuple[tuple[_Rules, _Rules], ...]]] = {}

    def touches(self, country_code: int, national_number: str) -> bool:
        """True when the two releases could disagree about this number."""
        if country_code not in self.country_codes:
            return False
        if country_code in self.whole_country_codes:
            return True
        for old, new in self._compiled_descs(country_code):
            if _matches(old, national_number) != _matches(new, national_number):
                return True
        changed_rules, lists = self._compiled_formats(country_code)
        if changed_rules.fullmatch(national_number) is None:
            return False  # no rule that differs fits it: both releases pick the same rule
        return any(
            _chosen(old, national_number) != _chosen(new, national_number) for old, new in lists
        )

    def _compiled_descs(self, country_code: int) -> tuple[tuple[_Desc, _Desc], ...]:
        found = self._descs.get(country_code)
        if found is None:
            found = tuple(
                ((_compile(old), old_lengths), (_compile(new), new_lengths))
                for old, old_lengths, new, new_lengths in self._desc_changes.get(country_code, ())
            )
            self._descs[country_code] = found
        return found

    def _compiled_formats(
        self, country_code: int
    ) -> tuple[re.Pattern[str], tuple[tuple[_Rules, _Rules], ...]]:
        found = self._formats.get(country_code)
        if found is None:
            pairs = self._format_changes.get(country_code, ())
            differing = {rule for old, new in pairs for rule in set(old) ^ set(new)}
            alternatives = [
                f"(?:(?={leading}){pattern})" if leading else f"(?:{pattern})"
                for leading, pattern, _output in sorted(differing)
            ]
            found = (
                re.compile("|".join(alternatives) or "(?!)"),
                tuple((_compile_rules(old), _compile_rules(new)) for old, new in pairs),
            )
            self._formats[country_code] = found
        return found


def _compile(pattern: str | None) -> re.Pattern[str] | None:
    return None if pattern is None else re.compile(pattern)


def _compile_rules(rules: tuple[data.Rule, ...]) -> _Rules:
    return tuple(
        (re.compile(leading) if leading else None, re.compile(pattern), output)
        for leading, pattern, output in rules
    )


def _matches(desc: _Desc, national_number: str) -> bool:
    """libphonenumber's test of a number against one type: length first, then the pattern."""
    pattern, lengths = desc
    if pattern is None:
        return False
    if lengths and len(national_number) not in lengths:
        return False
    return pattern.fullmatch(national_number) is not None


def _chosen(rules: _Rules, national_number: str) -> str | None:
    """libphonenumber's choice of formatting rule: the first whose digits and pattern fit."""
    for leading, pattern, output in rules:
        if (leading is None or leading.match(national_number)) and pattern.fullmatch(
            national_number
        ):
            return output
    return None


_TABLE = RoutingTable(
    fast_version=data.FAST_DATA_VERSION,
    reference_version=data.REFERENCE_DATA_VERSION,
    hint_regions=frozenset(data.HINT_REGIONS),
    whole_country_codes=frozenset(data.WHOLE_COUNTRY_CODES),
    desc_changes=data.DESC_CHANGES,
    format_changes=data.FORMAT_CHANGES,
)


def table_for(fast_version: str, reference_version: str) -> RoutingTable | None:
    """The routing table for this pair of data releases, or None when none was generated."""
    if (fast_version, reference_version) == (_TABLE.fast_version, _TABLE.reference_version):
        return _TABLE
    return None
