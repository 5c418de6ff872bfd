"""analyze(): each kind of damage it handles, the reasons it gives, and its properties."""

from __future__ import annotations

import pickle
import random

import pytest
from bench.messy import COUNTRIES, MessyRow, make_row
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from phonelist.numbers import Analysis, analyze, analyze_many, auto_backend, reference_backend
from phonelist.numbers.analyze import clear_cache
from phonelist.numbers.backends import fast_backend, is_plain


def _fullwidth(text: str) -> str:
    """The text in full-width forms (U+FF01..), with ideographic spaces."""
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) for c in text)


@pytest.mark.parametrize(
    ("raw", "hint", "e164", "repairs"),
    [
        # formats and separators
        ("+351 912 345 678", None, "+351912345678", ()),
        ("(202) 555-0143", "US", "+12025550143", ()),
        ("202.555.0143", "US", "+12025550143", ()),
        ("202/555-0143", "US", "+12025550143", ()),
        ("030/1234567", "DE", "+49301234567", ()),
        # international prefixes: the region's own, and a foreign one
        ("00351 912 345 678", "PT", "+351912345678", ()),
        ("011 351 912 345 678", "US", "+351912345678", ()),
        ("0044 7911 123456", "US", "+447911123456", ("idd_00",)),
        ("011 44 7911 123456", "PT", "+447911123456", ("idd_011",)),
        # national trunk prefixes, also inside an international number
        ("07911 123456", "GB", "+447911123456", ()),
        ("+44 (0) 7911 123456", "US", "+447911123456", ()),
        ("8 (912) 345-67-89", "RU", "+79123456789", ()),
        # vanity letters
        ("1-800-FLOWERS", "US", "+18003569377", ()),
        # extensions
        ("+1 202 555 0143 ext. 12", "US", "+12025550143", ()),
        ("202-555-0143 x99", "US", "+12025550143", ()),
        ("202-555-0143#7", "US", "+12025550143", ()),
        ("tel:+1-202-555-0143;ext=5", "US", "+12025550143", ("junk",)),
        # leading and trailing junk
        ("Phone: +351 912 345 678", None, "+351912345678", ("junk",)),
        ("'+351912345678", None, "+351912345678", ("junk",)),
        ('="0912345678"', "PT", None, ("junk",)),
        ('"+351 912 345 678";', None, "+351912345678", ("junk",)),
        ("+351 912 345 678 (mobile)", None, "+351912345678", ("junk",)),
        # full-width digits
        (_fullwidth("+351 912 345 678"), None, "+351912345678", ("fullwidth",)),
        (_fullwidth("202-555-0143"), "US", "+12025550143", ("fullwidth",)),
        # spreadsheet floats, with the + or the leading zero they lost
        ("3.51912345678E+11", "US", "+351912345678", ("float", "lost_plus")),
        ("351912345678.0", "US", "+351912345678", ("float", "lost_plus")),
        ("4.47911123456E+11", "PT", "+447911123456", ("float", "lost_plus")),
        ("7.911123456E+9", "GB", "+447911123456", ("float",)),
        ("6.1234087E+8", "ES", "+34612340870", ("float",)),
        # a lost + and lost leading zeros
        ("351912345678", "US", "+351912345678", ("lost_plus",)),
        ("447911123456", "US", "+447911123456", ("lost_plus",)),
        ("044 7911 123456", "GB", "+447911123456", ("lost_leading_zero",)),
        ("612345678", "IT", "+390612345678", ("lost_leading_zero",)),
        # the region's own country code without a +
        ("351912345678", "PT", "+351912345678", ()),
    ],
)
def test_damage_is_undone(
    raw: str, hint: str | None, e164: str | None, repairs: tuple[str]
) -> None:
    found = analyze(raw, hint)
    if e164 is not None:
        assert found.e164 == e164
        assert found.validity == "valid"
    assert found.repairs == repairs
    assert found == analyze(raw, hint, backend=reference_backend())


@pytest.mark.parametrize(
    ("raw", "hint", "validity", "reason"),
    [
        ("", "US", "invalid", "empty"),
        ("   ", "US", "invalid", "empty"),
        ('""', "US", "invalid", "empty"),
        ("hello", "US", "invalid", "not_a_number"),
        ("n/a", "US", "invalid", "not_a_number"),
        ("3.51912E+11", "US", "invalid", "not_a_number"),  # Excel rounded it: digits are lost
        ("+999 123 4567", "US", "invalid", "invalid_country_code"),
        ("0912345678", None, "invalid", "invalid_country_code"),  # no + and no region
        ("12", "US", "invalid", "too_short"),
        ("+44 12", "US", "invalid", "too_short"),
        ("+351 1234567890123456", "US", "invalid", "too_long"),
        ("1234567890123456789", "US", "invalid", "too_long"),
        ("x" * 300, "US", "invalid", "too_long"),
        ("+1 493 012 3456", "US", "possible", "invalid_for_region"),
        ("+47 123456", "US", "invalid", "invalid_for_region"),  # Norway: 5 or 8 digits, not 6
    ],
)
def test_unusable_numbers_say_why(raw: str, hint: str | None, validity: str, reason: str) -> None:
    found = analyze(raw, hint, default_region="ZZ" if hint is None else "US")
    assert (found.validity, found.reason) == (validity, reason)
    assert (found.e164 is None) == (validity == "invalid")


