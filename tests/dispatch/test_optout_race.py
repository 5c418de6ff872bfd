"""The opt-out race: a worker decided "allowed" and is sending when an opt-out commits.

The worker holds its claimed rows (``FOR UPDATE`` on PostgreSQL, the writer lock on SQLite)
from its check through its send to its status update, and the opt-out's cancel touches those
rows, so the opt-out waits: every send happened before the opt-out committed, and nothing
goes to the number after it.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

from sqlalchemy import text

from phonelist import Phonelist
from phonelist.consent.commands import Revoke
from phonelist.gateways import Outbound, SendResult
from phonelist.security.permissions import Actor
from tests.consent.support import state
from tests.dispatch.support import AT, dispatcher, launch, message, populate


class Holding:
    """Sends, then holds the worker inside its send until told to go on."""

    name = "holding"

    def __init__(self) -> None:
        self.sent: list[Outbound] = []
        self.inside = threading.Event()
        self.go = threading.Event()

    def send(self, message: Outbound) -> SendResult:
        self.sent.append(message)
        self.inside.set()
        assert self.go.wait(30)
        return SendResult(provider_ref=f"ref-{len(self.sent)}")


def _waiting_on_a_lock(core: Phonelist) -> bool:
    with core.store.engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
        ).scalar()
        return bool(found)


def test_an_opt_out_during_a_send_waits_for_it_and_stops_the_rest(
    core: Phonelist, actor: Actor, backend: str
) -> None:
    people = populate(core, 1)
    e164 = people[0][1]
    [first] = launch(core, people, campaign="a")
    [second] = launch(core, people, campaign="b")  # queued behind it (one per number a round)
    gateway = Holding()
    worker = dispatcher(core, gateway)
    round_ = threading.Thread(target=worker.run_once, args=(AT,))
    round_.start()
    assert gateway.inside.wait(30)  # the worker checked "allowed" and is sending now
    done = threading.Event()

    def opt_out() -> None:
        core.consent.apply(actor, Revoke(e164, "keyword"), AT + dt.timedelta(seconds=1))
        done.set()

    stopper = threading.Thread(target=opt_out)
    stopper.start()
    if backend == "postgres":
        deadline = time.monotonic() + 30
        while not _waiting_on_a_lock(core):  # the opt-out's UPDATE waits on the worker's rows
            assert time.monotonic() < deadline, "the opt-out never waited for the worker"
            time.sleep(0.02)
    else:
        time.sleep(0.3)  # room for the opt-out to commit, were it not held by the writer lock
    assert not done.is_set()  # not committed while the send is in flight
    assert state(core, actor, e164)[("sms", "marketing")] == "granted"
    gateway.go.set()
    round_.join(30)
    stopper.join(30)
    assert done.is_set()
    assert state(core, actor, e164)[("sms", "marketing")] == "revoked"
    assert message(core, first).status == "sent"  # sent before the opt-out committed
    assert message(core, second).status == "cancelled"  # the rest: never sent
    assert dispatcher(core, gateway).run_once(AT + dt.timedelta(hours=1)).sent == 0
    assert [m.to for m in gateway.sent] == [e164]
