"""The public form's guard against SMS pumping: limits, allowed countries, a challenge.

SMS pumping (toll fraud) is a bot typing premium or foreign numbers into a form that sends an
SMS, to earn a share of the termination fees. The guard stops it before anything is sent:

- **allowed countries**: a form accepts numbers of the countries it names, and refuses any
  other before a message is queued (:func:`country_of`, :func:`country_allowed`);
- **rate limits**: sliding windows per client IP and per number (:class:`SlidingWindows`);
- **a challenge after N attempts** from one IP: a small sum to solve, self-hosted, with a
  honeypot field and a minimum time to fill the form (:func:`new_challenge`).

Everything here is pure but for :class:`SlidingWindows`, a small in-memory store keyed by a
keyed hash (never a raw IP address or number). Like the sign-in throttle it lives in the
process: several ``serve`` processes each keep their own windows, so the limits multiply by
the number of processes (docs/optin-form.md).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections import deque
from dataclasses import dataclass
from threading import Lock

import phonenumbers

__all__ = [
    "Challenge",
    "Limits",
    "PumpingGuard",
    "SlidingWindows",
    "Verdict",
    "country_allowed",
    "country_of",
    "new_challenge",
]


@dataclass(frozen=True, slots=True)
class Limits:
    """How many submissions are allowed; the defaults suit a small business's form."""

    per_ip: int = 10  # submissions from one IP address ...
    ip_window: float = 3600.0  # ... per hour
    per_number: int = 3  # confirmation requests to one number ...
    number_window: float = 86_400.0  # ... per day
    challenge_after: int = 3  # attempts from one IP in ip_window before a challenge
    min_fill_seconds: float = 2.0  # a form filled faster than this was filled by a bot


@dataclass(frozen=True, slots=True)
class Verdict:
    """The guard's answer: ``allowed``, or which limit refused and when to retry."""

    allowed: bool
    limit: str | None = None  # "ip" | "number"
    retry_after: int = 0


class SlidingWindows:
    """Counts of events per key in the last ``window`` seconds, kept in memory."""

    def __init__(self, window: float, *, max_keys: int = 50_000) -> None:
        self.window = window
        self.max_keys = max_keys
        self._events: dict[str, deque[float]] = {}
        self._lock = Lock()

    def count(self, key: str, now: float) -> int:
        with self._lock:
            return len(self._trimmed(key, now))

    def add(self, key: str, now: float) -> None:
        with self._lock:
            self._trimmed(key, now).append(now)
            if len(self._events) > self.max_keys:
                self._forget_idle(now)

    def retry_after(self, key: str, now: float) -> int:
        """Seconds until the oldest counted event leaves the window."""
        with self._lock:
            events = self._trimmed(key, now)
            return max(1, math.ceil(events[0] + self.window - now)) if events else 0

    def _trimmed(self, key: str, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def _forget_idle(self, now: float) -> None:
        idle = [k for k, v in self._events.items() if not v or v[-1] <= now - self.window]
        for key in idle:
            del self._events[key]


class PumpingGuard:
    """Rate limits per IP and per number, and when an IP must solve a challenge.

    Keys are HMACs of the IP address and the number under ``secret``: the windows hold no
    personal data in the clear.
    """

    def __init__(self, secret: bytes, limits: Limits | None = None) -> None:
        self.secret = secret
        self.limits = limits or Limits()
        self.ips = SlidingWindows(self.limits.ip_window)
        self.numbers = SlidingWindows(self.limits.number_window)

    def _key(self, kind: str, value: str) -> str:
        return hmac.new(self.secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()

    def needs_challenge(self, form_id: str, ip: str, now: float) -> bool:
        """An IP that already tried ``challenge_after`` times in the window must solve one."""
        key = self._key("ip", f"{form_id}:{ip}")
        return self.ips.count(key, now) >= self.limits.challenge_after

    def hit(self, form_id: str, ip: str, now: float) -> Verdict:
        """Count one attempt from ``ip`` on a form, unless it is over the limit already."""
        key = self._key("ip", f"{form_id}:{ip}")
        if self.ips.count(key, now) >= self.limits.per_ip:
            return Verdict(False, "ip", self.ips.retry_after(key, now))
        self.ips.add(key, now)
        return Verdict(True)

    def check_number(self, e164: str, now: float) -> Verdict:
        """Whether one more confirmation request may go to ``e164`` (counted by :meth:`sent`)."""
        key = self._key("number", e164)
        if self.numbers.count(key, now) >= self.limits.per_number:
            return Verdict(False, "number", self.numbers.retry_after(key, now))
        return Verdict(True)

    def sent(self, e164: str, now: float) -> None:
        """Count a confirmation request sent to ``e164`` (across every form)."""
        self.numbers.add(self._key("number", e164), now)


def country_of(e164: str) -> str | None:
    """The ISO 3166 region of a number in E.164, or None when it has none (+800 etc.)."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.region_code_for_number(parsed)


def country_allowed(e164: str, allowed: tuple[str, ...] | list[str]) -> bool:
    """Whether the number belongs to one of the ``allowed`` countries (never when none)."""
    region = country_of(e164)
    return region is not None and region in allowed


@dataclass(frozen=True, slots=True)
class Challenge:
    question: str
    answer: str


def new_challenge() -> Challenge:
    """A sum of two small numbers, asked in words a screen reader reads well."""
    left, right = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    return Challenge(f"What is {left} plus {right}?", str(left + right))