def test_ambiguous_repairs_are_refused() -> None:
    # +49 30 122887 (Berlin) and 04930122887 (Italy) are both valid readings: neither is taken.
    found = analyze("4930122887", "IT")
    assert found.repairs == ()
    assert found.e164 == "+394930122887"
    assert found.validity == "possible"


def test_a_possible_national_number_is_not_moved_abroad() -> None:
    # 10 digits are a plausible US number; +49 30 123456 is valid too, but is not preferred.
    found = analyze("4930123456", "US")
    assert (found.e164, found.validity, found.repairs) == ("+14930123456", "possible", ())


def test_intelligence_fields() -> None:
    found = analyze("+351 912 345 678", None)
    assert found.number_type == "mobile"
    assert found.region == "PT"
    assert found.country_code == 351
    assert found.carrier == "Vodafone"
    assert found.time_zones == ("Atlantic/Azores", "Europe/Lisbon")
    assert found.national == "912 345 678"
    assert found.international == "+351 912 345 678"
    fixed = analyze("(202) 555-0143 ext 12", "US")
    assert (fixed.number_type, fixed.carrier, fixed.extension) == (
        "fixed_line_or_mobile",
        None,
        "12",
    )
    assert fixed.time_zones == ("America/New_York",)
    assert fixed.national == "(202) 555-0143"  # the extension is kept apart


def test_region_hints_are_forgiving_and_fall_back() -> None:
    assert analyze("912 345 678", "pt").e164 == "+351912345678"
    assert analyze("912 345 678", "XX", "PT").e164 == "+351912345678"
    assert analyze("912 345 678", None, "PT").e164 == "+351912345678"
    assert analyze("912 345 678", " PT ", "US").e164 == "+351912345678"


def test_batch_matches_single_calls() -> None:
    raws = ["912 345 678", "+44 7911 123456", "", "202-555-0143"]
    hints = ["PT", None, "US", None]
    assert analyze_many(raws, hints, "US") == [
        analyze(r, h, "US") for r, h in zip(raws, hints, strict=True)
    ]
    assert analyze_many(raws, None, "PT") == [analyze(r, None, "PT") for r in raws]
    with pytest.raises(ValueError, match="same length"):
        analyze_many(raws, hints[:2], "US")


def test_analysis_pickles_small_and_whole() -> None:
    found = analyze("+351 912 345 678 ext 9", None)
    copy = pickle.loads(pickle.dumps(found))
    assert copy == found and isinstance(copy, Analysis)
    assert len(pickle.dumps(found)) < 400
    as_dict = found.as_dict()
    assert as_dict["e164"] == "+351912345678" and as_dict["national"] == "912 345 678"
    assert as_dict["extension"] == "9"


def test_repeated_numbers_keep_their_own_raw_text_and_repairs() -> None:
    # The three rows clean to the same text, whose reading is cached after the first.
    clear_cache()
    raws = ["+351 912 345 678", "'+351 912 345 678", "tel: +351 912 345 678"]
    found = analyze_many(raws, None, "US")
    assert [f.raw for f in found] == raws
    assert [f.repairs for f in found] == [(), ("junk",), ("junk",)]
    assert {f.e164 for f in found} == {"+351912345678"}
    clear_cache()
    assert found == [analyze(raw, None, "US", backend=reference_backend()) for raw in raws]
    assert found == analyze_many(raws, None, "US")


def test_a_cached_repair_is_named_on_every_row() -> None:
    clear_cache()
    first, second = analyze_many(["3.51912345678E+11", "351912345678"], ["US", "US"], "US")
    assert first.repairs == ("float", "lost_plus") and second.repairs == ("lost_plus",)
    assert first.e164 == second.e164 == "+351912345678"


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        # rphonenumbers computes more than ten leading zeros as ten (+5700000000000, possible);
        # the reference reads them (too long), and so does the default backend.
        ("00000000000000", "CO"),
        ("+39 0000000000005", None),
        ("+39 00000000000012", None),
        ("0000000000)000007", "NL"),
        # the parsers' own code differs on these (not plain text: extensions), so the reference
        # confirms them
        ("62#4", "DE"),
        ("24,3449", "KI"),
        ("11;ext=5", None),
        ("02 ext. 95044", "US"),
    ],
)
def test_texts_the_parsers_read_differently_get_the_references_answer(
    raw: str, hint: str | None
) -> None:
    assert analyze(raw, hint, "ZZ") == analyze(raw, hint, "ZZ", backend=reference_backend())


