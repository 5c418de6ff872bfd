"""The worker loop, ``phonelist worker``, the embedded worker and replies sent at once."""

from __future__ import annotations

import datetime as dt
import json
import threading

from typer.testing import CliRunner

from phonelist import Phonelist, Settings
from phonelist.cli.main import app
from phonelist.consent.commands import RequestOptIn
from phonelist.dispatch import enqueue
from phonelist.dispatch.dispatcher import Dispatcher, DispatchSettings
from phonelist.dispatch.senders import ProcessSenders
from phonelist.dispatch.worker import Worker, embedded_worker
from phonelist.gateways import GatewayError
from phonelist.security.permissions import Actor
from tests.consent.support import disclose
from tests.dispatch.support import (
    AT,
    Picky,
    Scripted,
    dispatcher,
    launch,
    message,
    number,
    populate,
    statuses,
)


def queue_help(core: Phonelist, count: int) -> None:
    """Replies: the policy does not re-check them, so any clock sends them."""
    with core.store.write() as session:
        for n in range(count):
            enqueue(
                session,
                core.keyring,
                1,
                e164=number(n),
                body="Acme: reply STOP to opt out",
                channel="sms",
                purpose="informational",
                kind="help",
                idempotency_key=f"help:{n}",
            )


def test_phonelist_worker_once_sends_what_is_due(core: Phonelist, settings: Settings) -> None:
    queue_help(core, 3)
    env = {
        "PHONELIST_DATA_DIR": str(settings.data_dir),
        "PHONELIST_DATABASE_URL": settings.database_url,
        "PHONELIST_CONFIG": None,
    }
    result = CliRunner().invoke(app, ["worker", "--once", "--batch", "2", "--json"], env=env)
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)
    assert (counts["sent"], counts["claimed"], counts["failed"]) == (3, 3, 0)
    assert statuses(core) == {"sent": 3}


def test_stopping_the_loop_finishes_the_round_and_releases_the_rest(core: Phonelist) -> None:
    people = populate(core, 6)
    launch(core, people)
    gateway = Scripted()
    worker = Worker(dispatcher(core, gateway, threads=1), clock=lambda: AT)
    sends = gateway.send

    def send_then_stop(outbound):  # type: ignore[no-untyped-def]
        result = sends(outbound)
        if len(gateway.sent) == 2:
            worker.stop()  # as SIGTERM does, from the signal handler
        return result

    gateway.send = send_then_stop  # type: ignore[method-assign]
    total = worker.run()
    assert (total.sent, total.released) == (2, 4)
    assert statuses(core) == {"sent": 2, "queued": 4}
    assert worker.stopped


def test_the_embedded_worker_runs_on_sqlite_by_default(
    core: Phonelist, settings: Settings, backend: str
) -> None:
    thread = embedded_worker(core.dispatch, settings)
    try:
        assert (thread is not None) == (backend == "sqlite")
    finally:
        if thread is not None:
            thread.stop()
    off = settings.model_copy(update={"worker_embedded": "off"})
    on = settings.model_copy(update={"worker_embedded": "on"})
    assert embedded_worker(core.dispatch, off) is None
    forced = embedded_worker(core.dispatch, on)
    assert forced is not None
    queue_help(core, 2)
    done = threading.Event()
    for _ in range(200):
        if statuses(core) == {"sent": 2}:
            done.set()
            break
        done.wait(0.05)
    forced.stop()
    assert done.is_set()


def test_a_reply_the_provider_could_not_take_is_left_for_the_worker(
    core: Phonelist, actor: Actor
) -> None:
    disclose(core, actor)
    gateway = Scripted()
    core.consent.gateway = gateway
    to = number(5)
    gateway.errors[to] = GatewayError("down", provider_code="20503", retryable=True)
    core.consent.apply(actor, RequestOptIn(to, disclosure="web"), AT)
    assert statuses(core) == {"queued": 1}  # not lost, not failed: retried later
    del gateway.errors[to]
    assert dispatcher(core, gateway).run_once(AT + dt.timedelta(minutes=1)).sent == 1
    assert [m.kind for m in gateway.sent] == ["double_opt_in"]
    mid = next(iter(gateway.sent)).idempotency_key or ""
    assert mid.startswith("msg:")
    assert message(core, mid.removeprefix("msg:")).attempts == 2


def test_send_processes_send_in_children_with_the_same_outcomes(core: Phonelist) -> None:
    people = populate(core, 12)
    launch(core, people)
    core.dispatch.gateway_factory = Picky
    worker = core.dispatch.dispatcher()
    assert worker.senders is None  # worker_send_processes = 0: threads
    worker = Dispatcher(
        core.store,
        core.keyring,
        core.policy,
        core.gateway,
        core.suppressions,
        DispatchSettings(send_processes=2),
        senders=ProcessSenders(Picky, 2),
    )
    try:
        counts = worker.run_once(AT)
    finally:
        worker.close()
    refused = sum(1 for _, e164 in people if e164.endswith("0"))
    assert (counts.sent, counts.failed) == (12 - refused, refused)
    assert statuses(core) == {"sent": 12 - refused, "failed": refused}
