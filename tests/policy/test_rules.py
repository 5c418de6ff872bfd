"""Rule packs: the shipped ones load and agree with libphonenumber and the federal calendar; an
operator file adds caps, quiet hours and holiday bans, or fails with a message naming it."""

from __future__ import annotations

import datetime as dt
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from phonenumbers import geocoder

from phonelist.errors import ConfigError
from phonelist.policy.calendar import us_federal_rules
from phonelist.policy.engine import decide
from phonelist.policy.facts import Consent, Facts, Send
from phonelist.policy.hours import local_instant, zone
from phonelist.policy.rules import PACKS, RuleSet, default_rules, load_rules
from phonelist.policy.states import us_state

NEW_YORK = "America/New_York"


def pack(name: str) -> dict[str, Any]:
    text = resources.files("phonelist.policy").joinpath("packs", f"{name}.toml").read_text()
    return tomllib.loads(text)


US_STATES = pack("us-states")
AREA_CODES: dict[str, list[str]] = US_STATES["area_codes"]
# Overlays newer than libphonenumber's data (9.0.x): the code they overlay, which it knows.
# 457 overlays 318 in Louisiana (in service September 2025); 483 overlays 334 in Alabama
# (February 2026). Sources: Louisiana and Alabama PSC notices, NANPA.
NEWER_THAN_LIBPHONENUMBER = {"457": "318", "483": "334"}
STATE_NAMES = {"AL": "Alabama", "FL": "Florida", "LA": "Louisiana", "MD": "Maryland",
               "MS": "Mississippi", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
               "RI": "Rhode Island", "TX": "Texas", "UT": "Utah", "WA": "Washington"}  # fmt: skip


def test_shipped_packs_load() -> None:
    rules = load_rules(None)
    assert [part.split("@")[0] for part in rules.version.split("+")] == list(PACKS)
    assert default_rules() is default_rules()
    assert rules.registry is not None and rules.registry.max_age_days == 31
    assert rules.national_optout is not None and rules.national_optout.regions == {"PT"}
    assert {r.name for r in rules.hours} >= {"Florida", "Texas", "Louisiana", "Maryland"}
    assert rules.consent_for("US").marketing_requires_written
    assert rules.consent_for("GB").soft_opt_in and rules.consent_for("CA").implied
    for code, zones in rules.split_area_codes.items():
        assert len(zones) >= 2 and all(zone(z) is not None for z in zones), code


def test_federal_pack_holidays_are_the_calendars() -> None:
    shipped = [(h.name, h.rule, h.observed, h.since) for h in default_rules().federal_holidays]
    assert shipped == [(h.name, h.rule, h.observed, h.since) for h in us_federal_rules()]


def test_each_area_code_belongs_to_one_state() -> None:
    listed = [code for codes in AREA_CODES.values() for code in codes]
    assert len(listed) == len(set(listed))
    assert sorted(AREA_CODES) == sorted(STATE_NAMES)
    assert all(us_state("US", name) == state for state, name in STATE_NAMES.items())


def valid_number(code: str) -> phonenumbers.PhoneNumber | None:
    for exchange in range(200, 1000):
        candidate = phonenumbers.parse(f"+1{code}{exchange}4567")
        if phonenumbers.is_valid_number(candidate):
            return candidate
    return None


def geocoded_state(code: str) -> str:
    found = valid_number(code)
    assert found is not None, f"libphonenumber knows no valid number in area code {code}"
    return geocoder.description_for_number(found, "en")


@pytest.mark.parametrize(
    ("code", "state"),
    [(code, state) for state, codes in AREA_CODES.items() for code in codes],
)
def test_area_code_maps_to_its_state(code: str, state: str) -> None:
    if valid_number(code) is None:  # too new for libphonenumber: check the code it overlays
        assert code in NEWER_THAN_LIBPHONENUMBER, f"{code} is unknown to libphonenumber"
        code = NEWER_THAN_LIBPHONENUMBER[code]
        assert code in AREA_CODES[state]
    where = geocoded_state(code)
    name = STATE_NAMES[state]
    assert where in (name, f"{name} State") or where.endswith(f", {state}"), (code, where)


