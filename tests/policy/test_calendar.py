"""The holiday calendar against dates written out by hand, and business-day deadlines (O4)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phonelist.errors import PhonelistError
from phonelist.policy.calendar import (
    EasterOffset,
    FixedDate,
    HolidayRule,
    HolidayRuleError,
    LastWeekday,
    NthWeekday,
    add_business_days,
    easter,
    holidays,
    is_business_day,
    observed_date,
    occurs,
    parse_rule,
    us_federal_rules,
)

US = us_federal_rules()
D = dt.date

# The oracle: OPM's published federal holiday dates (days off, observance applied).
FEDERAL_DAYS_OFF = {
    2021: [
        D(2021, 1, 1),
        D(2021, 1, 18),
        D(2021, 2, 15),
        D(2021, 5, 31),
        D(2021, 6, 18),  # Juneteenth, Saturday 19th
        D(2021, 7, 5),  # Independence Day, Sunday 4th
        D(2021, 9, 6),
        D(2021, 10, 11),
        D(2021, 11, 11),
        D(2021, 11, 25),
        D(2021, 12, 24),  # Christmas, Saturday 25th
        D(2021, 12, 31),  # New Year's Day 2022, a Saturday
    ],
    2022: [
        D(2022, 1, 17),
        D(2022, 2, 21),
        D(2022, 5, 30),
        D(2022, 6, 20),
        D(2022, 7, 4),
        D(2022, 9, 5),
        D(2022, 10, 10),
        D(2022, 11, 11),
        D(2022, 11, 24),
        D(2022, 12, 26),
    ],
    2024: [
        D(2024, 1, 1),
        D(2024, 1, 15),
        D(2024, 2, 19),
        D(2024, 5, 27),
        D(2024, 6, 19),
        D(2024, 7, 4),
        D(2024, 9, 2),
        D(2024, 10, 14),
        D(2024, 11, 11),
        D(2024, 11, 28),
        D(2024, 12, 25),
    ],
    2025: [
        D(2025, 1, 1),
        D(2025, 1, 20),
        D(2025, 2, 17),
        D(2025, 5, 26),
        D(2025, 6, 19),
        D(2025, 7, 4),
        D(2025, 9, 1),
        D(2025, 10, 13),
        D(2025, 11, 11),
        D(2025, 11, 27),
        D(2025, 12, 25),
    ],
    2026: [
        D(2026, 1, 1),
        D(2026, 1, 19),
        D(2026, 2, 16),
        D(2026, 5, 25),
        D(2026, 6, 19),
        D(2026, 7, 3),  # Independence Day, Saturday 4th
        D(2026, 9, 7),
        D(2026, 10, 12),
        D(2026, 11, 11),
        D(2026, 11, 26),
        D(2026, 12, 25),
    ],
}


@pytest.mark.parametrize("year", sorted(FEDERAL_DAYS_OFF))
def test_us_federal_days_off_match_the_published_dates(year: int) -> None:
    assert list(holidays(US, year)) == FEDERAL_DAYS_OFF[year]


def test_us_federal_rules_are_the_eleven_of_5_usc_6103() -> None:
    assert len(US) == 11
    assert all(rule.observed for rule in US)
    assert [rule.since for rule in US if rule.since is not None] == [2021]


def test_names_and_observance() -> None:
    days = holidays(US, 2026)
    assert days[D(2026, 7, 3)] == "Independence Day (observed)"
    assert days[D(2026, 11, 26)] == "Thanksgiving Day"
    assert holidays(US, 2021)[D(2021, 12, 31)] == "New Year's Day (observed)"


def test_a_saturday_new_year_is_observed_in_the_year_before() -> None:
    new_year = US[0]
    assert occurs(new_year, 2022) == D(2022, 1, 1)
    assert observed_date(new_year, 2022) == D(2021, 12, 31)
    assert D(2022, 1, 1) not in holidays(US, 2022)
    assert not is_business_day(D(2021, 12, 31), US)
    assert is_business_day(D(2021, 12, 30), US)


def test_without_observance_the_own_dates_are_listed() -> None:
    days = holidays(US, 2026, observed=False)
    assert D(2026, 7, 4) in days
    assert D(2026, 7, 3) not in days
    assert days[D(2026, 7, 4)] == "Independence Day"
    assert D(2021, 12, 31) not in holidays(US, 2021, observed=False)


def test_a_rule_without_observance_keeps_its_weekend_date() -> None:
    rule = HolidayRule("Independence Day", "fixed:07-04")
    assert observed_date(rule, 2026) == D(2026, 7, 4)
    assert is_business_day(D(2026, 7, 3), [rule])


def test_juneteenth_is_absent_before_2021() -> None:
    juneteenth = US[4]
    assert occurs(juneteenth, 2020) is None
    assert observed_date(juneteenth, 2020) is None
    assert D(2020, 6, 19) not in holidays(US, 2020)
    assert is_business_day(D(2020, 6, 19), US)
    assert len(holidays(US, 2020)) == 10


def test_two_holidays_on_one_day_share_it() -> None:
    rules = (HolidayRule("A", "fixed:12-25"), HolidayRule("B", "easter:+0"))
    assert holidays(rules, 2025) == {D(2025, 4, 20): "B", D(2025, 12, 25): "A"}
    same_day = (HolidayRule("A", "fixed:04-20"), HolidayRule("B", "easter:0"))
    assert holidays(same_day, 2025) == {D(2025, 4, 20): "A / B"}


def test_the_returned_dict_is_a_copy_of_the_cached_one() -> None:
    holidays(US, 2025).clear()
    assert len(holidays(US, 2025)) == 11


@pytest.mark.parametrize(
    ("year", "sunday"),
    [
        (2024, D(2024, 3, 31)),
        (2025, D(2025, 4, 20)),
        (2026, D(2026, 4, 5)),
        (2000, D(2000, 4, 23)),
        (2038, D(2038, 4, 25)),
        (2019, D(2019, 4, 21)),
        (1818, D(1818, 3, 22)),  # the earliest possible date
        (1943, D(1943, 4, 25)),  # the latest possible date
    ],
)
def test_easter(year: int, sunday: dt.date) -> None:
    assert easter(year) == sunday


@pytest.mark.parametrize(
    ("rule", "year", "expected"),
    [
        ("easter:-2", 2025, D(2025, 4, 18)),  # Good Friday
        ("easter:-47", 2025, D(2025, 3, 4)),  # Mardi Gras
        ("easter:+49", 2024, D(2024, 5, 19)),  # Pentecost
        ("last:mon:05", 2025, D(2025, 5, 26)),
        ("last:fri:12", 2025, D(2025, 12, 26)),
        ("last:sun:02", 2024, D(2024, 2, 25)),
        ("nth:4:mon:04", 2025, D(2025, 4, 28)),
        ("nth:5:fri:05", 2026, D(2026, 5, 29)),
        ("nth:5:mon:02", 2016, D(2016, 2, 29)),
        ("nth:5:mon:02", 2025, None),  # February 2025 has four Mondays
        ("fixed:02-29", 2024, D(2024, 2, 29)),
        ("fixed:02-29", 2025, None),
        ("fixed:7-4", 2025, D(2025, 7, 4)),
    ],
)
def test_occurs(rule: str, year: int, expected: dt.date | None) -> None:
    assert occurs(HolidayRule("x", rule), year) == expected


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("fixed:07-04", FixedDate(7, 4)),
        (" NTH:3:Mon:01 ", NthWeekday(3, 0, 1)),
        ("last:sun:12", LastWeekday(6, 12)),
        ("easter:-47", EasterOffset(-47)),
        ("easter:+1", EasterOffset(1)),
    ],
)
def test_parse_rule(text: str, parsed: object) -> None:
    assert parse_rule(text) == parsed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected fixed:MM-DD, nth:N:WEEKDAY:MM, last:WEEKDAY:MM or easter:+/-DAYS"),
        ("christmas", "expected fixed:MM-DD"),
        ("after:Christmas", "expected fixed:MM-DD, nth:N:WEEKDAY:MM"),
        ("fixed:07/04", "expected fixed:MM-DD"),
        ("fixed:13-01", "month '13' is not 01 to 12"),
        ("fixed:02-30", "02-30 is not a calendar date"),
        ("nth:6:mon:01", "N must be 1 to 5"),
        ("nth:0:mon:01", "N must be 1 to 5"),
        ("nth:3:mon", "expected fixed:MM-DD"),
        ("nth:3:monday:01", "weekday 'monday' is not one of mon"),
        ("last:mon:00", "month '00' is not 01 to 12"),
        ("last:mon:5:1", "expected fixed:MM-DD"),
        ("easter:abc", "expected easter:+/-DAYS"),
        ("easter:+400", "an Easter offset is at most 365 days"),
    ],
)
def test_bad_rules_raise_a_clear_value_error(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="bad holiday rule") as caught:
        parse_rule(text)
    assert message in str(caught.value)
    assert repr(text) in str(caught.value)
    assert isinstance(caught.value, PhonelistError)


def test_a_bad_rule_fails_when_the_holiday_is_built() -> None:
    with pytest.raises(HolidayRuleError, match="'fixed:02-31'"):
        HolidayRule("Nope", "fixed:02-31")


UTC = dt.UTC
END = dt.time.max


@pytest.mark.parametrize(
    ("start", "days", "deadline"),
    [
        # Receipt Mon 22 Dec 2025: Christmas (Thu) and New Year's Day (Thu) are skipped.
        # 23, 24, 26, 29, 30, 31 Dec, 2, 5, 6, 7 Jan.
        (dt.datetime(2025, 12, 22, 9, 30, tzinfo=UTC), 10, D(2026, 1, 7)),
        # Receipt the evening before Thanksgiving 2025: 28 Nov, 1-5 Dec, 8-11 Dec.
        (dt.datetime(2025, 11, 26, 23, 0, tzinfo=UTC), 10, D(2025, 12, 11)),
        # Fri 22 Nov 2024 + 5: 25, 26, 27 Nov, (28 Thanksgiving), 29 Nov, 2 Dec.
        (dt.datetime(2024, 11, 22, 12, 0, tzinfo=UTC), 5, D(2024, 12, 2)),
        # Received on a Saturday: counting starts on Monday.
        (dt.datetime(2025, 3, 8, 12, 0, tzinfo=UTC), 1, D(2025, 3, 10)),
        # Across the observed Friday 31 Dec 2021 (New Year's Day 2022).
        (dt.datetime(2021, 12, 30, 8, 0, tzinfo=UTC), 1, D(2022, 1, 3)),
        # Across Christmas 2021, observed on Friday 24 Dec.
        (dt.datetime(2021, 12, 23, 8, 0, tzinfo=UTC), 1, D(2021, 12, 27)),
    ],
)
def test_add_business_days(start: dt.datetime, days: int, deadline: dt.date) -> None:
    assert add_business_days(start, days, US) == dt.datetime.combine(deadline, END, tzinfo=UTC)


def test_add_business_days_reads_the_day_in_the_zone_of_start() -> None:
    new_york_summer = dt.timezone(dt.timedelta(hours=-4))
    # 22:00 on Wed 2 July in New York is already Thu 3 July in UTC.
    start = dt.datetime(2025, 7, 2, 22, 0, tzinfo=new_york_summer)
    result = add_business_days(start, 1, US)
    assert result == dt.datetime(2025, 7, 3, 23, 59, 59, 999999, tzinfo=new_york_summer)
    assert result.tzinfo is new_york_summer
    # The same instant read in UTC: Fri 4 July is the holiday, so Monday 7 July.
    as_utc = add_business_days(start.astimezone(UTC), 1, US)
    assert as_utc == dt.datetime(2025, 7, 7, 23, 59, 59, 999999, tzinfo=UTC)


def test_add_business_days_refuses_naive_times_and_less_than_one_day() -> None:
    with pytest.raises(ValueError, match="aware"):
        add_business_days(dt.datetime(2025, 1, 6, 9, 0), 10, US)
    with pytest.raises(ValueError, match="at least 1"):
        add_business_days(dt.datetime(2025, 1, 6, 9, 0, tzinfo=UTC), 0, US)


@given(
    start=st.datetimes(
        min_value=dt.datetime(1990, 1, 1),
        max_value=dt.datetime(2100, 12, 31),
        timezones=st.just(UTC),
    ),
    days=st.integers(min_value=1, max_value=40),
)
def test_a_deadline_is_the_end_of_the_nth_business_day(start: dt.datetime, days: int) -> None:
    result = add_business_days(start, days, US)
    assert result.tzinfo is UTC
    assert result.time() == END
    assert is_business_day(result.date(), US)

    def off(day: dt.date) -> bool:  # counted from holidays(), not from is_business_day()
        return day.weekday() >= 5 or day in holidays(US, day.year)

    span = (result.date() - start.date()).days
    counted = [start.date() + dt.timedelta(i) for i in range(1, span + 1)]
    assert sum(not off(day) for day in counted) == days
    assert not off(result.date())
