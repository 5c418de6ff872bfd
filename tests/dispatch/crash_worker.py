"""A worker process for the crash test: ``python -m tests.dispatch.crash_worker ...``.

It is ``phonelist worker --once`` with two test-only knobs: the fake Twilio server as the
gateway, and a clock that starts at a fixed instant (``--at``, a weekday noon in Washington
DC, so quiet hours never interfere) and runs at wall-clock speed from ``--epoch``, shared by
every worker of one test. ``--die-after N`` kills the process (``os._exit``, no clean-up)
right after its N-th accepted send, before the round's transaction commits: the worst point.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import threading
import time

from phonelist import Phonelist, load_settings
from phonelist.dispatch.worker import Worker
from phonelist.gateways import Outbound, SendResult, TwilioGateway
from tests.fakes.twilio_server import ACCOUNT_SID, AUTH_TOKEN

SENDER = "+12025550100"


class Dying:
    def __init__(self, gateway: TwilioGateway, after: int) -> None:
        self.name = gateway.name
        self.gateway = gateway
        self.after = after
        self.count = 0
        self.lock = threading.Lock()

    def send(self, message: Outbound) -> SendResult:
        result = self.gateway.send(message)
        with self.lock:
            self.count += 1
            if self.after and self.count >= self.after:
                os._exit(137)  # sent, not recorded: the round's transaction never commits
        return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--database-url")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--at", required=True)
    parser.add_argument("--epoch", type=float, required=True)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--lease", type=float, default=2.0)
    parser.add_argument("--die-after", type=int, default=0)
    args = parser.parse_args()
    at = dt.datetime.fromisoformat(args.at)
    settings = load_settings(
        data_dir=args.data_dir,
        database_url=args.database_url,
        worker_batch_size=args.batch,
        worker_lease_seconds=args.lease,
        worker_poll_seconds=0.2,
    )
    twilio = TwilioGateway(ACCOUNT_SID, AUTH_TOKEN, sender=SENDER, base_url=args.base_url)
    with Phonelist.open(settings, migrate=False) as core:
        core.dispatch.gateway = Dying(twilio, args.die_after)
        worker = Worker(
            core.dispatch.dispatcher(),
            clock=lambda: at + dt.timedelta(seconds=time.time() - args.epoch),
        )
        worker.run(once=True)
    twilio.close()


if __name__ == "__main__":
    main()