# -- operator files -----------------------------------------------------------------------------

SINCE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
CONSENTS = tuple(
    Consent(channel, purpose, "granted", "web_form", SINCE, True)
    for channel in ("sms", "voice")
    for purpose in ("marketing", "informational")
)
NY = Facts("US", "212", (NEW_YORK,), consents=CONSENTS)
GB = Facts("GB", None, ("Europe/London",), consents=CONSENTS)
OPERATOR = """
name = "acme"
version = "2026-01-15"

[[caps]]
name = "one marketing text a day"
purposes = ["marketing"]
channels = ["sms"]
max = 1
hours = 24

[[hours]]
name = "quiet informational"
purposes = ["informational"]
windows = { mon-fri = ["09:00", "18:00"], sat = ["10:00", "14:00"] }

[[holiday_bans]]
name = "company day"
regions = ["US"]
purposes = ["informational"]
holidays = [{ name = "Founders' Day", rule = "fixed:03-17", observed = false }]
"""


def at(zone_key: str, *parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=ZoneInfo(zone_key))


@pytest.fixture
def operator_rules(tmp_path: Path) -> RuleSet:
    path = tmp_path / "policy.toml"
    path.write_text(OPERATOR)
    return load_rules(path)


def test_operator_file_is_named_in_the_version(operator_rules: RuleSet) -> None:
    rules = load_rules(None)
    assert operator_rules.version == f"{rules.version}+acme@2026-01-15"


def test_operator_cap_applies(operator_rules: RuleSet) -> None:
    now = at(NEW_YORK, 2026, 5, 5, 12)  # a Tuesday
    history = (Send(now - dt.timedelta(hours=2), "sms", "marketing", sender="other"),)
    capped = decide(NY, "sms", "marketing", now, history, operator_rules)
    assert [(r.rule, r.code) for r in capped.blocking] == [("operator", "frequency_cap")]
    assert "one marketing text a day" in capped.blocking[0].message
    assert capped.next_allowed_at == now + dt.timedelta(hours=22)
    assert decide(NY, "voice", "marketing", now, history, operator_rules).allowed
    assert decide(GB, "sms", "marketing", now, history, operator_rules).blocking
    assert decide(NY, "sms", "marketing", now, history).allowed  # not without the file


@pytest.mark.parametrize(
    ("facts", "wall", "allowed", "opens"),
    [
        (NY, (2026, 5, 5, 18, 0), False, (2026, 5, 6, 9, 0)),
        (NY, (2026, 5, 5, 8, 59), False, (2026, 5, 5, 9, 0)),
        (NY, (2026, 5, 5, 9, 0), True, None),
        (NY, (2026, 5, 9, 14, 0), False, (2026, 5, 11, 9, 0)),  # Saturday: to Monday
        (NY, (2026, 5, 9, 13, 0), True, None),
        (GB, (2026, 5, 5, 20, 0), False, (2026, 5, 6, 9, 0)),  # no regions: every region
    ],
)
def test_operator_quiet_hours_apply(
    operator_rules: RuleSet,
    facts: Facts,
    wall: tuple[int, ...],
    allowed: bool,
    opens: tuple[int, ...] | None,
) -> None:
    zone_key = facts.number_time_zones[0]
    now = at(zone_key, *wall)
    decision = decide(facts, "sms", "informational", now, (), operator_rules)
    assert decision.allowed is allowed
    if opens is not None:
        assert [r.code for r in decision.blocking] == ["outside_hours"]
        assert decision.next_allowed_at == at(zone_key, *opens)
    assert decide(facts, "sms", "emergency", now, (), operator_rules).allowed
    assert decide(facts, "sms", "informational", now).allowed