def test_the_default_backend_is_the_fastest_agreeing_one() -> None:
    backend = auto_backend()
    if fast_backend() is None:  # pragma: no cover - rphonenumbers is a dependency
        assert backend is reference_backend()
    else:
        assert backend.name.startswith("rphonenumbers")


# -- properties ------------------------------------------------------------------------------
_PHONE_CHARS = "0123456789+-() ./#xext:'\"EeABCDWXYZ\u00a0\u3000;," + _fullwidth("019+")
_HINTS = st.sampled_from([*COUNTRIES, None, "XX", "zz", "", "001", "pt"])


@st.composite
def valid_numbers(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(COUNTRIES))
    example = analyze(_EXAMPLES[region], region)
    digits = draw(st.text("0123456789", min_size=4, max_size=4))
    e164 = (example.e164 or "")[:-4] + digits
    found = analyze(e164, None)
    assume(found.validity == "valid")
    return e164


_EXAMPLES = {
    "US": "+12015550123", "CA": "+15062345678", "GB": "+447400123456", "DE": "+4915123456789",
    "FR": "+33612345678", "PT": "+351912345678", "ES": "+34612345678", "IT": "+393123456789",
    "NL": "+31612345678", "BR": "+5511961234567", "MX": "+522221234567", "IN": "+918123456789",
    "AU": "+61412345678", "JP": "+819012345678", "ZA": "+27711234567", "NG": "+2348021234567",
    "RU": "+79123456789", "PL": "+48512345678",
}  # fmt: skip


@given(st.text(max_size=60), _HINTS)
def test_analyze_never_raises_on_any_text(raw: str, hint: str | None) -> None:
    found = analyze(raw, hint)
    assert found.validity in ("valid", "possible", "invalid")
    assert (found.e164 is None) == (found.validity == "invalid")


@given(st.text(_PHONE_CHARS, max_size=30), _HINTS)
@settings(max_examples=300)
def test_backends_agree_on_phone_like_text(raw: str, hint: str | None) -> None:
    assert analyze(raw, hint) == analyze(raw, hint, backend=reference_backend())


# Plain texts (ASCII digits, separators, a leading +): the default backend does not ask the
# reference to confirm its invalid answers for them (backends.RoutedBackend.read).
_PLAIN_TEXT = st.one_of(
    st.text("0123456789+ ().-/", max_size=24),
    st.builds(
        lambda lead, zeros, tail: lead + "0" * zeros + tail,
        st.sampled_from(["", "+", "+39", "+57 ", "00", "0"]),
        st.integers(0, 17),
        st.text("0123456789", max_size=4),
    ),
)


@given(_PLAIN_TEXT, _HINTS)
@settings(max_examples=300)
def test_backends_agree_on_plain_text(raw: str, hint: str | None) -> None:
    assume(is_plain(raw.strip()))
    assert analyze(raw, hint) == analyze(raw, hint, backend=reference_backend())


@given(valid_numbers(), _HINTS)
def test_the_e164_output_analyses_to_itself(e164: str, hint: str | None) -> None:
    first = analyze(e164, None)
    again = analyze(first.e164 or "", hint)
    assert again.e164 == e164
    assert (again.validity, again.number_type, again.region) == (
        first.validity,
        first.number_type,
        first.region,
    )
    assert again.time_zones == first.time_zones and again.carrier == first.carrier


@given(valid_numbers(), _HINTS)
def test_formats_round_trip(e164: str, hint: str | None) -> None:
    found = analyze(e164, None)
    assert found.national is not None and found.international is not None
    assert analyze(found.international, hint).e164 == e164
    assert analyze(found.national, found.region).e164 == e164


_MESSY = st.integers(0, 2**32).map(lambda seed: make_row(random.Random(seed)))


@given(_MESSY)
def test_analysing_the_result_again_changes_nothing(row: MessyRow) -> None:
    raw, hint = row.raw, row.region_hint
    once = analyze(raw, hint)
    # Valid numbers only: libphonenumber's E.164 of a merely possible number whose national
    # number starts with the trunk prefix does not parse back to itself ("00100000" read from
    # Australia is +610100000, which parses as +61100000): see docs/numbers.md.
    assume(once.validity == "valid")
    twice = analyze(once.e164 or "", hint)
    thrice = analyze(twice.e164 or "", None)
    assert twice.e164 == once.e164 == thrice.e164
    assert twice.validity == once.validity == thrice.validity
    assert twice.number_type == thrice.number_type
