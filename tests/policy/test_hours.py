"""When a message may go: local time, windows, holidays and caps (H1-H5), on hand-built facts.

Every "Hours" and "Caps" case of COMPLIANCE.md section 8 is a test here, named after it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from phonelist.policy.engine import decide
from phonelist.policy.facts import Consent, Decision, Facts, Send
from phonelist.policy.hours import local_instant
from phonelist.policy.rules import ConsentRules, default_rules, load_rules

UTC = dt.UTC
NEW_YORK, CHICAGO, DENVER, PHOENIX = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
)
SINCE = dt.datetime(2025, 1, 1, tzinfo=UTC)
WRITTEN = tuple(
    Consent(c, "marketing", "granted", "web_form", SINCE, True) for c in ("sms", "voice")
)
INFO = tuple(Consent(c, "informational", "granted", "keyword", SINCE) for c in ("sms", "voice"))
HOUR, DAY, SECOND = dt.timedelta(hours=1), dt.timedelta(days=1), dt.timedelta(seconds=1)


def number(area: str | None, zone: str, *, region: str = "US", **kw: object) -> Facts:
    return Facts(region, area, (zone,), consents=WRITTEN + INFO, **kw)


def local(zone: str, *parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=ZoneInfo(zone))


def blocking(decision: Decision) -> list[str]:
    return [r.code for r in decision.blocking]


def marketing(facts: Facts, at: dt.datetime, history: tuple[Send, ...] = (), **kw: str) -> Decision:
    return decide(facts, "sms", "marketing", at, history, **kw)


# -- section 8: hours ---------------------------------------------------------------------------

FLORIDA = number("305", NEW_YORK)


@pytest.mark.parametrize(
    ("wall", "allowed"),
    [((20, 0, 0), False), ((19, 59, 59), True), ((7, 59, 59), False), ((8, 0, 0), True)],
)
def test_H3_florida_number_hours(wall: tuple[int, int, int], allowed: bool) -> None:
    decision = marketing(FLORIDA, local(NEW_YORK, 2026, 5, 5, *wall))
    assert decision.allowed is allowed
    assert blocking(decision) == ([] if allowed else ["outside_hours"] * (1 + (wall[0] < 8)))


@pytest.mark.parametrize(
    ("eastern", "allowed"),
    [((8, 59, 59), False), ((9, 0, 0), True), ((19, 59, 59), True), ((20, 0, 0), False)],
)
def test_H1_area_code_850_is_allowed_only_9_to_20_eastern(
    eastern: tuple[int, int, int], allowed: bool
) -> None:
    # libphonenumber may give one zone; the pack's split_area_codes make 850 span both.
    for zones in ((CHICAGO,), (NEW_YORK,), ()):
        facts = Facts("US", "850", zones, consents=WRITTEN)
        decision = marketing(facts, local(NEW_YORK, 2026, 5, 5, *eastern))
        assert decision.allowed is allowed
        assert decision.time_zones == (CHICAGO, NEW_YORK)
        assert decision.time_zone_source == "number"


def test_H5_arizona_on_the_spring_forward_sunday() -> None:
    # Arizona keeps MST: 08:05 is 15:05 UTC, while New York has just jumped to EDT.
    at = local(PHOENIX, 2026, 3, 8, 8, 5)
    assert at.astimezone(UTC) == dt.datetime(2026, 3, 8, 15, 5, tzinfo=UTC)
    decision = marketing(number("480", PHOENIX), at)
    assert decision.allowed
    assert marketing(number("480", PHOENIX), local(PHOENIX, 2026, 3, 8, 7, 59, 59)).blocking


@pytest.mark.parametrize(
    ("day", "utc_0805"),
    [
        (dt.date(2026, 3, 7), dt.datetime(2026, 3, 7, 13, 5, tzinfo=UTC)),  # EST
        (dt.date(2026, 3, 8), dt.datetime(2026, 3, 8, 12, 5, tzinfo=UTC)),  # spring forward: EDT
        (dt.date(2026, 10, 31), dt.datetime(2026, 10, 31, 12, 5, tzinfo=UTC)),  # EDT
        (dt.date(2026, 11, 1), dt.datetime(2026, 11, 1, 13, 5, tzinfo=UTC)),  # fall back: EST
    ],
)
def test_H5_scheduled_0805_fires_at_the_right_utc_instant(
    day: dt.date, utc_0805: dt.datetime
) -> None:
    assert local_instant(day, dt.time(8, 5), NEW_YORK) == utc_0805
    assert marketing(FLORIDA, utc_0805).allowed
    # Deferred from 07:00 local, the message goes exactly when the window opens, never before.
    opens = local_instant(day, dt.time(8, 0), NEW_YORK)
    assert opens == utc_0805 - 5 * dt.timedelta(minutes=1)
    early = marketing(FLORIDA, local(NEW_YORK, day.year, day.month, day.day, 7, 0))
    assert early.next_allowed_at == opens
    assert not marketing(FLORIDA, opens - SECOND).allowed


@pytest.mark.parametrize(
    ("facts", "wall", "allowed", "clock"),
    [
        (number("214", CHICAGO), (11, 30), False, CHICAGO),  # section 8
        (number("214", CHICAGO), (11, 59), False, CHICAGO),
        (number("214", CHICAGO), (12, 0), True, None),
        (number("214", CHICAGO), (20, 59), True, None),
        (number("214", CHICAGO), (21, 0), False, CHICAGO),
        # El Paso keeps Mountain time: its noon is fine, 20:30 is 21:30 on the Central clock.
        (number("915", DENVER), (11, 59), False, DENVER),
        (number("915", DENVER), (12, 0), True, None),
        (number("915", DENVER), (19, 59), True, None),
        (number("915", DENVER), (20, 30), False, CHICAGO),
    ],
)
def test_H3_texas_number_on_a_sunday(
    facts: Facts, wall: tuple[int, int], allowed: bool, clock: str | None
) -> None:
    zone = facts.number_time_zones[0]
    decision = marketing(facts, local(zone, 2026, 5, 10, *wall))  # a Sunday
    assert decision.allowed is allowed
    if clock is not None:
        texas = [r for r in decision.blocking if r.message.startswith("Texas")]
        assert len(texas) == 1 and clock in texas[0].message
    saturday = marketing(facts, local(zone, 2026, 5, 9, *wall))
    assert saturday.allowed is (9 <= wall[0] < 20 or (zone == CHICAGO and wall[0] == 20))


# -- H1 to H3 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("contact_zone", "number_zones", "source", "zones"),
    [
        ("America/Los_Angeles", (NEW_YORK,), "contact", ("America/Los_Angeles",)),
        ("Mars/Olympus", (NEW_YORK,), "number", (NEW_YORK,)),  # unknown: the number decides
        (None, (NEW_YORK, "America/Los_Angeles"), "number", (NEW_YORK, "America/Los_Angeles")),
        (None, ("Etc/Unknown",), "none", ()),
    ],
)
def test_H1_contact_zone_first_and_intersection(
    contact_zone: str | None, number_zones: tuple[str, ...], source: str, zones: tuple[str, ...]
) -> None:
    facts = Facts("US", "212", number_zones, contact_time_zone=contact_zone, consents=WRITTEN)
    ten_eastern = local(NEW_YORK, 2026, 5, 5, 10, 0)  # 07:00 in Los Angeles
    decision = marketing(facts, ten_eastern)
    assert (decision.time_zone_source, decision.time_zones) == (source, zones)
    west = "America/Los_Angeles" in zones
    assert decision.allowed is (bool(zones) and not west)
    if not zones:
        assert blocking(decision) == ["no_time_zone"] and decision.next_allowed_at is None
    if west:  # the window opens when it is 08:00 in the westernmost zone
        assert decision.next_allowed_at == local_instant(
            dt.date(2026, 5, 5), dt.time(8), "America/Los_Angeles"
        )
    # Purposes that no window binds need no time zone at all.
    assert decide(facts, "sms", "emergency", ten_eastern).allowed


@pytest.mark.parametrize(
    ("wall", "allowed"),
    [((7, 59, 59), False), ((8, 0, 0), True), ((20, 59, 59), True), ((21, 0, 0), False)],
)
def test_H2_federal_window(wall: tuple[int, int, int], allowed: bool) -> None:
    new_york = number("212", NEW_YORK)  # no state rule: only the federal window
    at = local(NEW_YORK, 2026, 5, 5, *wall)
    for channel in ("sms", "voice"):
        decision = decide(new_york, channel, "marketing", at)
        assert decision.allowed is allowed
        assert [r.rule for r in decision.blocking] == ([] if allowed else ["H2"])
    for purpose in ("informational", "emergency"):  # not bound by the window
        assert decide(new_york, "sms", purpose, at).allowed
    london = number(None, "Europe/London", region="GB")
    assert marketing(london, at.replace(hour=3)).allowed  # a US rule


@pytest.mark.parametrize(
    ("facts", "day", "holiday"),
    [
        (number("801", DENVER), dt.date(2026, 7, 24), "Pioneer Day"),  # Utah
        (number("215", NEW_YORK), dt.date(2025, 12, 25), "Christmas Day"),  # Pennsylvania
        (number("205", CHICAGO), dt.date(2026, 4, 27), "Confederate Memorial Day"),  # AL: 4th Mon
        (number("205", CHICAGO), dt.date(2027, 4, 26), "Confederate Memorial Day"),
        (number("601", CHICAGO), dt.date(2026, 4, 27), "Confederate Memorial Day"),  # MS: last
        (number("504", CHICAGO), dt.date(2026, 2, 17), "Mardi Gras"),  # Louisiana, Easter - 47
        (number("401", NEW_YORK), dt.date(2026, 8, 10), "Victory Day"),  # Rhode Island
        # The stored address beats the area code (H3): a Florida number of a Utah resident.
        (number("305", DENVER, state="UT"), dt.date(2026, 7, 24), "Pioneer Day"),
    ],
)
def test_H3_state_holidays(facts: Facts, day: dt.date, holiday: str) -> None:
    zone = facts.number_time_zones[0]
    at = dt.datetime.combine(day, dt.time(12), ZoneInfo(zone))
    decision = marketing(facts, at)
    assert blocking(decision) == ["holiday"]
    assert holiday in decision.blocking[0].message and decision.blocking[0].rule == "H3"
    assert decision.next_allowed_at == local_instant(day + DAY, dt.time(8), zone)
    assert marketing(facts, at - 7 * DAY).allowed  # the same weekday a week before
    assert decide(facts, "sms", "informational", at).allowed  # bans are for marketing
    elsewhere = Facts("US", "212", (zone,), state="NY", consents=WRITTEN)
    assert marketing(elsewhere, at).allowed


def test_H3_observed_holidays_are_banned_too() -> None:
    # Christmas 2022 fell on a Sunday: phonelist's safer reading also bans Monday the 26th.
    pa = number("215", NEW_YORK)
    for day in (25, 26):
        assert blocking(marketing(pa, local(NEW_YORK, 2022, 12, day, 12))) == ["holiday"]
    assert marketing(pa, local(NEW_YORK, 2022, 12, 27, 12)).allowed


def test_H3_louisiana_no_sundays() -> None:
    la = number("504", CHICAGO)
    for sunday in (dt.date(2026, 5, 10), dt.date(2026, 11, 1), dt.date(2027, 1, 3)):
        at = dt.datetime.combine(sunday, dt.time(12), ZoneInfo(CHICAGO))
        decision = marketing(la, at)
        assert blocking(decision) == ["outside_hours"]
        assert "no sends that day" in decision.blocking[0].message
        assert decision.next_allowed_at == local_instant(sunday + DAY, dt.time(8), CHICAGO)
        assert marketing(la, at - DAY).allowed  # Saturday


# -- H4: caps -----------------------------------------------------------------------------------

T = local(NEW_YORK, 2026, 5, 5, 15, 0)


def sends(*specs: tuple[float, str], **kw: str) -> tuple[Send, ...]:
    """Marketing sends ``hours`` before T on ``channel``."""
    return tuple(Send(T - hours * HOUR, channel, "marketing", **kw) for hours, channel in specs)


def test_H4_maryland_three_sends_block_until_the_first_is_24h_old() -> None:
    md = number("301", NEW_YORK)
    first = T - 5 * HOUR
    history = (
        Send(first, "sms", "marketing"),
        Send(first + HOUR, "voice", "marketing"),
        Send(first + 2 * HOUR, "sms", "marketing"),
    )
    decision = marketing(md, T, history)
    assert blocking(decision) == ["frequency_cap"]
    assert decision.blocking[0].rule == "H4"
    assert decision.next_allowed_at == first + 24 * HOUR
    assert marketing(md, first + 24 * HOUR, history).allowed
    assert not marketing(md, first + 24 * HOUR - SECOND, history).allowed
    assert marketing(md, T, history[1:]).allowed


@pytest.mark.parametrize(
    ("facts", "history", "kw", "capped"),
    [
        # Florida counts every sender number of the workspace.
        (FLORIDA, tuple(Send(T - h * HOUR, "sms", "marketing", sender=s)
                        for h, s in ((1, "a"), (2, "b"), (3, "c"))), {"sender": "d"}, True),
        (FLORIDA, sends((1, "sms"), (2, "sms"), (3, "sms")), {}, True),
        # Florida counts per channel; Maryland counts calls and texts together.
        (FLORIDA, sends((1, "sms"), (2, "sms"), (3, "voice")), {}, False),
        (number("301", NEW_YORK), sends((1, "voice"), (2, "voice"), (3, "voice")), {}, True),
        (number("405", CHICAGO), sends((1, "sms"), (2, "sms"), (3, "sms")), {}, True),  # OK
        (number("503", "America/Los_Angeles"), sends((1, "sms"), (2, "sms"), (3, "sms")), {},
         True),  # Oregon
        # A send older than 24 h does not count.
        (FLORIDA, sends((1, "sms"), (2, "sms"), (24, "sms")), {}, False),
        (FLORIDA, sends((1, "sms"), (2, "sms"), (23.99, "sms")), {}, True),
        # A different subject does not count when both have one; a send without one does.
        (FLORIDA, sends((1, "sms"), (2, "sms"), (3, "sms"), subject="spring"),
         {"subject": "fall"}, False),
        (FLORIDA, sends((1, "sms"), (2, "sms"), (3, "sms"), subject="spring"),
         {"subject": "spring"}, True),
        (FLORIDA, sends((1, "sms"), (2, "sms"), (3, "sms")), {"subject": "fall"}, True),
        # No cap in New York, and informational sends never count.
        (number("212", NEW_YORK), sends(*((h, "sms") for h in range(1, 6))), {}, False),
        (FLORIDA, tuple(Send(T - h * HOUR, "sms", "informational") for h in (1, 2, 3)), {},
         False),
    ],
)  # fmt: skip
def test_H4_caps(facts: Facts, history: tuple[Send, ...], kw: dict[str, str], capped: bool) -> None:
    decision = marketing(facts, T, history, **kw)
    assert blocking(decision) == (["frequency_cap"] if capped else [])
    assert decide(facts, "sms", "informational", T, history).allowed  # caps are for marketing


def test_H5_a_long_operator_cap_defers_to_the_next_window(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[[caps]]\nname = "monthly"\npurposes = ["marketing"]\nchannels = ["sms"]\nmax = 1\n'
        "hours = 720\n"
    )
    rules = load_rules(policy)
    sent = local(NEW_YORK, 2026, 5, 5, 22, 0)  # the cap lets go at 22:00, 30 days later
    at = sent + HOUR
    decision = decide(number("212", NEW_YORK), "sms", "marketing", at, (Send(sent, "sms",
                      "marketing"),), rules)  # fmt: skip
    assert sorted(blocking(decision)) == ["frequency_cap", "outside_hours"]
    assert decision.next_allowed_at == local_instant(dt.date(2026, 6, 5), dt.time(8), NEW_YORK)


# -- H5: deferral -------------------------------------------------------------------------------

XMAS = local(NEW_YORK, 2025, 12, 25, 12)  # a holiday in Pennsylvania
NIGHT = local(NEW_YORK, 2026, 5, 5, 22)


def runs_out(
    expires: dt.datetime | None = None, registry: dt.date | None = None, area: str = "212"
) -> Facts:
    held = tuple(Consent(c, "marketing", "granted", "web_form", SINCE, True, expires_at=expires)
                 for c in ("sms", "voice"))  # fmt: skip
    return Facts("US", area, (NEW_YORK,), consents=held, registry_date=registry)


@pytest.mark.parametrize(
    ("facts", "at", "expected"),
    [
        # The consent runs out at 23:00, before the window opens at 08:00: nothing to defer to.
        (runs_out(NIGHT + HOUR), NIGHT, None),
        (runs_out(NIGHT + 2 * DAY), NIGHT, local(NEW_YORK, 2026, 5, 6, 8)),
        # Registry data 31 days old on Christmas Day is 32 days old when the ban ends.
        (runs_out(registry=dt.date(2025, 11, 24), area="215"), XMAS, None),
        (
            runs_out(registry=dt.date(2025, 11, 25), area="215"),
            XMAS,
            local(NEW_YORK, 2025, 12, 26, 8),
        ),
    ],
)
def test_H5_next_allowed_at_never_passes_a_fact_that_runs_out(
    facts: Facts, at: dt.datetime, expected: dt.datetime | None
) -> None:
    decision = marketing(facts, at)
    assert blocking(decision) in (["outside_hours"], ["holiday"])
    assert decision.next_allowed_at == expected
    if expected is not None:
        assert marketing(facts, expected).allowed


@pytest.mark.parametrize(("purchase_days", "deferred"), [(548, False), (547, True)])
def test_H5_deferral_stops_where_a_business_relationship_ends(
    purchase_days: int, deferred: bool
) -> None:
    # Only reachable with rules where express consent suffices for US marketing (D2's EBR).
    rules = replace(default_rules(), consent={"US": ConsentRules()})
    express = Consent("sms", "marketing", "granted", "verbal", SINCE)
    facts = Facts("US", "212", (NEW_YORK,), consents=(express,), dnc_registered=True,
                  last_purchase_at=NIGHT - purchase_days * DAY)  # fmt: skip
    decision = decide(facts, "sms", "marketing", NIGHT, (), rules)
    assert "dnc_exempt_ebr" in [r.code for r in decision.reasons]
    assert blocking(decision) == ["outside_hours"]
    assert (decision.next_allowed_at is not None) is deferred


AREAS = {"850": CHICAGO, "305": NEW_YORK, "214": CHICAGO, "915": DENVER, "801": DENVER,
         "480": PHOENIX, "301": NEW_YORK, "504": CHICAGO, "205": CHICAGO, "215": NEW_YORK,
         "212": NEW_YORK, "405": CHICAGO}  # fmt: skip
TEMPORAL = {"outside_hours", "holiday", "frequency_cap"}
instants = st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2028, 12, 31), timezones=st.just(UTC))


@st.composite
def consented(draw: st.DrawFn, at: dt.datetime) -> tuple[Facts, tuple[Send, ...]]:
    """A US number whose only blocks can be time rules, and sends of the last 30 or 48 hours."""
    area = draw(st.sampled_from(["305", "301", "850", *sorted(AREAS)]))
    zones = draw(st.sampled_from([(AREAS[area],), (AREAS[area], DENVER)]))
    runs_out = st.none() | st.integers(3600, 5 * 24 * 3600).map(lambda s: at + s * SECOND)
    facts = Facts(
        region="US",
        area_code=area,
        number_time_zones=zones,
        contact_time_zone=draw(st.none() | st.sampled_from(sorted(set(AREAS.values())))),
        state=draw(st.none() | st.sampled_from(["FL", "TX", "MD", "UT", "PA", "AL", "LA", "NY"])),
        consents=tuple(
            Consent(c, "marketing", "granted", "web_form", SINCE, True, expires_at=draw(runs_out))
            for c in ("sms", "voice")
        ),
        dnc_registered=draw(st.booleans()),
        registry_date=draw(st.none() | st.integers(0, 31).map(lambda d: at.date() - d * DAY)),
    )
    hours = draw(st.sampled_from([30, 48]))
    send = st.builds(
        Send,
        at=st.integers(0, hours * 3600).map(lambda s: at - s * SECOND),
        channel=st.sampled_from(["sms", "sms", "voice"]),
        purpose=st.sampled_from(["marketing", "marketing", "informational"]),
        sender=st.sampled_from([None, "brand-a", "brand-b"]),
        subject=st.sampled_from([None, None, "spring", "fall"]),
    )
    return facts, tuple(draw(st.lists(send, max_size=6)))


@given(
    st.data(),
    instants.map(lambda t: t.replace(microsecond=0)),
    st.sampled_from(["sms", "voice"]),
    st.sampled_from([None, "brand-a"]),
    st.sampled_from([None, "spring"]),
    st.floats(0.0, 1.0),
)
def test_H5_next_allowed_at_is_the_first_allowed_instant(
    data: st.DataObject,
    at: dt.datetime,
    channel: str,
    sender: str | None,
    subject: str | None,
    fraction: float,
) -> None:
    facts, history = data.draw(consented(at))

    def decision(moment: dt.datetime) -> Decision:
        return decide(facts, channel, "marketing", moment, history, sender=sender, subject=subject)

    now = decision(at)
    assume(not now.allowed and set(blocking(now)) <= TEMPORAL)
    nxt = now.next_allowed_at
    assume(nxt is not None)  # nothing opens within the search horizon
    assert nxt is not None and nxt > at
    assert decision(nxt).allowed
    assert not decision(nxt - SECOND).allowed
    between = at + (nxt - at) * fraction
    if between < nxt:
        assert not decision(between).allowed


# -- local_instant ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "wall", "zone", "expected"),
    [
        # In the spring-forward gap: the first instant after it, seconds and all.
        (dt.date(2026, 3, 8), dt.time(2, 30, 30), NEW_YORK, dt.datetime(2026, 3, 8, 7, 0)),
        (dt.date(2026, 3, 8), dt.time(2, 0), NEW_YORK, dt.datetime(2026, 3, 8, 7, 0)),
        (dt.date(2026, 3, 8), dt.time(1, 59, 59), NEW_YORK, dt.datetime(2026, 3, 8, 6, 59, 59)),
        (dt.date(2026, 3, 8), dt.time(2, 30, fold=1), NEW_YORK, dt.datetime(2026, 3, 8, 7, 0)),
        # Ambiguous at fall back: the first of the two.
        (dt.date(2026, 11, 1), dt.time(1, 30), NEW_YORK, dt.datetime(2026, 11, 1, 5, 30)),
        (dt.date(2026, 11, 1), dt.time(1, 30, fold=1), NEW_YORK, dt.datetime(2026, 11, 1, 5, 30)),
        # Samoa skipped 30 December 2011 entirely.
        (dt.date(2011, 12, 30), dt.time(12), "Pacific/Apia", dt.datetime(2011, 12, 30, 10, 0)),
        (dt.date(2026, 10, 4), dt.time(2, 15), "Australia/Lord_Howe",
         dt.datetime(2026, 10, 3, 15, 30)),  # a half-hour change
    ],
)  # fmt: skip
def test_H5_local_instant_in_gaps_and_folds(
    day: dt.date, wall: dt.time, zone: str, expected: dt.datetime
) -> None:
    assert local_instant(day, wall, zone) == expected.replace(tzinfo=UTC)


def test_H5_local_instant_refuses_unknown_zones() -> None:
    for key in ("Mars/Olympus", "Etc/Unknown"):
        with pytest.raises(ValueError, match="unknown time zone"):
            local_instant(dt.date(2026, 1, 1), dt.time(8), key)


DST_ZONES = [NEW_YORK, PHOENIX, "Europe/Lisbon", "America/Santiago", "Australia/Lord_Howe",
             "Pacific/Apia", "Asia/Kathmandu", "America/Havana"]  # fmt: skip


def changes(zone: str) -> list[dt.date]:
    """The days of 2010-2030 on which ``zone`` changes its offset."""
    tz, day, found = ZoneInfo(zone), dt.date(2010, 1, 1), []
    while day.year <= 2030:
        start = dt.datetime.combine(day, dt.time(), tz)
        if start.utcoffset() != (start + DAY).utcoffset():
            found.append(day)
        day += DAY
    return found


CHANGES = [(day, zone) for zone in DST_ZONES for day in changes(zone)]


@given(
    st.tuples(st.dates(dt.date(2000, 1, 1), dt.date(2035, 12, 31)), st.sampled_from(DST_ZONES))
    | st.sampled_from(CHANGES),
    st.times() | st.times(max_value=dt.time(3, 0)),
)
def test_H5_local_instant_never_fires_early(where: tuple[dt.date, str], wall: dt.time) -> None:
    day, zone = where
    tz = ZoneInfo(zone)
    instant = local_instant(day, wall, zone)
    wanted = dt.datetime.combine(day, wall)
    shown = instant.astimezone(tz).replace(tzinfo=None)
    before = (instant - dt.timedelta(microseconds=1)).astimezone(tz).replace(tzinfo=None)
    assert shown >= wanted  # never before the wall time asked for
    assert before < wanted  # and the first instant that is not
    if shown != wanted:  # only a wall time that the clock skipped moves
        assert (
            dt.datetime.combine(day, wall, tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None)
            != wanted
        )