def test_operator_holiday_ban_applies(operator_rules: RuleSet) -> None:
    day = dt.date(2026, 3, 17)  # a Tuesday
    noon = at(NEW_YORK, 2026, 3, 17, 12)
    decision = decide(NY, "sms", "informational", noon, (), operator_rules)
    assert [r.code for r in decision.blocking] == ["holiday"]
    assert "Founders' Day" in decision.blocking[0].message
    assert decision.next_allowed_at == local_instant(
        day + dt.timedelta(days=1), dt.time(9), NEW_YORK
    )
    assert decide(GB, "sms", "informational", noon, (), operator_rules).allowed


BAD_FILES = [
    pytest.param(
        '[[hours]]\nname = "q"\npurposes = ["promotions"]\nwindows = { all = ["08:00", "20:00"] }',
        r"q: unknown purpose or channel \['promotions'\]",
        id="unknown-purpose",
    ),
    pytest.param(
        '[[caps]]\nname = "c"\nchannels = ["fax"]\nmax = 1',
        r"c: unknown purpose or channel \['fax'\]",
        id="unknown-channel",
    ),
    pytest.param(
        '[[hours]]\nname = "q"\nwindows = { all = ["20:00", "08:00"] }',
        r"q: window \['20:00', '08:00'\] does not end after it starts",
        id="end-before-start",
    ),
    pytest.param(
        '[[hours]]\nname = "q"\nwindows = { all = ["8am", "20:00"] }',
        r"q: window \['8am', '20:00'\] is not two HH:MM times",
        id="bad-time",
    ),
    pytest.param(
        '[[hours]]\nname = "q"\nwindows = { weekdays = ["08:00", "20:00"] }',
        r"days 'weekdays': expected all, a weekday",
        id="bad-days",
    ),
    pytest.param(
        '[[hours]]\nname = "q"\nalso_zone = "America/Chicgo"\n'
        'windows = { all = ["08:00", "20:00"] }',
        r"q: unknown time zone 'America/Chicgo'",
        id="bad-zone",
    ),
    pytest.param(
        '[[holiday_bans]]\nname = "b"\nholidays = [{ name = "x", rule = "nth:6:mon:01" }]',
        r"b: bad holiday rule 'nth:6:mon:01': N must be 1 to 5",
        id="bad-holiday-rule",
    ),
    pytest.param(
        '[[holiday_bans]]\nname = "b"\nholidays = [{ name = "x", rule = "fixed:02-30" }]',
        r"b: bad holiday rule 'fixed:02-30': 02-30 is not a calendar date",
        id="impossible-holiday",
    ),
    pytest.param(
        '[[hours]]\nwindows = { all = ["08:00", "20:00"] }', r"missing key 'name'", id="no-name"
    ),
    pytest.param('[[caps]]\nname = "c"\nmax = 0', r"c: max must be at least 1", id="zero-max"),
    pytest.param(
        '[[caps]]\nname = "c"\nmax = 1\nhours = 0', r"c: hours must be more than 0", id="zero-hours"
    ),
    pytest.param(
        '[[caps]]\nname = "c"\nmax = 1\ncount_channels = "some"',
        r"c: count_channels/count_senders must be same or all",
        id="bad-count",
    ),
]


@pytest.mark.parametrize(("content", "message"), BAD_FILES)
def test_bad_operator_file_raises_config_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message) as caught:
        load_rules(path)
    assert str(caught.value).startswith(f"invalid policy file {path}: ")


def test_unreadable_operator_file_raises_config_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[[caps]\n")
    for path in (broken, tmp_path / "missing.toml"):
        with pytest.raises(ConfigError, match=f"cannot read policy file {path}"):
            load_rules(path)


@pytest.mark.parametrize("section", ["consent", "registry", "area_codes", "national_optout"])
def test_an_operator_file_cannot_loosen_the_packs(tmp_path: Path, section: str) -> None:
    path = tmp_path / "acme.toml"
    path.write_text(f'regions = ["US"]\n[{section}]\nmarketing_requires_written = false\n')
    with pytest.raises(ConfigError, match=f"{section} cannot be set by an operator file"):
        load_rules(path)
