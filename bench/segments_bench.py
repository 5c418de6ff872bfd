"""Segment counts end to end: ``SegmentService.count`` on a seeded store of N contacts.

    python bench/segments_bench.py --contacts 1000000 [--pg-url postgresql+psycopg://...]

Builds the store once (``bench/segments_store.py``; cached), then for each query times the whole
call (parse, bind against the workspace, compile, one SQL count) several times and reports the
median and the slowest. Issue 5's targets, SQLite: a single indexed predicate at most 100 ms, a
5-clause query mixing consent, tags and location at most 500 ms. The same queries run on
PostgreSQL when a server URL is given (its store lives in a database of its own).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench.segments_store import AT, build
from phonelist import Phonelist
from phonelist.config import Settings

# (group, query): "single" are the indexed single predicates, "five" the 5-clause queries.
QUERIES = [
    ("single", "country = PT"),
    ("single", "status = customer"),
    ("single", "created > -30d"),
    ("single", "tag = vip"),
    ("single", 'list = "Lisbon event"'),
    ("single", "consent.sms.marketing = granted"),
    ("single", "suppressed = yes"),
    ("single", "custom.plan = pro"),
    ("single", "sent.last > -7d"),
    ("single", "name = maria"),
    (
        "five",
        "country = US tag = newsletter consent.sms.marketing = granted suppressed = no "
        "created > -365d",
    ),
    (
        "five",
        "country = US region in (CA, NY, TX) tag = newsletter "
        "consent.sms.marketing = granted suppressed = no",
    ),
    (
        "five",
        "country in (PT, ES) status = customer (tag = vip OR tag = loyalty) "
        "consent.sms.marketing = granted NOT suppressed = yes",
    ),
    ("other", "city ~ lis"),
    ("other", "consent.sms.marketing != granted"),
    ("other", "NOT has tag"),
    ("other", "number.type = mobile carrier ~ voda"),
]


def measure(settings: Settings, runs: int) -> list[tuple[str, str, int, float, float]]:
    rows = []
    with Phonelist.open(settings) as core:
        actor = core.cli_actor()
        for group, query in QUERIES:
            core.segments.count(actor, query, at=AT)  # warm the page cache and the statement
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                found = core.segments.count(actor, query, at=AT).count
                times.append(time.perf_counter() - started)
            rows.append((group, query, found, statistics.median(times), max(times)))
    return rows


def report(backend: str, rows: list[tuple[str, str, int, float, float]]) -> None:
    print(f"\n{backend}\n")
    print("| group | query | contacts | median ms | slowest ms |")
    print("|---|---|---:|---:|---:|")
    for group, query, found, median, slowest in rows:
        print(f"| {group} | `{query}` | {found:,} | {median * 1000:.0f} | {slowest * 1000:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--pg-url", default=None, help="a PostgreSQL server URL (optional)")
    parser.add_argument("--pg-only", action="store_true", help="skip SQLite")
    args = parser.parse_args()
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    if not args.pg_only:
        report("SQLite", measure(build(None, args.contacts, args.seed), args.runs))
    if args.pg_url:
        settings = build(None, args.contacts, args.seed, args.pg_url)
        report("PostgreSQL", measure(settings, args.runs))


if __name__ == "__main__":
    main()
