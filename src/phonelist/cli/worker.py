"""``phonelist worker``: send what the outbox holds, until stopped (docs/dispatch.md)."""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Annotated

import typer
from rich.text import Text

from phonelist.cli.context import open_core
from phonelist.cli.output import emit_json, guarded, stderr
from phonelist.dispatch.dispatcher import Counts
from phonelist.dispatch.worker import Worker

__all__ = ["worker"]


@guarded
def worker(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="Send what is due now, then exit (cron, tests).")
    ] = False,
    batch: Annotated[
        int | None,
        typer.Option("--batch", min=1, max=10_000, metavar="N", help="Messages claimed per round."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="At exit, print the counts as JSON.")
    ] = False,
) -> None:
    """Run the dispatcher: claim due messages, check each with the policy engine right
    before sending, send through the gateway, retry what may succeed later.

    Several workers may run at once on PostgreSQL (on several hosts); on SQLite one is
    enough. SIGTERM or Ctrl-C: the message being sent finishes, the rest of the round is
    put back in the queue, and the worker exits.
    """
    with open_core(ctx) as core:
        dispatcher = core.dispatch.dispatcher(batch_size=batch)
        console = stderr()
        started = time.monotonic()

        def show(_: Counts, total: Counts) -> None:
            rate = total.sent / max(time.monotonic() - started, 1e-6)
            line = (
                f"sent {total.sent} ({rate:,.0f}/s) · cancelled {total.cancelled} · "
                f"deferred {total.deferred} · retried {total.retried} · failed {total.failed}"
            )
            status.update(Text(line))

        loop = Worker(dispatcher, on_round=show)

        def stop(signum: int, frame: FrameType | None) -> None:
            loop.stop()

        previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            with console.status("phonelist worker: waiting for messages") as status:
                total = loop.run(once=once)
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
    if as_json:
        emit_json({"worker": dispatcher.worker_id, **total.__dict__})
    else:
        console.print(
            f"phonelist worker: sent {total.sent}, cancelled {total.cancelled}, "
            f"deferred {total.deferred}, retried {total.retried}, failed {total.failed}"
        )
