"""The line-check cache: answers are stored with their date and reused until they are stale."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from phonelist import Phonelist
from phonelist.errors import ConfigError, PermissionDenied, ValidationError
from phonelist.lookup import (
    LineCheckService,
    LookupSettings,
    LookupUnavailable,
    TwilioLookup,
    build_line_checks,
)
from phonelist.security.permissions import Actor, Role
from phonelist.store.models import LineLookup
from tests.lookup.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, line, serve

NUMBER = "+14155550100"


@dataclass
class Clock:
    now: dt.datetime = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with serve() as running:
        running.lines = {NUMBER: line("mobile", "Verizon Wireless", "active", "no")}
        yield running


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def checks(core: Phonelist, fake: FakeTwilio, clock: Clock) -> Iterator[LineCheckService]:
    lookup = TwilioLookup(ACCOUNT_SID, AUTH_TOKEN, base_url=fake.base_url, clock=clock)
    service = LineCheckService(
        core.store, core.keyring, lookup, max_age=dt.timedelta(days=30), clock=clock
    )
    yield service
    service.close()


def test_a_second_check_comes_from_the_cache(
    checks: LineCheckService, fake: FakeTwilio, actor: Actor
) -> None:
    first = checks.check(actor, NUMBER)
    assert (first.line_type, first.active, first.from_cache) == ("mobile", True, False)
    second = checks.check(actor, NUMBER)
    assert len(fake.requests) == 1
    assert second.from_cache
    assert (second.line_type, second.carrier, second.active) == ("mobile", "Verizon Wireless", True)
    assert second.checked_at == first.checked_at


def test_a_stale_answer_is_refreshed(
    checks: LineCheckService, fake: FakeTwilio, actor: Actor, clock: Clock
) -> None:
    checks.check(actor, NUMBER)
    clock.now += dt.timedelta(days=30)
    assert checks.check(actor, NUMBER).from_cache
    fake.lines[NUMBER] = line("mobile", "Verizon Wireless", "inactive", "no")
    clock.now += dt.timedelta(seconds=1)
    fresh = checks.check(actor, NUMBER)
    assert (fresh.from_cache, fresh.active, fresh.checked_at) == (False, False, clock.now)
    assert len(fake.requests) == 2
    assert checks.check(actor, NUMBER).active is False  # the new answer was stored


def test_another_reassignment_date_is_another_question(
    checks: LineCheckService, fake: FakeTwilio, actor: Actor
) -> None:
    checks.check(actor, NUMBER)
    found = checks.check(actor, NUMBER, reassigned_since=dt.date(2025, 6, 1))
    assert (found.from_cache, found.reassigned) == (False, False)
    assert checks.check(actor, NUMBER, reassigned_since=dt.date(2025, 6, 1)).from_cache
    assert checks.check(actor, NUMBER).from_cache  # no date asked: any fresh answer will do
    checks.check(actor, NUMBER, refresh=True)
    assert len(fake.requests) == 3


def test_the_cache_is_keyed_by_the_blind_index(
    checks: LineCheckService, core: Phonelist, actor: Actor
) -> None:
    checks.check(actor, NUMBER)
    with core.store.read() as session:
        rows = session.scalars(select(LineLookup)).all()
        assert [r.e164_index for r in rows] == [core.keyring.blind_index("phone", NUMBER)]
        assert rows[0].provider == "twilio"


def test_provider_failures_leave_the_cache_alone(
    checks: LineCheckService, fake: FakeTwilio, core: Phonelist, actor: Actor
) -> None:
    fake.fail_with = 503
    with pytest.raises(LookupUnavailable):
        checks.check(actor, NUMBER)
    with core.store.read() as session:
        assert session.scalars(select(LineLookup)).all() == []


def test_checks_need_write_permission_and_an_e164_number(
    checks: LineCheckService, actor: Actor
) -> None:
    viewer = Actor(workspace_id=actor.workspace_id, role=Role.VIEWER, kind="user", ref="v")
    with pytest.raises(PermissionDenied):
        checks.check(viewer, NUMBER)
    with pytest.raises(ValidationError):
        checks.check(actor, "415 555 0100")


def test_nothing_is_built_unless_configured(core: Phonelist) -> None:
    assert build_line_checks(LookupSettings(), core.store, core.keyring) is None
    assert LookupSettings.from_settings(core.settings).configured is False
    with pytest.raises(ConfigError, match="twilio_auth_token"):
        build_line_checks(
            LookupSettings(provider="twilio", twilio_account_sid=ACCOUNT_SID),
            core.store,
            core.keyring,
        )
    with pytest.raises(ConfigError, match="unknown lookup_provider"):
        build_line_checks(LookupSettings(provider="carrier-pigeon"), core.store, core.keyring)


def test_settings_build_a_working_service(core: Phonelist, fake: FakeTwilio, actor: Actor) -> None:
    class Configured:
        lookup_provider = "twilio"
        twilio_account_sid = ACCOUNT_SID
        twilio_auth_token = AUTH_TOKEN
        twilio_lookup_base_url = fake.base_url
        lookup_max_age_days = 7

    service = build_line_checks(
        LookupSettings.from_settings(Configured()), core.store, core.keyring
    )
    assert service is not None
    try:
        assert service.max_age == dt.timedelta(days=7)
        assert service.check(actor, NUMBER).line_type == "mobile"
    finally:
        service.close()
