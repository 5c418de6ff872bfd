"""Normalisation to E.164: common formats in, one canonical form out, clear errors otherwise."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phonelist.errors import ValidationError
from phonelist.numbers import normalize


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("+351 912 345 678", "US", "+351912345678"),
        ("912-345-678", "PT", "+351912345678"),
        ("(202) 555-0143", "US", "+12025550143"),
        ("202.555.0143", "US", "+12025550143"),
        ("+1 202 555 0143", "PT", "+12025550143"),
        ("011 351 912 345 678", "US", "+351912345678"),
        ("00351912345678", "PT", "+351912345678"),
        ("07911 123456", "GB", "+447911123456"),
        ("030 1234567", "DE", "+49301234567"),
    ],
)
def test_common_formats(raw: str, region: str, e164: str) -> None:
    assert normalize(raw, region).e164 == e164


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "number_empty"),
        ("   ", "number_empty"),
        ("12", "number_invalid"),
        ("hello", "number_invalid"),
        ("+999 123 456", "number_invalid"),
        ("1" * 65, "number_too_long"),
        ("+351 1234567890123456", "number_invalid"),
    ],
)
def test_unusable_numbers_say_why(raw: str, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        normalize(raw, "US")
    assert caught.value.code == code


@given(st.text(max_size=80))
def test_only_validation_errors_escape(raw: str) -> None:
    with contextlib.suppress(ValidationError):
        normalize(raw, "US")


@given(st.sampled_from(["+351912345678", "+12025550143", "+447911123456", "+4930123456"]))
def test_normalising_twice_changes_nothing(e164: str) -> None:
    once = normalize(e164, "US")
    assert normalize(once.e164, "PT") == once
    assert normalize(once.international, "US").e164 == once.e164


def test_normalized_numbers_carry_the_intelligence() -> None:
    found = normalize("3.51912345678E+11", "US")
    assert found.e164 == "+351912345678"
    assert (found.carrier, found.time_zones, found.extension) == (
        "Vodafone",
        ("Atlantic/Azores", "Europe/Lisbon"),
        None,
    )
    assert normalize("(202) 555-0143 x 7", "US").extension == "7"


def test_the_reason_is_in_the_details() -> None:
    with pytest.raises(ValidationError) as caught:
        normalize("+44 12", "US")
    assert caught.value.details == {"reason": "too_short"}
    assert "too short" in caught.value.message
