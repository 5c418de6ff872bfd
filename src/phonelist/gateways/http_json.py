"""A generic HTTP/JSON gateway, for providers or in-house relays that speak plain JSON.

Send: ``POST {url}`` with ``Authorization: Bearer <token>``, ``Idempotency-Key: <key>`` and::

    {"to": "+14155550100", "from": "+14155550199", "body": "...",
     "idempotency_key": "...", "status_callback": "https://..."}

A 2xx answers ``{"id": "<provider ref>", "status": "queued"}`` (``status`` optional). Errors
answer a 4xx/5xx with ``{"code": "<provider code>", "message": "..."}``; 429 and 5xx are
retryable and ``Retry-After`` is honoured; the codes in ``opt_out_codes`` (default ``opted_out``
and ``21610``) mean the recipient opted out (O7).

Webhooks are JSON bodies signed with ``X-Phonelist-Signature`` (see
:mod:`phonelist.gateways.signatures`): a status callback is
``{"id": ..., "status": "delivered", "error_code": null, "to": ..., "from": ...}`` and an inbound
message ``{"id": ..., "from": ..., "to": ..., "body": ...}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from phonelist.errors import ConfigError
from phonelist.gateways.base import (
    STATUSES,
    DeliveryReport,
    GatewayError,
    InboundSms,
    InvalidSignature,
    Outbound,
    SendResult,
    WebhookRejected,
)
from phonelist.gateways.signatures import (
    DEFAULT_TOLERANCE,
    PHONELIST_SIGNATURE_HEADER,
    header,
    verify_hmac,
)
from phonelist.gateways.transport import post
from phonelist.gateways.twilio import parse_retry_after

__all__ = ["DEFAULT_OPT_OUT_CODES", "HttpJsonGateway"]

DEFAULT_OPT_OUT_CODES = frozenset({"opted_out", "21610"})
_MAX_FIELD = 2000


class HttpJsonGateway:
    """POSTs JSON to one URL with a bearer token over a pooled httpx client."""

    name = "http_json"

    def __init__(
        self,
        url: str,
        token: str,
        *,
        sender: str | None = None,
        signing_secret: str | None = None,
        status_callback: str | None = None,
        opt_out_codes: Iterable[str] = DEFAULT_OPT_OUT_CODES,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        max_connections: int = 100,
        tolerance: float = DEFAULT_TOLERANCE,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not url or not token:
            raise ConfigError("the HTTP/JSON gateway needs a URL and a token")
        self.url = url
        self.sender = sender
        self.status_callback = status_callback
        self.opt_out_codes = frozenset(opt_out_codes)
        self.tolerance = tolerance
        self._signing_secret = signing_secret
        limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            limits=limits,
            transport=transport,
            headers={
                "Accept": "application/json",
                "Authorization": f"Bearer {token}",
                "User-Agent": "phonelist",
            },
        )

    def __repr__(self) -> str:  # no token, no secret
        return f"HttpJsonGateway(url={self.url!r})"

    def __enter__(self) -> HttpJsonGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def send(self, message: Outbound) -> SendResult:
        payload = {
            "to": message.to,
            "from": message.sender or self.sender,
            "body": message.body,
            "idempotency_key": message.idempotency_key,
            "status_callback": message.status_callback or self.status_callback,
        }
        headers = {"Idempotency-Key": message.idempotency_key} if message.idempotency_key else {}
        response = post(self._client, self.url, "the gateway", json=payload, headers=headers)
        if 200 <= response.status_code < 300:
            body = _json_object(response.content)
            ref = body.get("id") if body else None
            if not isinstance(ref, str | int) or isinstance(ref, bool) or ref == "":
                raise GatewayError(
                    "the gateway accepted the message but its answer has no id",
                    ambiguous=True,
                    category="unavailable",
                    http_status=response.status_code,
                )
            status = body.get("status") if body else None
            return SendResult(
                provider_ref=str(ref), status=status if status in STATUSES else "queued"
            )
        raise self._error_for(response)

    def _error_for(self, response: httpx.Response) -> GatewayError:
        body = _json_object(response.content) or {}
        raw = body.get("code")
        code = str(raw)[:50] if isinstance(raw, str | int) and raw != "" else None
        status = response.status_code
        opt_out = code in self.opt_out_codes
        if status == 429:
            category, retryable = "rate_limited", True
        elif status >= 500:
            category, retryable = "unavailable", True
        elif status in (401, 403):
            category, retryable = "auth", False
        else:
            category, retryable = ("opt_out" if opt_out else "rejected"), False
        return GatewayError(
            f"the gateway answered {status}" + (f" (error {code})" if code else ""),
            provider_code=code,
            retryable=retryable,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            ambiguous=status >= 500,
            opt_out=opt_out,
            category=category,
            http_status=status,
        )

    # -- webhooks ---------------------------------------------------------------------------

    def verify_webhook(self, url: str, headers: Mapping[str, str], body: bytes, now: float) -> None:
        """Raise :class:`InvalidSignature` unless the body is signed and recent (``url`` unused)."""
        if not self._signing_secret:
            raise ConfigError("verifying HTTP/JSON webhooks needs a signing secret")
        signature = header(headers, PHONELIST_SIGNATURE_HEADER)
        if not verify_hmac(self._signing_secret, body, signature, now, self.tolerance):
            raise InvalidSignature("the request is not signed by the gateway, or is too old")

    def parse_delivery_report(self, body: bytes) -> DeliveryReport:
        data = _webhook(body)
        status = _required(data, "status").lower()
        if status not in STATUSES:
            raise WebhookRejected(f"unknown status {status[:30]!r}", field="status")
        error = _text(data, "error_code")
        return DeliveryReport(
            provider_ref=_required(data, "id"),
            status=status,
            provider_status=status,
            error_code=error,
            to=_text(data, "to"),
            sender=_text(data, "from"),
            opt_out=error in self.opt_out_codes,
        )

    def parse_inbound(self, body: bytes) -> InboundSms:
        data = _webhook(body)
        return InboundSms(
            provider_ref=_required(data, "id"),
            sender=_required(data, "from"),
            to=_required(data, "to"),
            body=_text(data, "body") or "",
        )


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _webhook(body: bytes) -> dict[str, Any]:
    data = _json_object(body)
    if data is None:
        raise WebhookRejected("the webhook body is not a JSON object")
    return data


def _text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()[:_MAX_FIELD]
    return None


def _required(data: dict[str, Any], name: str) -> str:
    value = _text(data, name)
    if value is None:
        raise WebhookRejected(f"the webhook has no {name}", field=name)
    return value
