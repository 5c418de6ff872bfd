"""Dispatch benchmark: the outbox emptied into the local fake Twilio server, end to end.

    python bench/dispatch_bench.py --messages 100000 [--threads 8] [--batch 500] [--postgres URL]

Builds a store of ``--messages`` contacts (Washington DC mobiles, written sms marketing
consent, in bulk through the ORM tables, so the trigger-kept facts tables are filled as in
production) and queues one campaign message for each with ``phonelist.dispatch.enqueue``.
Then one worker (``Dispatcher`` rounds, as ``phonelist worker --once`` runs them) claims,
checks every message with the policy engine at the instant of sending, decrypts it, sends it
through ``TwilioGateway`` over HTTP to the fake (in a child process of its own: ``spawn``),
and records each outcome. Prints messages per second for the dispatch alone (the build is
not timed) and checks that the fake accepted every message exactly once. ``--profile``
writes a cProfile of the dispatch to dispatch.prof.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from tests.dispatch.support import AT, launch, populate, statuses
from tests.fakes.twilio_server import ACCOUNT_SID, AUTH_TOKEN, spawn

from phonelist import Phonelist, load_settings
from phonelist.bootstrap import initialize
from phonelist.dispatch.worker import Worker
from phonelist.gateways import TwilioGateway


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=8, help="sends in flight per round")
    parser.add_argument("--batch", type=int, default=500, help="messages claimed per round")
    parser.add_argument("--processes", type=int, default=0, help="send processes (0: threads)")
    parser.add_argument("--postgres", help="a PostgreSQL URL (an empty database) instead")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            data_dir=Path(tmp) / "data",
            database_url=args.postgres,
            worker_batch_size=args.batch,
            worker_threads=args.threads,
            worker_send_processes=args.processes,
        )
        initialize(settings, owner_password="bench password 1234")
        with Phonelist.open(settings) as core:
            started = time.perf_counter()
            people = populate(core, args.messages)
            for first in range(0, len(people), 10_000):
                launch(core, people[first : first + 10_000], campaign="bench")
            print(f"built and queued {args.messages:,} in {time.perf_counter() - started:.1f} s")
            with spawn() as fake:
                gateway = TwilioGateway(
                    ACCOUNT_SID,
                    AUTH_TOKEN,
                    sender="+12025550100",
                    base_url=fake.base_url,
                    max_connections=args.threads,
                )
                core.dispatch.gateway = gateway
                core.dispatch.gateway_factory = functools.partial(
                    TwilioGateway,
                    ACCOUNT_SID,
                    AUTH_TOKEN,
                    sender="+12025550100",
                    base_url=fake.base_url,
                    max_connections=args.threads,
                )
                worker = Worker(core.dispatch.dispatcher(), clock=lambda: AT)
                profile = cProfile.Profile() if args.profile else None
                started = time.perf_counter()
                if profile is not None:
                    profile.enable()
                total = worker.run(once=True)
                if profile is not None:
                    profile.disable()
                    profile.dump_stats("dispatch.prof")
                took = time.perf_counter() - started
                gateway.close()
                accepted = fake.stats()
            assert statuses(core) == {"sent": args.messages}, statuses(core)
        backend = "PostgreSQL" if args.postgres else "SQLite"
        print(
            f"dispatch ({backend}, {args.threads} threads, {args.processes} send processes, "
            f"batch {args.batch}): "
            f"{total.sent:,} sent in {took:.1f} s = {total.sent / took:,.0f} messages/s"
        )
        print(f"fake accepted: {accepted}")
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
              f"Python {platform.python_version()}")  # fmt: skip


if __name__ == "__main__":
    main()
