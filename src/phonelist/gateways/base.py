"""The one interface every outbound path uses, so tests and providers are interchangeable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from phonelist.errors import PhonelistError

__all__ = ["Gateway", "GatewayError", "Outbound", "SendResult"]


class GatewayError(PhonelistError):
    """The provider refused or failed a send; ``provider_code`` is its own error code."""

    code = "gateway_error"
    status = 502
    exit_code = 9  # like the store: a service phonelist depends on failed

    def __init__(self, message: str, *, provider_code: str | None = None) -> None:
        super().__init__(message, details={"provider_code": provider_code})
        self.provider_code = provider_code


@dataclass(frozen=True, slots=True)
class Outbound:
    to: str  # E.164
    body: str
    sender: str | None = None  # our number or sender id; None: the gateway's default
    kind: str = "reply"  # opt_out_confirmation, help, opt_in_confirmation, double_opt_in, ...


@dataclass(frozen=True, slots=True)
class SendResult:
    provider_ref: str | None
    status: str = "sent"


class Gateway(Protocol):
    name: str

    def send(self, message: Outbound) -> SendResult:
        """Hand ``message`` to the provider; raise :class:`GatewayError` when it is refused."""
        ...
