"""Token buckets: at most ``rate`` messages a second, bursts of at most ``burst``.

One bucket per gateway (the provider's limit) and one per campaign with a ``rate_limit``. A
bucket lives in one worker process: with several workers, give each a share of the limit
(docs/dispatch.md, "Rate limits").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["TokenBucket"]


class TokenBucket:
    """Thread-safe; ``acquire`` blocks until a token is free. ``rate`` <= 0: no limit."""

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.burst = max(1.0, burst if burst is not None else rate)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._last = clock()
        self._lock = threading.Lock()

    def _wait(self) -> float:
        """Take a token if one is free (0.0), or say how long until one is."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / self.rate

    def acquire(self) -> None:
        if self.rate <= 0:
            return
        while (wait := self._wait()) > 0:
            self._sleep(wait)
