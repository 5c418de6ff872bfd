"""The retention purge that ``phonelist serve`` runs in a daemon thread (COMPLIANCE.md P3)."""

from __future__ import annotations

import datetime as dt
import logging
import threading

from phonelist.clock import utcnow
from phonelist.errors import PhonelistError
from phonelist.privacy.retention import PurgeReport, RetentionService
from phonelist.security.permissions import Actor

__all__ = ["RetentionScheduler", "run_scheduled_purge"]

log = logging.getLogger("phonelist.retention")
CHECK_SECONDS = 600.0


def run_scheduled_purge(
    service: RetentionService, actor: Actor, *, now: dt.datetime, interval_hours: float
) -> PurgeReport | None:
    """Purge when the last purge (from the audit log) is older than the interval; else None."""
    if interval_hours <= 0:
        return None
    last = service.last_run(actor)
    if last is not None and now - last < dt.timedelta(hours=interval_hours):
        return None
    return service.run(actor, now=now)


class RetentionScheduler:
    """Every few minutes: a purge when the last one is older than the interval."""

    def __init__(self, service: RetentionService, actor: Actor, *, interval_hours: float) -> None:
        self.service = service
        self.actor = actor
        self.interval_hours = interval_hours
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="phonelist-retention", daemon=True)

    def start(self) -> None:
        if self.interval_hours > 0:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def tick(self) -> None:
        """One check; failures are logged (type and message, no personal data) and retried."""
        try:
            report = run_scheduled_purge(
                self.service, self.actor, now=utcnow(), interval_hours=self.interval_hours
            )
        except PhonelistError as exc:
            log.error("scheduled retention purge failed: %s", exc)
            return
        if report is not None:
            log.info("retention purge done: %s", report.counts)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(CHECK_SECONDS)
