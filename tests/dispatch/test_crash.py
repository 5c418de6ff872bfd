"""The crash test (issue 7, "Must show"): workers killed at random points, again and again,
during a 10,000-message campaign; restarted until the outbox drains. Every recipient gets
exactly one message at the fake Twilio server (over real HTTP), on PostgreSQL with four
concurrent workers and on SQLite with two.

Kills come two ways: SIGKILL at random instants (between claim and send, mid-send, between
send and commit, ...), and a worker that ``os._exit``s right after an accepted send and
before its round commits, so that resends under the same idempotency key are certain.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from phonelist import Phonelist
from tests.dispatch.support import AT, launch, populate, statuses
from tests.fakes.twilio_server import FakeTwilio, serve

COUNT = 10_000
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with serve() as running:
        yield running


def test_killed_workers_send_every_message_exactly_once(
    core: Phonelist, backend: str, fake: FakeTwilio
) -> None:
    people = populate(core, COUNT)
    assert len(launch(core, people, campaign="crash")) == COUNT
    workers = 4 if backend == "postgres" else 2
    epoch = time.time()
    rng = random.Random(7)

    def start(die_after: int = 0) -> subprocess.Popen[bytes]:
        command = [
            sys.executable,
            "-m",
            "tests.dispatch.crash_worker",
            "--data-dir",
            str(core.settings.data_dir),
            "--base-url",
            fake.base_url,
            "--at",
            AT.isoformat(),
            "--epoch",
            str(epoch),
            "--die-after",
            str(die_after),
        ]
        if core.settings.database_url:
            command += ["--database-url", core.settings.database_url]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        return subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE)

    running = [start() for _ in range(workers)]
    kills = 0
    for round_ in range(6):  # kill rounds: a random worker, at a random instant
        time.sleep(rng.uniform(1.0, 2.5))
        victim = rng.randrange(len(running))
        running[victim].send_signal(signal.SIGKILL)
        running[victim].wait()
        kills += 1
        # every other restart dies by itself right after a send, before its commit
        running[victim] = start(die_after=rng.randint(5, 60) if round_ % 2 == 0 else 0)
    for _ in range(60):  # restart until the outbox drains (leases of the dead expire)
        waiting = statuses(core)
        if not waiting.get("queued") and not waiting.get("sending"):
            break
        for i, process in enumerate(running):
            if process.poll() is not None:
                running[i] = start()
        time.sleep(1.0)
    for process in running:
        _, err = process.communicate(timeout=120)
        assert process.returncode in (0, 137, -signal.SIGKILL), err.decode()[-2000:]

    assert statuses(core) == {"sent": COUNT}
    accepted = fake.messages
    assert len(accepted) == COUNT  # exactly one message each ...
    assert Counter(m.to for m in accepted) == Counter(e164 for _, e164 in people)
    assert len({m.idempotency_key for m in accepted}) == COUNT  # ... under its own key
    assert {m.idempotency_key for m in accepted} == {f"campaign:crash:{c}" for c, _ in people}
    assert kills == 6
    # Some sends were repeated after a crash and answered with the first message: the
    # idempotency key, not luck, kept them single.
    assert fake.requests > COUNT
