"""A local fake of Twilio Lookup v2's HTTP API, served over real HTTP on 127.0.0.1.

It answers ``GET /v2/PhoneNumbers/{number}`` for the numbers in ``lines`` with the JSON shapes
of the real service, checks basic auth, records every request, and misbehaves on demand:
``fail_with`` makes the next answers an error status (with Twilio's error body), ``delay``
holds every answer back, ``garbage`` sends a body that is not JSON.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "fake-token"


@dataclass
class FakeTwilio:
    base_url: str = ""
    lines: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    fail_with: int | None = None
    delay: float = 0.0
    garbage: bool = False


def line(
    kind: str = "mobile",
    carrier: str | None = "Fake Mobile",
    status: str | None = "active",
    reassigned: str | None = "no",
    valid: bool = True,
) -> dict[str, Any]:
    """What the fake knows about one number."""
    return {"type": kind, "carrier": carrier, "status": status, "reassigned": reassigned,
            "valid": valid}  # fmt: skip


def _answer(
    number: str, known: dict[str, Any], fields: list[str], verified: str | None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "calling_country_code": "1",
        "country_code": "US",
        "phone_number": number,
        "national_format": number,
        "valid": known["valid"],
        "validation_errors": [] if known["valid"] else ["NOT_A_NUMBER"],
        "caller_name": None,
        "sim_swap": None,
        "call_forwarding": None,
        "line_status": None,
        "line_type_intelligence": None,
        "identity_match": None,
        "reassigned_number": None,
        "sms_pumping_risk": None,
        "url": f"https://lookups.twilio.com/v2/PhoneNumbers/{number}",
    }
    if "line_type_intelligence" in fields:
        body["line_type_intelligence"] = {
            "mobile_country_code": "310",
            "mobile_network_code": "456",
            "carrier_name": known["carrier"],
            "type": known["type"],
            "error_code": None,
        }
    if "line_status" in fields:
        body["line_status"] = {"status": known["status"], "error_code": None}
    if "reassigned_number" in fields:
        body["reassigned_number"] = {
            "last_verified_date": verified,
            "is_number_reassigned": known["reassigned"],
            "error_code": None,
        }
    return body


def _handler(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            fake.requests.append(
                {"path": parts.path, "query": query, "auth": self.headers.get("Authorization")}
            )
            if fake.delay:
                time.sleep(fake.delay)
            expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
            if self.headers.get("Authorization") != f"Basic {expected}":
                return self._error(401, 20003, "Authenticate")
            if fake.fail_with is not None:
                code = 20429 if fake.fail_with == 429 else 20500
                return self._error(fake.fail_with, code, "Too Many Requests or an outage")
            if fake.garbage:
                return self._send(200, b"<html>not json</html>", "text/html")
            prefix = "/v2/PhoneNumbers/"
            number = unquote(parts.path[len(prefix) :]) if parts.path.startswith(prefix) else ""
            known = fake.lines.get(number)
            if known is None:
                return self._error(404, 20404, f"The requested resource {parts.path} was not found")
            fields = query.get("Fields", "").split(",")
            verified = query.get("LastVerifiedDate")
            if "reassigned_number" in fields and not verified:
                return self._error(400, 60617, "LastVerifiedDate is required")
            body = _answer(number, known, fields, verified)
            return self._send(200, json.dumps(body).encode(), "application/json")

        def _error(self, status: int, code: int, message: str) -> None:
            body = {"code": code, "message": message, "status": status,
                    "more_info": f"https://www.twilio.com/docs/errors/{code}"}  # fmt: skip
            headers = {"Retry-After": "30"} if status == 429 else {}
            self._send(status, json.dumps(body).encode(), "application/json", headers)

        def _send(
            self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)  # a client that timed out has gone

    return Handler


@contextmanager
def serve() -> Iterator[FakeTwilio]:
    """Run the fake on a random local port for the duration of the block."""
    fake = FakeTwilio()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
