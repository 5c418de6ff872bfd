"""Twilio Programmable Messaging as a :class:`~phonelist.gateways.base.Gateway`.

``POST {base_url}/2010-04-01/Accounts/{AccountSid}/Messages.json`` with the form fields ``To``,
``From`` (or ``MessagingServiceSid``), ``Body`` and ``StatusCallback``, HTTP basic auth (account
SID and auth token, or an API key SID and secret). A 201 answers the Message resource
(``{"sid": "SM...", "status": "queued", ...}``); errors answer
``{"code": 21610, "message": "...", "more_info": "...", "status": 400}``.

This module is the boundary where httpx's exceptions and Twilio's answers become
:class:`~phonelist.gateways.base.GatewayError`; docs/gateways.md has the error-code table.
Webhooks (status callbacks and inbound messages) are form posts signed with
``X-Twilio-Signature`` using the account's auth token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote

import httpx

from phonelist.errors import ConfigError
from phonelist.gateways.base import (
    DeliveryReport,
    GatewayError,
    InboundSms,
    InvalidSignature,
    Outbound,
    SendResult,
    WebhookRejected,
)
from phonelist.gateways.signatures import (
    TWILIO_SIGNATURE_HEADER,
    header,
    verify_twilio,
    verify_twilio_json,
)
from phonelist.gateways.transport import post

__all__ = [
    "DEFAULT_BASE_URL",
    "IDEMPOTENCY_HEADER",
    "TWILIO_ERRORS",
    "TWILIO_OPT_OUT_CODES",
    "TwilioGateway",
    "parse_delivery_report",
    "parse_inbound",
    "parse_retry_after",
]

DEFAULT_BASE_URL = "https://api.twilio.com"
# Twilio documents this header on the webhooks it sends (so receivers can drop its retries); it
# documents no idempotency key for Messages create. We send our key in it anyway: the local fake
# honours it, the real service may ignore it (docs/gateways.md, "Idempotency").
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
# O7: the recipient replied STOP to this sender; mirrored by suppression.PROVIDER_OPT_OUT_CODES.
TWILIO_OPT_OUT_CODES = frozenset({"21610"})

# Twilio error code -> (category, retryable). Codes not listed: by HTTP status.
TWILIO_ERRORS: dict[str, tuple[str, bool]] = {
    "21610": ("opt_out", False),  # attempt to send to an unsubscribed recipient
    "21211": ("invalid_number", False),  # invalid 'To' phone number
    "21217": ("invalid_number", False),  # phone number does not appear to be valid
    "21265": ("invalid_number", False),  # 'To' number cannot be a short code
    "21614": ("not_mobile", False),  # 'To' number is not a valid mobile number
    "21612": ("unreachable", False),  # 'To' number is not currently reachable via SMS
    "21408": ("config", False),  # permission to send to this region is not enabled
    "21606": ("config", False),  # 'From' is not a message-capable Twilio number
    "21659": ("config", False),  # 'From' is not a Twilio number / not verified
    "21603": ("config", False),  # 'From' is required
    "21604": ("rejected", False),  # 'To' is required
    "21602": ("rejected", False),  # message body is required
    "21617": ("rejected", False),  # body exceeds the 1600 character limit
    "30007": ("rejected", False),  # carrier filtering (usually in a status callback)
    "20003": ("auth", False),  # authentication failed
    "20404": ("config", False),  # resource not found: wrong account SID or base URL
    "20429": ("rate_limited", True),  # too many requests
    "20500": ("unavailable", True),  # internal server error
    "20503": ("unavailable", True),  # service unavailable
}

# Twilio's MessageStatus -> the outbox's word (base.STATUSES).
_STATUSES = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "sending",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",  # WhatsApp/RCS: read implies delivered
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "failed",
}
_MAX_RETRY_AFTER = 3600.0


class TwilioGateway:
    """Twilio's Messages API over one pooled httpx client. Close it when done."""

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str | None = None,
        *,
        api_key_sid: str | None = None,
        api_key_secret: str | None = None,
        sender: str | None = None,
        messaging_service_sid: str | None = None,
        status_callback: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        max_connections: int = 100,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not account_sid:
            raise ConfigError("the Twilio gateway needs an account SID")
        if api_key_sid or api_key_secret:
            if not (api_key_sid and api_key_secret):
                raise ConfigError("a Twilio API key needs both its SID and its secret")
            auth = (api_key_sid, api_key_secret)
        elif auth_token:
            auth = (account_sid, auth_token)
        else:
            raise ConfigError("the Twilio gateway needs an auth token or an API key")
        if not sender and not messaging_service_sid:
            raise ConfigError("the Twilio gateway needs a sender number or a messaging service")
        self.account_sid = account_sid
        self.sender = sender
        self.messaging_service_sid = messaging_service_sid
        self.status_callback = status_callback
        self._auth_token = auth_token  # signs webhooks; None: webhooks cannot be verified
        self._path = f"/2010-04-01/Accounts/{quote(account_sid, safe='')}/Messages.json"
        limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            auth=auth,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            limits=limits,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "phonelist"},
        )

    def __repr__(self) -> str:  # no token, no secret
        return f"TwilioGateway(account_sid={self.account_sid!r})"

    def __enter__(self) -> TwilioGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def send(self, message: Outbound) -> SendResult:
        form = {"To": message.to, "Body": message.body}
        if message.sender:
            form["From"] = message.sender
        elif self.messaging_service_sid:
            form["MessagingServiceSid"] = self.messaging_service_sid
        elif self.sender:
            form["From"] = self.sender
        callback = message.status_callback or self.status_callback
        if callback:
            form["StatusCallback"] = callback
        headers = {IDEMPOTENCY_HEADER: message.idempotency_key} if message.idempotency_key else {}
        response = post(self._client, self._path, "Twilio", data=form, headers=headers)
        if response.status_code in (200, 201):
            return _result(response)
        raise _error_for(response)

    # -- webhooks ---------------------------------------------------------------------------

    def verify_webhook(self, url: str, headers: Mapping[str, str], body: bytes, now: float) -> None:
        """Raise :class:`InvalidSignature` unless ``X-Twilio-Signature`` signs this request.

        ``now`` is unused: Twilio's scheme has no timestamp, so a captured request could be
        replayed; status updates and inbound messages are deduplicated by their SIDs instead.
        """
        if not self._auth_token:
            raise ConfigError("verifying Twilio webhooks needs the account's auth token")
        signature = header(headers, TWILIO_SIGNATURE_HEADER)
        if "bodySHA256=" in url:
            valid = verify_twilio_json(self._auth_token, url, body, signature)
        else:
            valid = verify_twilio(self._auth_token, url, _form(body), signature)
        if not valid:
            raise InvalidSignature("the request is not signed by Twilio")

    def parse_delivery_report(self, body: bytes) -> DeliveryReport:
        return parse_delivery_report(dict(_form(body)))

    def parse_inbound(self, body: bytes) -> InboundSms:
        return parse_inbound(dict(_form(body)))


