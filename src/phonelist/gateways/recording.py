"""A gateway that sends nothing and remembers everything: the default until a provider is set."""

from __future__ import annotations

import threading

from phonelist.gateways.base import GatewayError, Outbound, SendResult

__all__ = ["RecordingGateway"]


class RecordingGateway:
    """Keeps every message in ``sent``; ``fail_with`` makes the next sends raise (for tests)."""

    name = "recording"

    def __init__(self) -> None:
        self.sent: list[Outbound] = []
        self.fail_with: str | None = None
        self._lock = threading.Lock()

    def send(self, message: Outbound) -> SendResult:
        with self._lock:
            if self.fail_with is not None:
                raise GatewayError(
                    "the recording gateway was told to fail", provider_code=self.fail_with
                )
            self.sent.append(message)
            return SendResult(provider_ref=f"rec-{len(self.sent)}")
