"""TwilioLookup against a local fake of the Lookup v2 HTTP API, over real HTTP."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator

import httpx
import pytest

from phonelist.errors import ConfigError, NotFound, PhonelistError, ValidationError
from phonelist.lookup import LookupUnavailable, TwilioLookup
from tests.lookup.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, line, serve

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with serve() as running:
        running.lines = {
            "+14155550100": line("mobile", "Verizon Wireless", "active", "no"),
            "+14155550101": line("landline", "AT&T", "inactive", "yes"),
            "+14155550102": line(
                "nonFixedVoip", "Google Voice", "unreachable", "no_data_available"
            ),
            "+14155550103": line("tollFree", None, None, None),
            "+14155550104": line("unknown", None, "unknown", None, valid=False),
        }
        yield running


@pytest.fixture
def twilio(fake: FakeTwilio) -> Iterator[TwilioLookup]:
    with TwilioLookup(
        ACCOUNT_SID, AUTH_TOKEN, base_url=fake.base_url, timeout=2, clock=lambda: NOW
    ) as lookup:
        yield lookup


def test_asks_with_basic_auth_and_the_right_fields(fake: FakeTwilio, twilio: TwilioLookup) -> None:
    twilio.check("+14155550100")
    request = fake.requests[-1]
    assert request["path"] == "/v2/PhoneNumbers/+14155550100"
    assert request["query"] == {"Fields": "line_type_intelligence,line_status"}
    token = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert request["auth"] == f"Basic {token}"
    twilio.check("+14155550100", reassigned_since=dt.date(2024, 3, 9))
    assert fake.requests[-1]["query"] == {
        "Fields": "line_type_intelligence,line_status,reassigned_number",
        "LastVerifiedDate": "20240309",
    }


@pytest.mark.parametrize(
    ("number", "line_type", "carrier", "active", "reassigned"),
    [
        ("+14155550100", "mobile", "Verizon Wireless", True, False),
        ("+14155550101", "fixed_line", "AT&T", False, True),
        ("+14155550102", "non_fixed_voip", "Google Voice", True, None),
        ("+14155550103", "toll_free", None, None, None),
        ("+14155550104", "unknown", None, False, None),  # valid: false -> nothing to reach
    ],
)
def test_maps_the_answer(
    twilio: TwilioLookup,
    number: str,
    line_type: str,
    carrier: str | None,
    active: bool | None,
    reassigned: bool | None,
) -> None:
    found = twilio.check(number, reassigned_since=dt.date(2025, 1, 1))
    assert (found.line_type, found.carrier, found.active, found.reassigned) == (
        line_type,
        carrier,
        active,
        reassigned,
    )
    assert found.provider == "twilio" and found.checked_at == NOW
    assert found.reassigned_since == dt.date(2025, 1, 1) and not found.from_cache


def test_without_a_date_reassignment_is_not_asked(twilio: TwilioLookup) -> None:
    assert twilio.check("+14155550101").reassigned is None


def test_line_status_can_be_left_out(fake: FakeTwilio) -> None:
    with TwilioLookup(ACCOUNT_SID, AUTH_TOKEN, base_url=fake.base_url, line_status=False) as lookup:
        assert lookup.check("+14155550100").active is None
    assert fake.requests[-1]["query"] == {"Fields": "line_type_intelligence"}


def test_wrong_credentials_are_a_config_error(fake: FakeTwilio) -> None:
    lookup = TwilioLookup(ACCOUNT_SID, "wrong", base_url=fake.base_url)
    with lookup, pytest.raises(ConfigError) as caught:
        lookup.check("+14155550100")
    assert "20003" in caught.value.message
    assert caught.value.details["status"] == 401


def test_an_unknown_number_is_not_found(twilio: TwilioLookup) -> None:
    with pytest.raises(NotFound) as caught:
        twilio.check("+14155550199")
    assert caught.value.details["provider_code"] == 20404


@pytest.mark.parametrize("status", [429, 500, 503])
def test_rate_limits_and_outages_are_unavailable(
    fake: FakeTwilio, twilio: TwilioLookup, status: int
) -> None:
    fake.fail_with = status
    with pytest.raises(LookupUnavailable) as caught:
        twilio.check("+14155550100")
    assert caught.value.details["status"] == status
    if status == 429:
        assert caught.value.details["retry_after"] == "30"


def test_a_refused_request_is_a_validation_error(fake: FakeTwilio, twilio: TwilioLookup) -> None:
    fake.fail_with = 400
    with pytest.raises(ValidationError):
        twilio.check("+14155550100")


def test_an_answer_that_is_not_json_is_unavailable(fake: FakeTwilio, twilio: TwilioLookup) -> None:
    fake.garbage = True
    with pytest.raises(LookupUnavailable, match="not JSON"):
        twilio.check("+14155550100")


def test_a_slow_service_times_out(fake: FakeTwilio) -> None:
    fake.delay = 0.5
    lookup = TwilioLookup(ACCOUNT_SID, AUTH_TOKEN, base_url=fake.base_url, timeout=0.1)
    with lookup, pytest.raises(LookupUnavailable, match="in time"):
        lookup.check("+14155550100")


def test_an_unreachable_service_is_unavailable() -> None:
    with serve() as gone:
        url = gone.base_url
    lookup = TwilioLookup(ACCOUNT_SID, AUTH_TOKEN, base_url=url, timeout=1)
    with lookup, pytest.raises(LookupUnavailable, match="cannot reach"):
        lookup.check("+14155550100")


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("broken"),
        httpx.TooManyRedirects("loop"),
    ],
)
def test_no_httpx_error_escapes(failure: Exception) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise failure

    lookup = TwilioLookup(ACCOUNT_SID, AUTH_TOKEN, transport=httpx.MockTransport(fail))
    with lookup, pytest.raises(PhonelistError) as caught:
        lookup.check("+14155550100")
    assert not isinstance(caught.value, httpx.HTTPError)


def test_credentials_are_required() -> None:
    with pytest.raises(ConfigError):
        TwilioLookup("", AUTH_TOKEN)
