"""The backup schedule that ``phonelist serve`` runs in a daemon thread."""

from __future__ import annotations

import logging
import threading

from phonelist.backup.service import BackupService, run_scheduled_backup
from phonelist.clock import utcnow
from phonelist.errors import PhonelistError
from phonelist.security.permissions import Actor

__all__ = ["BackupScheduler"]

log = logging.getLogger("phonelist.backup")
CHECK_SECONDS = 300.0


class BackupScheduler:
    """Every few minutes: a backup when the newest is older than the interval, then retention."""

    def __init__(
        self, service: BackupService, actor: Actor, *, interval_hours: float, keep: int
    ) -> None:
        self.service = service
        self.actor = actor
        self.interval_hours = interval_hours
        self.keep = keep
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="phonelist-backups", daemon=True)

    def start(self) -> None:
        if self.interval_hours > 0:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def tick(self) -> None:
        """One check; failures are logged (by type and message, no personal data) and retried."""
        try:
            made = run_scheduled_backup(
                self.service,
                self.actor,
                now=utcnow(),
                interval_hours=self.interval_hours,
                keep=self.keep,
            )
        except (PhonelistError, OSError) as exc:
            log.error("scheduled backup failed: %s", exc)
            return
        if made is not None:
            log.info("scheduled backup written: %s", made.path.name)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(CHECK_SECONDS)
