"""100,000 generated messy numbers: the fast backend agrees with the reference on every row.

The rows come from bench/messy.py (seeded). Each row is analysed twice with the same cleaning
and repair logic: once on the default backend (rphonenumbers where it is known to agree, with
the routing table) and once on phonenumbers alone. Every field must match, and so must the
formats. The time zones and carrier names read from the prefix caches are checked against
phonenumbers' own ``timezone`` and ``carrier`` functions, and the repairs against the number
each row was made from. Two worker processes share the work (the reference is slow).
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from dataclasses import dataclass, field

import phonenumbers
import pytest
from bench.messy import MessyRow, messy_rows
from phonenumbers import carrier, timezone

from phonelist.numbers import (
    Analysis,
    analyze,
    analyze_many,
    auto_backend,
    number_formats,
    reference_backend,
)

ROWS = 100_000
SEED = 20251128
CHUNKS = 2
_ROWS: list[MessyRow] = []  # generated once, before the workers fork
REPAIRS = {"lost_plus", "idd_00", "idd_011", "lost_leading_zero"}
# Damage the text can always be read back from, when the number it was made from is valid.
EXACT = {"e164", "international", "national", "idd_00", "idd_011", "extension", "junk"}
EXACT |= {"fullwidth", "vanity", "float_national"}
# Damage read back only when the rules find exactly one valid reading (docs/numbers.md): the
# share recovered on this corpus, with some slack, so that a weaker rule fails the test.
RECOVERY_FLOOR = {"lost_plus": 0.6, "float": 0.6, "lost_leading_zero": 0.85}


@dataclass
class Outcome:
    rows: int = 0
    mismatches: list[tuple[MessyRow, Analysis, Analysis]] = field(default_factory=list)
    format_mismatches: list[tuple[str, tuple[str, str], tuple[str, str]]] = field(
        default_factory=list
    )
    prefix_mismatches: list[tuple[str, str, object, object]] = field(default_factory=list)
    misread: list[tuple[MessyRow, Analysis]] = field(default_factory=list)
    wrong_repairs: list[tuple[MessyRow, Analysis]] = field(default_factory=list)
    recovered: Counter[str] = field(default_factory=Counter)
    attempted: Counter[str] = field(default_factory=Counter)
    validity: Counter[str] = field(default_factory=Counter)
    routed_to_reference: int = 0


def _check_chunk(index: int) -> Outcome:
    rows = _ROWS[index::CHUNKS]
    raws, hints = [r.raw for r in rows], [r.region_hint for r in rows]
    fast = analyze_many(raws, hints, "US")
    reference = analyze_many(raws, hints, "US", backend=reference_backend())
    outcome = Outcome(rows=len(rows))
    auto, ref = auto_backend(), reference_backend()
    for position, (row, got, want) in enumerate(zip(rows, fast, reference, strict=True)):
        outcome.validity[want.validity] += 1
        if got != want:
            outcome.mismatches.append((row, got, want))
            continue
        if got.e164 is not None:
            formats = number_formats(got.e164, backend=auto), number_formats(got.e164, backend=ref)
            if formats[0] != formats[1]:
                outcome.format_mismatches.append((got.e164, *formats))
            if position % 4 == 0:
                _check_prefixes(got, outcome)
        _check_recovery(row, got, outcome)
    return outcome


def _check_prefixes(found: Analysis, outcome: Outcome) -> None:
    """The prefix caches give what phonenumbers' own functions give."""
    assert found.e164 is not None
    number = phonenumbers.parse(found.e164, None)
    zones = tuple(z for z in timezone.time_zones_for_number(number) if z != "Etc/Unknown")
    if zones != found.time_zones:
        outcome.prefix_mismatches.append((found.e164, "time_zones", found.time_zones, zones))
    name = carrier.name_for_number(number, "en") or None
    if name != found.carrier:
        outcome.prefix_mismatches.append((found.e164, "carrier", found.carrier, name))


def _check_recovery(row: MessyRow, found: Analysis, outcome: Outcome) -> None:
    repaired = REPAIRS & set(found.repairs) and row.damage != "foreign_hint"
    changed = repaired and row.origin is not None and found.e164 != row.origin
    # A repair must never turn a valid number into another one.
    if changed and analyze(row.origin or "").validity == "valid":
        outcome.wrong_repairs.append((row, found))
    if row.damage in ("unusable", "float_rounded") and found.validity == "valid":
        outcome.misread.append((row, found))
    if row.expected is None or analyze(row.expected).validity != "valid":
        return
    if row.damage in EXACT and found.e164 != row.expected:
        outcome.misread.append((row, found))
    if row.damage in RECOVERY_FLOOR:
        outcome.attempted[row.damage] += 1
        outcome.recovered[row.damage] += found.e164 == row.expected


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    _ROWS[:] = messy_rows(ROWS, SEED)
    context = multiprocessing.get_context("fork")
    with context.Pool(CHUNKS) as pool:
        return pool.map(_check_chunk, range(CHUNKS))


def test_fast_backend_agrees_with_the_reference_on_every_row(outcomes: list[Outcome]) -> None:
    assert sum(o.rows for o in outcomes) == ROWS
    mismatches = [m for o in outcomes for m in o.mismatches]
    assert mismatches == []
    formats = [m for o in outcomes for m in o.format_mismatches]
    assert formats == []


def test_the_corpus_is_messy_enough(outcomes: list[Outcome]) -> None:
    validity = sum((o.validity for o in outcomes), Counter())
    assert validity["valid"] > ROWS * 0.6
    assert validity["invalid"] > ROWS * 0.08
    assert validity["possible"] > ROWS * 0.02


def test_prefix_caches_match_the_library(outcomes: list[Outcome]) -> None:
    assert [m for o in outcomes for m in o.prefix_mismatches] == []


def test_damage_is_read_back_and_repairs_never_guess_wrong(outcomes: list[Outcome]) -> None:
    assert [m for o in outcomes for m in o.misread] == []
    assert [m for o in outcomes for m in o.wrong_repairs] == []
    attempted = sum((o.attempted for o in outcomes), Counter())
    recovered = sum((o.recovered for o in outcomes), Counter())
    for damage, floor in RECOVERY_FLOOR.items():
        assert attempted[damage] > 1000
        assert recovered[damage] / attempted[damage] >= floor, damage
