"""Measure the local fake Twilio server: how many Messages creates per second it takes.

    python bench/fake_twilio_bench.py --messages 20000 --threads 1 4 8

The fake (tests/fakes/twilio_server.py) is served by uvicorn over real HTTP on 127.0.0.1, in
two ways: in a thread of this process, as the ``fake_twilio`` test fixture runs it (client and
server then share one GIL), and in a child process of its own (``spawn()``), as a benchmark of
the outbox should run it. The client is phonelist's ``TwilioGateway`` (one pooled httpx
client) called from 1..N threads. Prints sends per second for each mode and thread count, best
of ``--runs``, and checks the fake accepted every message.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from tests.fakes.twilio_server import ACCOUNT_SID, AUTH_TOKEN, serve, spawn

from phonelist.gateways import Outbound, TwilioGateway


def run(base_url: str, messages: int, threads: int) -> float:
    gateway = TwilioGateway(
        ACCOUNT_SID,
        AUTH_TOKEN,
        sender="+15005550006",
        status_callback="http://127.0.0.1:9/status",
        base_url=base_url,
        max_connections=max(threads, 1),
    )
    per_thread = messages // threads
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for i in range(per_thread):
                n = offset + i
                gateway.send(
                    Outbound(f"+1415{n % 10_000_000:07d}", "Hello from the bench", kind="bench",
                             idempotency_key=f"bench-{threads}-{n}")
                )  # fmt: skip
        except BaseException as exc:  # report, do not hide
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(t * per_thread,)) for t in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    gateway.close()
    if errors:
        raise errors[0]
    return per_thread * threads / elapsed


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (Linux /proc; 0.0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with serve() as fake:
        run(fake.base_url, 500, 1)  # warm up: connections, imports
        for threads in args.threads:
            best = 0.0
            for _ in range(args.runs):
                fake.reset()
                best = max(best, run(fake.base_url, args.messages, threads))
                assert len(fake.messages) == args.messages // threads * threads
            print(f"in-thread fake    threads={threads:2d}  {best:8.0f} sends/s")
    with spawn() as remote:
        run(remote.base_url, 500, 1)
        for threads in args.threads:
            best = 0.0
            for _ in range(args.runs):
                remote.reset()
                before = cpu_seconds(remote.process.pid)
                client_before = time.process_time()
                best = max(best, run(remote.base_url, args.messages, threads))
                used = cpu_seconds(remote.process.pid) - before
                client = time.process_time() - client_before
                assert remote.stats()["messages"] == args.messages // threads * threads
            print(f"child-process fake threads={threads:2d}  {best:8.0f} sends/s", end="")
            if used:
                # what one core of the fake could take if the client were not the limit
                print(f"  (fake CPU {used / args.messages * 1e6:.0f} us/request,"
                      f" ~{args.messages / used:.0f} requests/s per core;"
                      f" client CPU {client / args.messages * 1e6:.0f} us/request)")  # fmt: skip
            else:
                print()


if __name__ == "__main__":
    main()
