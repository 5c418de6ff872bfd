"""HttpJsonGateway against a small JSON relay served over real HTTP, and its signed webhooks."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from phonelist.errors import ConfigError
from phonelist.gateways import (
    GatewayError,
    HttpJsonGateway,
    InvalidSignature,
    Outbound,
    WebhookRejected,
)
from phonelist.gateways.signatures import sign_hmac
from tests.fakes.twilio_server import serve_asgi

TOKEN = "relay-token"
SECRET = "relay-signing-secret"
TO = "+14155550100"
NOW = 1_764_300_000


@dataclass
class Relay:
    """Accepts ``POST /send`` with the bearer token; ``answers`` scripts the next replies."""

    base_url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    answers: list[tuple[int, Any, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        body = b""
        more = True
        while more:
            event = await receive()
            body += event.get("body", b"")
            more = event.get("more_body", False)
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        with self.lock:
            if headers.get("authorization") != f"Bearer {TOKEN}":
                status, answer, extra = 401, {"code": "unauthorized"}, dict[str, str]()
            elif self.answers:
                status, answer, extra = self.answers.pop(0)
            else:
                payload = json.loads(body)
                self.received.append({"json": payload, "headers": headers})
                status, answer, extra = 202, {"id": f"r{len(self.received)}"}, {}
        raw = json.dumps(answer).encode() if not isinstance(answer, bytes) else answer
        out = [(b"content-type", b"application/json")]
        out += [(k.encode(), v.encode()) for k, v in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": raw})


@pytest.fixture(scope="module")
def relay() -> Iterator[Relay]:
    app = Relay()
    with serve_asgi(app) as base_url:
        app.base_url = base_url
        yield app


@pytest.fixture
def gateway(relay: Relay) -> Iterator[HttpJsonGateway]:
    relay.received.clear()
    relay.answers.clear()
    with HttpJsonGateway(
        f"{relay.base_url}/send",
        TOKEN,
        sender="+15005550006",
        signing_secret=SECRET,
        status_callback="https://p.example.com/cb",
    ) as gw:
        yield gw


def test_send(relay: Relay, gateway: HttpJsonGateway) -> None:
    result = gateway.send(Outbound(TO, "Hello", idempotency_key="ob_1"))
    assert (result.provider_ref, result.status) == ("r1", "queued")
    [got] = relay.received
    assert got["json"] == {"to": TO, "from": "+15005550006", "body": "Hello",
                           "idempotency_key": "ob_1",
                           "status_callback": "https://p.example.com/cb"}  # fmt: skip
    assert got["headers"]["idempotency-key"] == "ob_1"
    assert TOKEN not in repr(gateway)


def test_status_and_numeric_id(relay: Relay, gateway: HttpJsonGateway) -> None:
    relay.answers.append((200, {"id": 42, "status": "sent"}, {}))
    assert gateway.send(Outbound(TO, "Hi")).provider_ref == "42"
    relay.answers.append((200, {"id": "x", "status": "teleported"}, {}))
    assert gateway.send(Outbound(TO, "Hi")).status == "queued"


@pytest.mark.parametrize(
    ("status", "answer", "headers", "expect"),
    [
        (400, {"code": "opted_out"}, {}, ("opted_out", "opt_out", False, True, None)),
        (400, {"code": 21610}, {}, ("21610", "opt_out", False, True, None)),
        (422, {"code": "invalid_number"}, {}, ("invalid_number", "rejected", False, False, None)),
        (403, {"code": "forbidden"}, {}, ("forbidden", "auth", False, False, None)),
        (429, {}, {"Retry-After": "12"}, (None, "rate_limited", True, False, 12.0)),
        (503, b"<html>down</html>", {}, (None, "unavailable", True, False, None)),
    ],
)
def test_errors(
    relay: Relay,
    gateway: HttpJsonGateway,
    status: int,
    answer: Any,
    headers: dict[str, str],
    expect: tuple[str | None, str, bool, bool, float | None],
) -> None:
    relay.answers.append((status, answer, headers))
    with pytest.raises(GatewayError) as caught:
        gateway.send(Outbound(TO, "Hi"))
    e = caught.value
    assert (e.provider_code, e.category, e.retryable, e.opt_out, e.retry_after) == expect
    assert e.http_status == status


def test_wrong_token(relay: Relay) -> None:
    with (
        HttpJsonGateway(f"{relay.base_url}/send", "nope") as gw,
        pytest.raises(GatewayError) as caught,
    ):
        gw.send(Outbound(TO, "Hi"))
    assert (caught.value.category, caught.value.retryable) == ("auth", False)


@pytest.mark.parametrize("answer", [{}, {"id": ""}, {"id": True}, b"not json", [1]])
def test_accepted_without_an_id_is_ambiguous(
    relay: Relay, gateway: HttpJsonGateway, answer: Any
) -> None:
    relay.answers.append((200, answer, {}))
    with pytest.raises(GatewayError) as caught:
        gateway.send(Outbound(TO, "Hi"))
    assert caught.value.ambiguous


@pytest.mark.parametrize(
    ("exc", "ambiguous"), [(httpx.ConnectError("no"), False), (httpx.ReadTimeout("slow"), True)]
)
def test_network_errors(exc: httpx.HTTPError, ambiguous: bool) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    transport = httpx.MockTransport(handler)
    gw = HttpJsonGateway("http://relay.test/send", TOKEN, transport=transport)
    with gw, pytest.raises(GatewayError) as caught:
        gw.send(Outbound(TO, "Hi"))
    assert caught.value.retryable
    assert caught.value.ambiguous is ambiguous


def test_needs_url_and_token() -> None:
    with pytest.raises(ConfigError):
        HttpJsonGateway("", TOKEN)
    with pytest.raises(ConfigError):
        HttpJsonGateway("http://relay.test/send", "")


def _signed(
    payload: dict[str, Any], at: int = NOW, secret: str = SECRET
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    return body, {"x-phonelist-signature": sign_hmac(secret, body, at)}


def test_signed_status_callback(gateway: HttpJsonGateway) -> None:
    body, headers = _signed({"id": "r1", "status": "undelivered", "error_code": "opted_out",
                             "to": TO, "from": "+15005550006"})  # fmt: skip
    gateway.verify_webhook("https://p.example.com/cb", headers, body, NOW + 10)
    report = gateway.parse_delivery_report(body)
    assert (report.provider_ref, report.status, report.error_code) == (
        "r1",
        "undelivered",
        "opted_out",
    )
    assert report.opt_out and report.final
    assert (report.to, report.sender) == (TO, "+15005550006")


def test_signed_inbound(gateway: HttpJsonGateway) -> None:
    body, headers = _signed({"id": "in1", "from": TO, "to": "+15005550006", "body": "STOP"})
    gateway.verify_webhook("https://p.example.com/in", headers, body, NOW)
    inbound = gateway.parse_inbound(body)
    assert (inbound.provider_ref, inbound.sender, inbound.to, inbound.body) == (
        "in1",
        TO,
        "+15005550006",
        "STOP",
    )


def test_bad_signatures_are_refused(gateway: HttpJsonGateway) -> None:
    body, headers = _signed({"id": "r1", "status": "delivered"})
    cases = [
        (body.replace(b"delivered", b"failed"), headers, NOW),  # tampered
        (body, {}, NOW),  # missing
        (body, _signed({"id": "r1", "status": "delivered"}, secret="other")[1], NOW),  # wrong key
        (body, headers, NOW + 301),  # replayed after the window
    ]
    for bad_body, bad_headers, now in cases:
        with pytest.raises(InvalidSignature):
            gateway.verify_webhook("https://p.example.com/cb", bad_headers, bad_body, now)


def test_verifying_needs_a_secret() -> None:
    with HttpJsonGateway("http://relay.test/send", TOKEN) as gw, pytest.raises(ConfigError):
        gw.verify_webhook("u", {}, b"{}", NOW)


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"status": "delivered"}', b'{"id": "r1"}',
     b'{"id": "r1", "status": "teleported"}'],
)  # fmt: skip
def test_malformed_status_callbacks(gateway: HttpJsonGateway, body: bytes) -> None:
    with pytest.raises(WebhookRejected):
        gateway.parse_delivery_report(body)


def test_malformed_inbound(gateway: HttpJsonGateway) -> None:
    with pytest.raises(WebhookRejected):
        gateway.parse_inbound(b'{"id": "in1", "to": "+1"}')