def _form(body: bytes) -> list[tuple[str, str]]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WebhookRejected("the webhook body is not UTF-8") from exc
    return parse_qsl(text, keep_blank_values=True)


def _required(form: Mapping[str, str], name: str) -> str:
    value = form.get(name, "").strip()
    if not value:
        raise WebhookRejected(f"the webhook has no {name}", field=name)
    return value


def parse_delivery_report(form: Mapping[str, str]) -> DeliveryReport:
    """A Twilio status callback (``MessageSid``, ``MessageStatus``, ``ErrorCode``, ...)."""
    sid = _required(form, "MessageSid")
    provider_status = _required(form, "MessageStatus").lower()
    status = _STATUSES.get(provider_status)
    if status is None:
        raise WebhookRejected(f"unknown Twilio message status {provider_status[:30]!r}")
    error = form.get("ErrorCode", "").strip() or None
    return DeliveryReport(
        provider_ref=sid,
        status=status,
        provider_status=provider_status,
        error_code=error,
        to=form.get("To") or None,
        sender=form.get("From") or None,
        opt_out=error in TWILIO_OPT_OUT_CODES,
    )


def parse_inbound(form: Mapping[str, str]) -> InboundSms:
    """A message someone sent to one of our Twilio numbers (``MessageSid``, ``From``, ...)."""
    segments = form.get("NumSegments", "")
    return InboundSms(
        provider_ref=_required(form, "MessageSid"),
        sender=_required(form, "From"),
        to=_required(form, "To"),
        body=form.get("Body", ""),
        segments=int(segments) if segments.isdigit() else None,
    )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _result(response: httpx.Response) -> SendResult:
    body = _json(response)
    sid = body.get("sid")
    if not isinstance(sid, str) or not sid:
        # accepted (2xx) but unreadable: it may well be sent; do not send again blindly
        raise GatewayError(
            "Twilio accepted the message but its answer has no sid",
            ambiguous=True,
            category="unavailable",
            http_status=response.status_code,
        )
    status = body.get("status")
    return SendResult(provider_ref=sid, status=_STATUSES.get(str(status).lower(), "queued"))


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (seconds form only), capped at an hour."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None  # the HTTP-date form: let the caller's backoff decide
    if seconds != seconds or seconds < 0:  # NaN or negative
        return None
    return min(seconds, _MAX_RETRY_AFTER)


def _error_for(response: httpx.Response) -> GatewayError:
    body = _json(response)
    raw_code = body.get("code")
    code = str(raw_code) if isinstance(raw_code, int | str) and raw_code != "" else None
    status = response.status_code
    # Twilio's own message text can quote the number: only the status and code are kept
    detail = f"Twilio answered {status}" + (f" (error {code})" if code else "")
    known = TWILIO_ERRORS.get(code or "")
    if status == 429 or code == "20429":
        category, retryable = "rate_limited", True
    elif status >= 500:
        category, retryable = "unavailable", True
    elif status in (401, 403):
        category, retryable = "auth", False
    elif known is not None:
        category, retryable = known
    else:
        category, retryable = "rejected", False
    return GatewayError(
        detail,
        provider_code=code,
        retryable=retryable,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
        ambiguous=status >= 500,  # Twilio may have queued it before failing
        opt_out=code in TWILIO_OPT_OUT_CODES,
        category=category,
        http_status=status,
    )
