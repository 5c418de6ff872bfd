"""The worker loop: rounds of :meth:`Dispatcher.run_once` until told to stop.

``phonelist worker`` runs one in the foreground; ``phonelist serve`` runs one in a daemon
thread (:class:`WorkerThread`; on SQLite by default). Stopping lets the message being sent
finish, releases the rest of the claim (back to ``queued``) and commits: nothing is lost, and a
worker killed instead is covered by its lease (docs/dispatch.md).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable

from phonelist.clock import utcnow
from phonelist.config import Settings
from phonelist.dispatch.dispatcher import Counts, Dispatcher
from phonelist.dispatch.service import DispatchService
from phonelist.errors import PhonelistError

__all__ = ["Worker", "WorkerThread", "embedded_worker"]

log = logging.getLogger("phonelist.dispatch")


class Worker:
    def __init__(
        self,
        dispatcher: Dispatcher,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        on_round: Callable[[Counts, Counts], None] | None = None,
    ) -> None:
        self.dispatcher = dispatcher
        self.clock = clock
        self.on_round = on_round  # (this round, the total so far)
        self.total = Counts()
        self._stop = threading.Event()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        """Finish the message in flight, release the rest of the claim, then return."""
        self._stop.set()
        self.dispatcher.stopping.set()

    def run(self, *, once: bool = False) -> Counts:
        """Rounds until stopped; ``once``: until nothing is due (what was due when it ran)."""
        try:
            while not self._stop.is_set():
                try:
                    counts = self.dispatcher.run_once(self.clock())
                except PhonelistError as exc:  # the store is busy or down: try again soon
                    log.error("dispatch round failed: %s", exc.code)
                    counts = Counts()
                    if once:
                        raise
                self.total.add(counts)
                if self.on_round is not None:
                    self.on_round(counts, self.total)
                if counts.claimed == 0:
                    if once:
                        break
                    self._stop.wait(self.dispatcher.settings.poll_seconds)
        finally:
            self.dispatcher.close()
        return self.total


class WorkerThread:
    """A worker in a daemon thread, for ``phonelist serve``."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.worker = Worker(dispatcher)
        self._thread = threading.Thread(target=self._run, name="phonelist-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self.worker.stop()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)

    def _run(self) -> None:
        try:
            self.worker.run()
        except Exception:  # never take the server down; the lease covers a dead worker
            log.exception("the embedded worker stopped")


def embedded_worker(service: DispatchService, settings: Settings) -> WorkerThread | None:
    """Start ``phonelist serve``'s worker thread, unless ``worker_embedded`` says not to.

    ``auto`` (the default): on SQLite only, where one process should own the writes; on
    PostgreSQL, run ``phonelist worker`` processes instead (as many as you like).
    """
    mode = settings.worker_embedded
    if mode == "off" or (mode == "auto" and not settings.is_sqlite):
        return None
    thread = WorkerThread(service.dispatcher(worker_id=f"serve-{uuid.uuid4().hex[:12]}"))
    thread.start()
    return thread
