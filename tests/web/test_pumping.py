"""The anti-SMS-pumping guard (web/pumping.py): windows, limits, countries, the challenge."""

from __future__ import annotations

import re

import pytest

from phonelist.web.pumping import (
    Limits,
    PumpingGuard,
    SlidingWindows,
    country_allowed,
    country_of,
    new_challenge,
)


def test_a_sliding_window_forgets_events_once_they_are_older_than_the_window() -> None:
    window = SlidingWindows(60)
    for at in (0.0, 10.0, 20.0):
        window.add("k", at)
    assert window.count("k", 59.0) == 3
    assert window.count("k", 60.0) == 2  # the event at 0 is exactly a window old: gone
    assert window.retry_after("k", 60.0) == 10  # the event at 10 leaves at 70
    assert window.count("k", 80.0) == 0
    assert window.retry_after("k", 80.0) == 0
    assert window.count("other", 0.0) == 0


def test_idle_keys_are_forgotten_when_there_are_too_many() -> None:
    window = SlidingWindows(10, max_keys=2)
    window.add("a", 0.0)
    window.add("b", 0.0)
    window.add("c", 100.0)  # a and b are idle by now
    assert set(window._events) == {"c"}


def test_an_ip_is_limited_per_form_and_told_when_to_retry() -> None:
    guard = PumpingGuard(b"s", Limits(per_ip=2, ip_window=100))
    assert guard.hit("form", "192.0.2.1", 0.0).allowed
    assert guard.hit("form", "192.0.2.1", 10.0).allowed
    refused = guard.hit("form", "192.0.2.1", 20.0)
    assert (refused.allowed, refused.limit, refused.retry_after) == (False, "ip", 80)
    assert guard.hit("form", "192.0.2.2", 20.0).allowed  # another address
    assert guard.hit("other-form", "192.0.2.1", 20.0).allowed  # another form
    assert guard.hit("form", "192.0.2.1", 100.0).allowed  # the first hit has left the window


def test_a_number_is_limited_across_forms() -> None:
    guard = PumpingGuard(b"s", Limits(per_number=2, number_window=86_400))
    number = "+12025550142"
    assert guard.check_number(number, 0.0).allowed
    guard.sent(number, 0.0)
    guard.sent(number, 5.0)
    refused = guard.check_number(number, 10.0)
    assert (refused.allowed, refused.limit, refused.retry_after) == (False, "number", 86_390)
    assert guard.check_number("+12025550143", 10.0).allowed
    assert guard.check_number(number, 86_400.0).allowed


def test_the_challenge_starts_after_n_attempts_from_one_ip() -> None:
    guard = PumpingGuard(b"s", Limits(challenge_after=3))
    for at in range(3):
        assert not guard.needs_challenge("form", "192.0.2.1", float(at))
        guard.hit("form", "192.0.2.1", float(at))
    assert guard.needs_challenge("form", "192.0.2.1", 3.0)
    assert not guard.needs_challenge("form", "192.0.2.9", 3.0)
    assert not guard.needs_challenge("form", "192.0.2.1", 3600.0)  # the window has passed


def test_the_windows_hold_no_ip_address_or_number_in_the_clear() -> None:
    guard = PumpingGuard(b"secret")
    guard.hit("form", "192.0.2.1", 0.0)
    guard.sent("+12025550142", 0.0)
    keys = " ".join([*guard.ips._events, *guard.numbers._events])
    assert "192.0.2.1" not in keys and "2025550142" not in keys


@pytest.mark.parametrize(
    ("number", "country"),
    [
        ("+12025550142", "US"),
        ("+14165550142", "CA"),
        ("+351912345678", "PT"),
        ("+447400123456", "GB"),
        ("+80012345678", "001"),  # international freephone: no country
        ("not a number", None),
    ],
)
def test_the_country_of_a_number(number: str, country: str | None) -> None:
    assert country_of(number) == country


def test_only_the_allowed_countries_pass() -> None:
    assert country_allowed("+12025550142", ["US", "CA"])
    assert country_allowed("+14165550142", ("US", "CA"))
    assert not country_allowed("+447400123456", ("US", "CA"))
    assert not country_allowed("+80012345678", ("US",))
    assert not country_allowed("+12025550142", ())


def test_a_challenge_is_a_small_sum_with_its_answer() -> None:
    for _ in range(50):
        challenge = new_challenge()
        match = re.fullmatch(r"What is (\d) plus (\d)\?", challenge.question)
        assert match
        assert challenge.answer == str(int(match.group(1)) + int(match.group(2)))
