"""The one interface every outbound path uses, so tests and providers are interchangeable.

A :class:`Gateway` hands an :class:`Outbound` to a provider and answers a :class:`SendResult`, or
raises a :class:`GatewayError` that says whether trying again can help (``retryable``), how long
to wait (``retry_after``), whether the provider may have accepted the message anyway
(``ambiguous``) and whether it means the recipient opted out (``opt_out``, COMPLIANCE.md O7).

Gateways that receive webhooks (Twilio, HTTP/JSON) also verify them and turn them into a
:class:`DeliveryReport` (status callbacks) or an :class:`InboundSms` (replies): see
:class:`WebhookGateway`. A webhook that fails verification raises :class:`InvalidSignature`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from phonelist.errors import PhonelistError

__all__ = [
    "FINAL_STATUSES",
    "STATUSES",
    "DeliveryReport",
    "Gateway",
    "GatewayError",
    "InboundSms",
    "InvalidSignature",
    "Outbound",
    "SendResult",
    "WebhookGateway",
    "WebhookRejected",
    "close_gateway",
]

# The outbox's words for where a message is. Provider words are mapped onto these.
STATUSES = ("queued", "sending", "sent", "delivered", "undelivered", "failed")
FINAL_STATUSES = frozenset({"delivered", "undelivered", "failed"})


class GatewayError(PhonelistError):
    """The provider refused or failed a send; ``provider_code`` is its own error code.

    ``retryable``: the same message may succeed later (rate limit, outage, network).
    ``retry_after``: seconds the provider asked us to wait, when it said.
    ``ambiguous``: the request may have reached the provider, so it may have been sent: a retry
    is only safe where the provider honours the idempotency key (see docs/gateways.md).
    ``opt_out``: the provider says the recipient opted out (O7): suppress the number.
    ``category``: a provider-neutral reason (``opt_out``, ``invalid_number``, ``not_mobile``,
    ``unreachable``, ``rejected``, ``auth``, ``config``, ``rate_limited``, ``unavailable``).
    """

    code = "gateway_error"
    status = 502
    exit_code = 9  # like the store: a service phonelist depends on failed

    def __init__(
        self,
        message: str,
        *,
        provider_code: str | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        ambiguous: bool = False,
        opt_out: bool = False,
        category: str = "rejected",
        http_status: int | None = None,
    ) -> None:
        super().__init__(
            message,
            details={
                "provider_code": provider_code,
                "retryable": retryable,
                "retry_after": retry_after,
                "category": category,
                "http_status": http_status,
            },
        )
        self.provider_code = provider_code
        self.retryable = retryable
        self.retry_after = retry_after
        self.ambiguous = ambiguous
        self.opt_out = opt_out
        self.category = category
        self.http_status = http_status


class WebhookRejected(PhonelistError):
    """A webhook that cannot be used: unsigned, wrongly signed, stale, or malformed."""

    code = "webhook_rejected"
    status = 400
    exit_code = 5


class InvalidSignature(WebhookRejected):
    """The webhook's signature is missing, wrong, or too old: it did not come from the provider."""

    code = "invalid_signature"
    status = 403


@dataclass(frozen=True, slots=True)
class Outbound:
    to: str  # E.164
    body: str
    sender: str | None = None  # our number or sender id; None: the gateway's default
    kind: str = "reply"  # opt_out_confirmation, help, opt_in_confirmation, double_opt_in, ...
    # The outbox's key for this message: the same key is sent on every attempt, so a provider
    # that honours it sends once. Not every provider does (docs/gateways.md, "Idempotency").
    idempotency_key: str | None = None
    # Where the provider should report delivery; None: the gateway's configured default.
    status_callback: str | None = None


@dataclass(frozen=True, slots=True)
class SendResult:
    provider_ref: str | None
    status: str = "sent"  # one of STATUSES: what the provider said at hand-over


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """A provider's word on what became of a message we sent (a status callback)."""

    provider_ref: str
    status: str  # one of STATUSES
    provider_status: str  # the provider's own word, e.g. Twilio "accepted" or "read"
    error_code: str | None = None
    to: str | None = None
    sender: str | None = None
    opt_out: bool = False  # ``error_code`` means the recipient opted out (O7): suppress

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES


@dataclass(frozen=True, slots=True)
class InboundSms:
    """A message someone sent to one of our numbers."""

    provider_ref: str
    sender: str  # the person's number (E.164 as the provider wrote it)
    to: str  # our number
    body: str
    segments: int | None = None


class Gateway(Protocol):
    name: str

    def send(self, message: Outbound) -> SendResult:
        """Hand ``message`` to the provider; raise :class:`GatewayError` when it is refused."""
        ...


@runtime_checkable
class WebhookGateway(Protocol):
    """A gateway whose provider calls us back. Bodies are the raw request bytes."""

    name: str

    def verify_webhook(self, url: str, headers: Mapping[str, str], body: bytes, now: float) -> None:
        """Raise :class:`InvalidSignature` unless the request is signed by the provider.

        ``url`` is the full public URL the provider called (scheme, host, path and query, as
        configured at the provider, not as seen behind a proxy); ``now`` is Unix time.
        """
        ...

    def parse_delivery_report(self, body: bytes) -> DeliveryReport:
        """A verified status callback; raise :class:`WebhookRejected` when it is malformed."""
        ...

    def parse_inbound(self, body: bytes) -> InboundSms:
        """A verified inbound message; raise :class:`WebhookRejected` when it is malformed."""
        ...


def close_gateway(gateway: Gateway) -> None:
    """Release a gateway's connections, for those that hold any."""
    close = getattr(gateway, "close", None)
    if callable(close):
        close()
