"""A local fake of Twilio's Messages API, served by uvicorn over real HTTP on 127.0.0.1.

What it does, like Twilio:

- ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` (form ``To``, ``From`` or
  ``MessagingServiceSid``, ``Body``, ``StatusCallback``) checks basic auth (the account SID and
  auth token, or an API key), answers 201 with the Message resource, or Twilio's error body
  (``{"code", "message", "more_info", "status"}``);
- ``GET .../Messages.json?To=...`` lists accepted messages (for reconciliation tests) and
  ``GET .../Messages/{Sid}.json`` fetches one;
- status callbacks and inbound messages are POSTed as forms signed with ``X-Twilio-Signature``
  and carry an ``I-Twilio-Idempotency-Token`` header, exactly as Twilio's webhooks do.

What it does that Twilio does not promise: a repeated ``I-Twilio-Idempotency-Token`` header on
Messages create answers the first message again (201, same sid) instead of sending another. The
outbox's crash test relies on this; docs/gateways.md says what the real service guarantees.

On demand it fails: ``fail_number(to, code)`` refuses one number with a Twilio error (21610,
21211, ...), ``fail_next(n, status)`` answers the next ``n`` creates with 429/5xx.

It is a bare ASGI app (no framework routing) so that one client can push well over 1,500
requests/s through it: bench/fake_twilio_bench.py measures it.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import uvicorn

from phonelist.gateways.signatures import twilio_signature

__all__ = [
    "ACCOUNT_SID",
    "API_KEY_SECRET",
    "API_KEY_SID",
    "AUTH_TOKEN",
    "FakeMessage",
    "FakeTwilio",
    "SpawnedFake",
    "serve",
    "serve_asgi",
    "spawn",
]

ACCOUNT_SID = "AC" + "f" * 32
AUTH_TOKEN = "fake-auth-token"
API_KEY_SID = "SK" + "e" * 32
API_KEY_SECRET = "fake-api-key-secret"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_ERROR_TEXT = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    20503: "Service Unavailable",
    21211: "Invalid 'To' Phone Number",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21612: "The 'To' phone number is not currently reachable via SMS",
    21614: "'To' number is not a valid mobile number",
}


@dataclass(frozen=True)
class FakeMessage:
    sid: str
    to: str
    sender: str | None  # From
    messaging_service_sid: str | None
    body: str
    status_callback: str | None
    idempotency_key: str | None
    auth_user: str  # the account SID or API key SID that sent it
    created_at: dt.datetime

    def resource(self, status: str = "queued") -> dict[str, Any]:
        """The Message resource as Twilio's JSON shows it."""
        created = format_datetime(self.created_at, usegmt=True)
        return {
            "account_sid": ACCOUNT_SID,
            "api_version": "2010-04-01",
            "body": self.body,
            "date_created": created,
            "date_sent": None,
            "date_updated": created,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": self.sender,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": "accepted" if self.messaging_service_sid and not self.sender else status,
            "subresource_uris": {
                "media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{self.sid}/Media.json"
            },
            "to": self.to,
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{self.sid}.json",
        }


@dataclass
class _Failure:
    status: int
    code: int
    retry_after: str | None


