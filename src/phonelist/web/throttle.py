"""A per-client limit on sign-in attempts: a sliding window in memory, per IP address.

It slows down guessing across many accounts from one address; the per-account lockout
(:mod:`phonelist.security.users`) stops guessing at one account from many. Kept in the process:
several ``serve`` processes each keep their own window.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from threading import Lock

__all__ = ["SignInThrottle"]


class SignInThrottle:
    """At most ``limit`` attempts per client in any ``window`` seconds."""

    def __init__(
        self,
        limit: int = 20,
        window: float = 300.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 10_000,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.max_clients = max_clients
        self._attempts: dict[str, deque[float]] = {}
        self._lock = Lock()

    def hit(self, client: str) -> int | None:
        """Count one attempt; None if allowed, else the seconds to wait (for Retry-After)."""
        now = self.clock()
        with self._lock:
            attempts = self._attempts.setdefault(client, deque())
            while attempts and attempts[0] <= now - self.window:
                attempts.popleft()
            if len(attempts) >= self.limit:
                return max(1, math.ceil(attempts[0] + self.window - now))
            attempts.append(now)
            if len(self._attempts) > self.max_clients:
                self._forget_idle(now)
            return None

    def _forget_idle(self, now: float) -> None:
        idle = [k for k, v in self._attempts.items() if not v or v[-1] <= now - self.window]
        for key in idle:
            del self._attempts[key]
