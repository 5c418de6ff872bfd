"""TwilioGateway against the local fake Twilio server, over real HTTP."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from urllib.parse import parse_qsl

import httpx
import pytest

from phonelist.errors import ConfigError
from phonelist.gateways import GatewayError, InvalidSignature, Outbound, WebhookRejected
from phonelist.gateways.twilio import (
    IDEMPOTENCY_HEADER,
    TWILIO_OPT_OUT_CODES,
    TwilioGateway,
    parse_delivery_report,
    parse_retry_after,
)
from phonelist.suppression.service import PROVIDER_OPT_OUT_CODES
from tests.fakes.twilio_server import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    FakeTwilio,
    spawn,
)

SENDER = "+15005550006"
TO = "+14155550100"
CALLBACK = "https://phonelist.example.com/webhooks/twilio/status?outbox=ob_1"
NOW = 1_764_300_000.0


@pytest.fixture
def twilio(fake_twilio: FakeTwilio) -> Iterator[TwilioGateway]:
    with TwilioGateway(
        ACCOUNT_SID,
        AUTH_TOKEN,
        sender=SENDER,
        status_callback=CALLBACK,
        base_url=fake_twilio.base_url,
        timeout=5,
    ) as gateway:
        yield gateway


def test_send_creates_a_message(fake_twilio: FakeTwilio, twilio: TwilioGateway) -> None:
    result = twilio.send(Outbound(TO, "Hello there", idempotency_key="ob_1"))
    assert result.status == "queued"
    [message] = fake_twilio.messages
    assert result.provider_ref == message.sid
    assert message.sid.startswith("SM")
    assert (message.to, message.sender, message.body) == (TO, SENDER, "Hello there")
    assert message.status_callback == CALLBACK
    assert message.idempotency_key == "ob_1"
    assert message.auth_user == ACCOUNT_SID


def test_message_sender_and_callback_override_the_defaults(
    fake_twilio: FakeTwilio, twilio: TwilioGateway
) -> None:
    twilio.send(Outbound(TO, "Hi", sender="+15005550001", status_callback="https://x.test/cb"))
    [message] = fake_twilio.messages
    assert (message.sender, message.status_callback) == ("+15005550001", "https://x.test/cb")
    assert message.idempotency_key is None


def test_messaging_service_and_api_key(fake_twilio: FakeTwilio) -> None:
    with TwilioGateway(
        ACCOUNT_SID,
        api_key_sid=API_KEY_SID,
        api_key_secret=API_KEY_SECRET,
        messaging_service_sid="MG" + "1" * 32,
        base_url=fake_twilio.base_url,
    ) as gateway:
        result = gateway.send(Outbound(TO, "Hi"))
    [message] = fake_twilio.messages
    assert message.sender is None
    assert message.messaging_service_sid == "MG" + "1" * 32
    assert message.auth_user == API_KEY_SID
    assert message.status_callback is None
    assert result.status == "queued"  # Twilio's "accepted" is queued to the outbox


def test_wrong_credentials(fake_twilio: FakeTwilio) -> None:
    with (
        TwilioGateway(
            ACCOUNT_SID, "wrong-token", sender=SENDER, base_url=fake_twilio.base_url
        ) as gateway,
        pytest.raises(GatewayError) as caught,
    ):
        gateway.send(Outbound(TO, "Hi"))
    error = caught.value
    assert (error.provider_code, error.category, error.http_status) == ("20003", "auth", 401)
    assert not error.retryable
    assert fake_twilio.messages == []


@pytest.mark.parametrize(
    ("code", "category", "opt_out"),
    [
        (21610, "opt_out", True),
        (21211, "invalid_number", False),
        (21614, "not_mobile", False),
        (21612, "unreachable", False),
        (21408, "config", False),
        (21999, "rejected", False),  # a code phonelist does not know
    ],
)
def test_refusals_are_mapped_and_not_retried(
    fake_twilio: FakeTwilio, twilio: TwilioGateway, code: int, category: str, opt_out: bool
) -> None:
    fake_twilio.fail_number(TO, code)
    with pytest.raises(GatewayError) as caught:
        twilio.send(Outbound(TO, "Hi"))
    error = caught.value
    assert error.provider_code == str(code)
    assert error.category == category
    assert error.opt_out is opt_out
    assert not error.retryable
    assert not error.ambiguous
    assert error.http_status == 400
    assert str(code) in str(error)
    assert TO not in str(error)  # no number in the message (it gets logged)
    twilio.send(Outbound("+14155550111", "Hi"))  # other numbers still go
    assert len(fake_twilio.messages) == 1


def test_opt_out_codes_agree_with_suppression() -> None:
    assert TWILIO_OPT_OUT_CODES <= PROVIDER_OPT_OUT_CODES


@pytest.mark.parametrize(
    ("status", "category", "retry_after"),
    [(500, "unavailable", None), (503, "unavailable", None), (429, "rate_limited", 7.0)],
)
def test_outages_and_rate_limits_are_retryable(
    fake_twilio: FakeTwilio,
    twilio: TwilioGateway,
    status: int,
    category: str,
    retry_after: float | None,
) -> None:
    fake_twilio.fail_next(2, status, retry_after="7" if status == 429 else None)
    for _ in range(2):
        with pytest.raises(GatewayError) as caught:
            twilio.send(Outbound(TO, "Hi", idempotency_key="k"))
        error = caught.value
        assert error.retryable
        assert (error.category, error.http_status, error.retry_after) == (
            category,
            status,
            retry_after,
        )
        assert error.ambiguous is (status >= 500)
    twilio.send(Outbound(TO, "Hi", idempotency_key="k"))  # the third attempt goes through
    assert len(fake_twilio.messages) == 1


def test_idempotency_key_is_honoured_by_the_fake(
    fake_twilio: FakeTwilio, twilio: TwilioGateway
) -> None:
    first = twilio.send(Outbound(TO, "Hi", idempotency_key="ob_1"))
    again = twilio.send(Outbound(TO, "Hi", idempotency_key="ob_1"))
    other = twilio.send(Outbound(TO, "Hi", idempotency_key="ob_2"))
    without = [twilio.send(Outbound(TO, "Hi")) for _ in range(2)]
    assert first.provider_ref == again.provider_ref
    assert other.provider_ref != first.provider_ref
    assert without[0].provider_ref != without[1].provider_ref
    assert len(fake_twilio.messages) == 4
    assert fake_twilio.requests == 5


def test_the_fake_lists_and_fetches_for_reconciliation(
    fake_twilio: FakeTwilio, twilio: TwilioGateway
) -> None:
    sent = twilio.send(Outbound(TO, "Hi"))
    twilio.send(Outbound("+14155550111", "Hi"))
    auth = (ACCOUNT_SID, AUTH_TOKEN)
    base = f"{fake_twilio.base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages"
    listed = httpx.get(f"{base}.json", params={"To": TO}, auth=auth).json()["messages"]
    assert [m["sid"] for m in listed] == [sent.provider_ref]
    fetched = httpx.get(f"{base}/{sent.provider_ref}.json", auth=auth)
    assert fetched.json()["to"] == TO
    assert httpx.get(f"{base}.json").status_code == 401  # no credentials


def test_unreachable_twilio_is_retryable_and_not_ambiguous() -> None:
    with (
        TwilioGateway(
            ACCOUNT_SID, AUTH_TOKEN, sender=SENDER, base_url="http://127.0.0.1:9", timeout=2
        ) as gateway,
        pytest.raises(GatewayError) as caught,
    ):
        gateway.send(Outbound(TO, "Hi"))
    assert caught.value.retryable
    assert not caught.value.ambiguous  # never left: a retry cannot send twice


def _mock(handler: Callable[[httpx.Request], httpx.Response]) -> TwilioGateway:
    return TwilioGateway(
        ACCOUNT_SID, AUTH_TOKEN, sender=SENDER, transport=httpx.MockTransport(handler)
    )


@pytest.mark.parametrize(
    ("exc", "ambiguous"),
    [
        (httpx.ConnectError("refused"), False),
        (httpx.ConnectTimeout("slow"), False),
        (httpx.PoolTimeout("busy"), False),
        (httpx.ReadTimeout("slow"), True),
        (httpx.ReadError("reset"), True),
        (httpx.WriteError("broken"), True),
        (httpx.RemoteProtocolError("garbled"), True),
    ],
)
def test_no_httpx_error_escapes(exc: httpx.HTTPError, ambiguous: bool) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    with _mock(handler) as gateway, pytest.raises(GatewayError) as caught:
        gateway.send(Outbound(TO, "Hi"))
    assert caught.value.retryable
    assert caught.value.ambiguous is ambiguous
    assert caught.value.category == "unavailable"


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(201, content=b"<html>"),
        httpx.Response(201, json={"status": "queued"}),
        httpx.Response(201, json=["not", "an", "object"]),
    ],
)
def test_accepted_without_a_sid_is_ambiguous(response: httpx.Response) -> None:
    with _mock(lambda request: response) as gateway, pytest.raises(GatewayError) as caught:
        gateway.send(Outbound(TO, "Hi"))
    assert caught.value.ambiguous
    assert not caught.value.retryable


def test_error_without_a_json_body() -> None:
    answer = httpx.Response(502, content=b"Bad Gateway", headers={"Retry-After": "3"})
    with _mock(lambda request: answer) as gateway, pytest.raises(GatewayError) as caught:
        gateway.send(Outbound(TO, "Hi"))
    error = caught.value
    assert (error.provider_code, error.retryable, error.retry_after) == (None, True, 3.0)


def test_request_shape() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"sid": "SM1", "status": "sent"})

    with _mock(handler) as gateway:
        result = gateway.send(Outbound(TO, "Hé 👋", idempotency_key="ob_9"))
    assert result.status == "sent"
    request = seen[0]
    assert request.url.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert dict(parse_qsl(request.content.decode())) == {"To": TO, "Body": "Hé 👋", "From": SENDER}
    assert request.headers[IDEMPOTENCY_HEADER] == "ob_9"
    expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("7", 7.0), (" 1.5 ", 1.5), ("0", 0.0), ("99999", 3600.0), (None, None), ("", None),
     ("soon", None), ("-3", None), ("nan", None), ("Wed, 21 Oct 2015 07:28:00 GMT", None)],
)  # fmt: skip
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value) == seconds


@pytest.mark.parametrize(
    "kwargs",
    [
        {"account_sid": "", "auth_token": AUTH_TOKEN, "sender": SENDER},
        {"account_sid": ACCOUNT_SID, "sender": SENDER},
        {"account_sid": ACCOUNT_SID, "api_key_sid": API_KEY_SID, "sender": SENDER},
        {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN},
    ],
)
def test_configuration_is_checked(kwargs: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        TwilioGateway(**kwargs)  # type: ignore[arg-type]


def test_repr_has_no_secret(twilio: TwilioGateway) -> None:
    assert AUTH_TOKEN not in repr(twilio)


# -- webhooks: what the fake sends (signed like Twilio), verified and parsed by the gateway ------


def _receiver(seen: list[httpx.Request]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    return httpx.Client(transport=httpx.MockTransport(handler))


def test_status_callback_round_trip(fake_twilio: FakeTwilio, twilio: TwilioGateway) -> None:
    sent = twilio.send(Outbound(TO, "Hi"))
    seen: list[httpx.Request] = []
    with _receiver(seen) as client:
        fake_twilio.send_status(sent.provider_ref or "", "undelivered", error_code="30003",
                                client=client)  # fmt: skip
    request = seen[0]
    assert str(request.url) == CALLBACK
    assert request.headers["I-Twilio-Idempotency-Token"]
    twilio.verify_webhook(str(request.url), request.headers, request.content, NOW)
    report = twilio.parse_delivery_report(request.content)
    assert (report.provider_ref, report.status, report.provider_status) == (
        sent.provider_ref,
        "undelivered",
        "undelivered",
    )
    assert (report.error_code, report.to, report.sender) == ("30003", TO, SENDER)
    assert report.final
    assert not report.opt_out


def test_tampered_or_unsigned_webhooks_are_refused(
    fake_twilio: FakeTwilio, twilio: TwilioGateway
) -> None:
    sent = twilio.send(Outbound(TO, "Hi"))
    seen: list[httpx.Request] = []
    with _receiver(seen) as client:
        fake_twilio.send_status(sent.provider_ref or "", "delivered", client=client)
    request = seen[0]
    url, body, headers = str(request.url), request.content, dict(request.headers)
    twilio.verify_webhook(url, headers, body, NOW)
    tampered = body.replace(b"delivered", b"failed")
    unsigned = {k: v for k, v in headers.items() if k.lower() != "x-twilio-signature"}
    for bad_url, bad_headers, bad_body in [
        (url, headers, tampered),
        (url.replace("ob_1", "ob_2"), headers, body),
        (url, unsigned, body),
        (url, {**unsigned, "X-Twilio-Signature": "bm9wZQ=="}, body),
    ]:
        with pytest.raises(InvalidSignature):
            twilio.verify_webhook(bad_url, bad_headers, bad_body, NOW)
    with (
        TwilioGateway(
            ACCOUNT_SID, "another-token", sender=SENDER, base_url=fake_twilio.base_url
        ) as other,
        pytest.raises(InvalidSignature),
    ):
        other.verify_webhook(url, headers, body, NOW)


def test_verifying_needs_the_auth_token(fake_twilio: FakeTwilio) -> None:
    with (
        TwilioGateway(
            ACCOUNT_SID, api_key_sid=API_KEY_SID, api_key_secret=API_KEY_SECRET, sender=SENDER
        ) as gateway,
        pytest.raises(ConfigError),
    ):
        gateway.verify_webhook(CALLBACK, {"X-Twilio-Signature": "x"}, b"", NOW)


def test_inbound_round_trip(fake_twilio: FakeTwilio, twilio: TwilioGateway) -> None:
    seen: list[httpx.Request] = []
    url = "https://phonelist.example.com/webhooks/twilio/inbound"
    with _receiver(seen) as client:
        fake_twilio.send_inbound(url, TO, SENDER, "STOP & go", client=client, sid="SM77")
    request = seen[0]
    twilio.verify_webhook(url, request.headers, request.content, NOW)
    inbound = twilio.parse_inbound(request.content)
    assert (inbound.provider_ref, inbound.sender, inbound.to, inbound.body, inbound.segments) == (
        "SM77",
        TO,
        SENDER,
        "STOP & go",
        1,
    )


@pytest.mark.parametrize(
    ("twilio_status", "status", "final"),
    [("accepted", "queued", False), ("scheduled", "queued", False), ("queued", "queued", False),
     ("sending", "sending", False), ("sent", "sent", False), ("delivered", "delivered", True),
     ("read", "delivered", True), ("undelivered", "undelivered", True),
     ("failed", "failed", True), ("canceled", "failed", True), ("DELIVERED", "delivered", True)],
)  # fmt: skip
def test_status_words(twilio_status: str, status: str, final: bool) -> None:
    report = parse_delivery_report({"MessageSid": "SM1", "MessageStatus": twilio_status})
    assert (report.status, report.final, report.error_code) == (status, final, None)


def test_status_callback_with_21610_is_an_opt_out() -> None:
    form = {"MessageSid": "SM1", "MessageStatus": "failed", "ErrorCode": "21610"}
    assert parse_delivery_report(form).opt_out


@pytest.mark.parametrize(
    "body",
    [
        b"MessageStatus=delivered",  # no sid
        b"MessageSid=SM1",  # no status
        b"MessageSid=SM1&MessageStatus=teleported",
        b"MessageSid=SM1&MessageStatus=\xff",
    ],
)
def test_malformed_status_callbacks(twilio: TwilioGateway, body: bytes) -> None:
    with pytest.raises(WebhookRejected):
        twilio.parse_delivery_report(body)


def test_malformed_inbound(twilio: TwilioGateway) -> None:
    with pytest.raises(WebhookRejected):
        twilio.parse_inbound(b"MessageSid=SM1&To=%2B1")  # no From


def test_the_fake_in_a_child_process() -> None:
    with spawn() as remote:
        with TwilioGateway(ACCOUNT_SID, AUTH_TOKEN, sender=SENDER, base_url=remote.base_url) as gw:
            gw.send(Outbound(TO, "Hi", idempotency_key="k"))
            gw.send(Outbound(TO, "Hi", idempotency_key="k"))
        # requests counts every request, this stats request included
        assert remote.stats() == {"messages": 1, "requests": 3}
        remote.reset()
        assert remote.stats() == {"messages": 0, "requests": 1}
    assert remote.process.returncode == 0