@dataclass
class FakeTwilio:
    """The fake's state. Safe to read and steer from test threads while it serves."""

    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    api_keys: dict[str, str] = field(default_factory=lambda: {API_KEY_SID: API_KEY_SECRET})
    base_url: str = ""
    requests: int = 0  # every HTTP request, accepted or not
    _messages: list[FakeMessage] = field(default_factory=list)
    _by_key: dict[str, FakeMessage] = field(default_factory=dict)
    _by_sid: dict[str, FakeMessage] = field(default_factory=dict)
    _numbers: dict[str, _Failure] = field(default_factory=dict)
    _next: list[_Failure] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- steering -------------------------------------------------------------------------------

    @property
    def messages(self) -> list[FakeMessage]:
        """Every accepted message, in order (a copy)."""
        with self._lock:
            return list(self._messages)

    def fail_number(self, to: str, code: int = 21610, status: int = 400) -> None:
        """Refuse every send to ``to`` with Twilio error ``code``."""
        with self._lock:
            self._numbers[to] = _Failure(status, code, None)

    def fail_next(
        self,
        n: int = 1,
        status: int = 500,
        *,
        code: int | None = None,
        retry_after: str | None = None,
    ) -> None:
        """Answer the next ``n`` creates with ``status`` (429 gets ``Retry-After`` if given)."""
        code = code or {429: 20429, 503: 20503}.get(status, 20500)
        with self._lock:
            self._next.extend(_Failure(status, code, retry_after) for _ in range(n))

    def reset(self) -> None:
        with self._lock:
            self._messages.clear()
            self._by_key.clear()
            self._by_sid.clear()
            self._numbers.clear()
            self._next.clear()
            self.requests = 0

    # -- webhooks the fake sends, signed like Twilio's ------------------------------------------

    def sign(self, url: str, params: dict[str, str]) -> str:
        return twilio_signature(self.auth_token, url, params)

    def send_status(
        self,
        message: FakeMessage | str,
        status: str = "delivered",
        *,
        error_code: str | None = None,
        client: httpx.Client | None = None,
        url: str | None = None,
    ) -> httpx.Response:
        """POST a status callback for ``message`` (or its sid) to its ``StatusCallback``."""
        if isinstance(message, str):
            with self._lock:
                message = self._by_sid[message]
        target = url or message.status_callback
        if not target:
            raise ValueError(f"message {message.sid} has no StatusCallback")
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "From": message.sender or "",
            "MessageSid": message.sid,
            "MessageStatus": status,
            "SmsSid": message.sid,
            "SmsStatus": status,
            "To": message.to,
        }
        if message.messaging_service_sid:
            params["MessagingServiceSid"] = message.messaging_service_sid
        if error_code is not None:
            params["ErrorCode"] = error_code
        return self._post_webhook(target, params, client)

    def deliver_all(
        self, status: str = "delivered", *, client: httpx.Client | None = None
    ) -> list[httpx.Response]:
        """A status callback for every accepted message that asked for one."""
        return [
            self.send_status(m, status, client=client) for m in self.messages if m.status_callback
        ]

    def send_inbound(
        self,
        url: str,
        sender: str,
        to: str,
        body: str,
        *,
        client: httpx.Client | None = None,
        sid: str | None = None,
    ) -> httpx.Response:
        """POST an inbound SMS webhook (someone texted ``to``) to ``url``."""
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "Body": body,
            "From": sender,
            "MessageSid": sid or "SM" + uuid.uuid4().hex,
            "NumMedia": "0",
            "NumSegments": "1",
            "SmsMessageSid": "",
            "SmsSid": "",
            "SmsStatus": "received",
            "To": to,
        }
        params["SmsMessageSid"] = params["SmsSid"] = params["MessageSid"]
        return self._post_webhook(url, params, client)

    def _post_webhook(
        self, url: str, params: dict[str, str], client: httpx.Client | None
    ) -> httpx.Response:
        headers = {
            "X-Twilio-Signature": self.sign(url, params),
            "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
            "User-Agent": "TwilioProxy/1.1",
        }
        if client is not None:
            return client.post(url, data=params, headers=headers)
        with httpx.Client(timeout=10) as own:
            return own.post(url, data=params, headers=headers)

    # -- the ASGI app ---------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        chunks: list[bytes] = []
        more = True
        while more:
            event = await receive()
            chunks.append(event.get("body", b""))
            more = event.get("more_body", False)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        status, body, extra = self._handle(
            scope["method"], scope["path"], scope["query_string"], headers, b"".join(chunks)
        )
        raw = json.dumps(body).encode()
        out = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
        out.extend((k.encode(), v.encode()) for k, v in extra.items())
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": raw})

    def _handle(
        self, method: str, path: str, query: bytes, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            self.requests += 1
        user = self._authenticate(headers.get("authorization", ""))
        if user is None:
            return _error(401, 20003)
        if path == "/_fake/stats" and method == "GET":
            with self._lock:
                return 200, {"messages": len(self._messages), "requests": self.requests}, {}
        if path == "/_fake/reset" and method == "POST":
            self.reset()
            return 200, {}, {}
        prefix = f"/2010-04-01/Accounts/{self.account_sid}/Messages"
        if not path.startswith(prefix):
            return _error(404, 20404)
        rest = path[len(prefix) :]
        if rest == ".json" and method == "POST":
            form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            return self._create(form, headers.get("i-twilio-idempotency-token"), user)
        if rest == ".json" and method == "GET":
            wanted = dict(parse_qsl(query.decode("latin-1"))).get("To")
            listed = [m.resource() for m in self.messages if wanted in (None, m.to)]
            return 200, {"messages": listed, "page": 0, "page_size": len(listed)}, {}
        if rest.endswith(".json") and method == "GET":
            with self._lock:
                found = self._by_sid.get(rest[1:-5])
            return (200, found.resource(), {}) if found else _error(404, 20404)
        return _error(404, 20404)

    def _authenticate(self, authorization: str) -> str | None:
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, secret = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return None
        if user == self.account_sid and secret == self.auth_token:
            return user
        if user in self.api_keys and self.api_keys[user] == secret:
            return user
        return None

    def _create(
        self, form: dict[str, str], key: str | None, user: str
    ) -> tuple[int, Any, dict[str, str]]:
        to = form.get("To", "")
        sender = form.get("From") or None
        service = form.get("MessagingServiceSid") or None
        with self._lock:
            if key is not None and key in self._by_key:
                return 201, self._by_key[key].resource(), {}
            if self._next:
                failure = self._next.pop(0)
                extra = {"Retry-After": failure.retry_after} if failure.retry_after else {}
                return _error(failure.status, failure.code, extra)
            if not to:
                return _error(400, 21604)
            if not sender and not service:
                return _error(400, 21603)
            if not form.get("Body"):
                return _error(400, 21602)
            if to in self._numbers:
                failure = self._numbers[to]
                return _error(failure.status, failure.code)
            message = FakeMessage(
                sid=f"SM{uuid.uuid4().hex}",
                to=to,
                sender=sender,
                messaging_service_sid=service,
                body=form["Body"],
                status_callback=form.get("StatusCallback") or None,
                idempotency_key=key,
                auth_user=user,
                created_at=dt.datetime.now(dt.UTC),
            )
            self._messages.append(message)
            self._by_sid[message.sid] = message
            if key is not None:
                self._by_key[key] = message
            return 201, message.resource(), {}


def _error(
    status: int, code: int, extra: dict[str, str] | None = None
) -> tuple[int, Any, dict[str, str]]:
    body = {
        "code": code,
        "message": _ERROR_TEXT.get(code, "Error"),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return status, body, extra or {}


@contextmanager
def serve_asgi(app: Any) -> Iterator[str]:
    """Serve any ASGI ``app`` with uvicorn on 127.0.0.1 and a free port; yields its base URL."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,  # through the config: uvicorn serves a socket handed to it far slower
        lifespan="off",
        log_level="error",
        access_log=False,
        ws="none",
        http="h11",
        loop="asyncio",
        backlog=2048,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="fake-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the fake server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def serve(fake: FakeTwilio | None = None) -> Iterator[FakeTwilio]:
    """Run the fake on 127.0.0.1 and a free port, in a thread, for the duration of the block.

    The server shares this process (and its GIL) with the client: fine for tests. For
    throughput, :func:`spawn` runs it in a process of its own.
    """
    fake = fake or FakeTwilio()
    with serve_asgi(fake) as base_url:
        fake.base_url = base_url
        yield fake


@dataclass
class SpawnedFake:
    """A fake running in another process: steer it over HTTP (``/_fake/stats``, reset)."""

    base_url: str
    process: subprocess.Popen[str]

    def _client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=30)

    def stats(self) -> dict[str, int]:
        with self._client() as client:
            answer: dict[str, int] = client.get("/_fake/stats").json()
            return answer

    def reset(self) -> None:
        with self._client() as client:
            client.post("/_fake/reset").raise_for_status()


@contextmanager
def spawn() -> Iterator[SpawnedFake]:
    """Run the fake in a child process (its own GIL): for benchmarks. Ends with the block."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)])}
    process = subprocess.Popen(  # the child exits when its standard input closes
        [sys.executable, "-m", "tests.fakes.twilio_server"],
        cwd=root,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        if not base_url.startswith("http://"):
            raise RuntimeError("the fake Twilio server did not start")
        yield SpawnedFake(base_url, process)
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def main() -> None:
    """``python -m tests.fakes.twilio_server``: print the base URL, serve until stdin closes."""
    parser = argparse.ArgumentParser(description="Serve the fake Twilio Messages API.")
    parser.parse_args()
    with serve() as fake:
        print(fake.base_url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
