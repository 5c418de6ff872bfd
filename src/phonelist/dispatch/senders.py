"""Sends in child processes: for gateways whose client costs more CPU than one core gives.

An HTTP client in Python spends about a millisecond of CPU on each request, all of it under
the worker's GIL, next to the worker's own database work. :class:`ProcessSenders` runs the
gateway in ``processes`` child processes instead (each builds its own gateway from a
picklable ``factory``, e.g. ``functools.partial(build_gateway, gateway_settings)``), so the
sends of a round run in parallel with each other on every core. The worker keeps the claim,
the locks, the check and the status updates: only ``Gateway.send`` moves.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from phonelist.gateways import Gateway, GatewayError, Outbound, SendResult

__all__ = ["ProcessSenders"]

_gateway: Gateway | None = None


def _start(factory: Callable[[], Gateway]) -> None:
    global _gateway
    _gateway = factory()


def _send(message: Outbound) -> tuple[Any, ...]:
    assert _gateway is not None
    try:
        result = _gateway.send(message)
    except GatewayError as exc:
        fields = {
            "provider_code": exc.provider_code,
            "retryable": exc.retryable,
            "retry_after": exc.retry_after,
            "ambiguous": exc.ambiguous,
            "opt_out": exc.opt_out,
            "category": exc.category,
            "http_status": exc.http_status,
        }
        return ("error", str(exc), fields)
    except Exception as exc:  # unmapped: retried under the same key, never lost
        return ("error", f"unexpected {type(exc).__name__}", {"retryable": True, "ambiguous": True})
    return ("ok", result.provider_ref, result.status)


class ProcessSenders:
    def __init__(self, factory: Callable[[], Gateway], processes: int) -> None:
        self._pool = ProcessPoolExecutor(
            processes,
            mp_context=multiprocessing.get_context("spawn"),  # no fork of a threaded process
            initializer=_start,
            initargs=(factory,),
        )
        self.processes = processes

    def send_many(self, messages: Sequence[Outbound]) -> list[SendResult | GatewayError]:
        chunk = max(1, len(messages) // (self.processes * 4))
        out: list[SendResult | GatewayError] = []
        for answer in self._pool.map(_send, messages, chunksize=chunk):
            if answer[0] == "ok":
                out.append(SendResult(provider_ref=answer[1], status=answer[2]))
            else:
                out.append(GatewayError(answer[1], **answer[2]))
        return out

    def close(self) -> None:
        self._pool.shutdown(wait=True)
