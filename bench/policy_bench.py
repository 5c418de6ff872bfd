"""Policy engine benchmark: bulk decisions over a stored audience, and the per-contact ``decide``.

    python bench/policy_bench.py --contacts 1000000

Builds (once per size, cached under the temp dir) a SQLite store of N contacts with histories:
US numbers over 40 area codes (Florida, Texas, Maryland, ... and DC), about 70% with written
marketing consent, 5% revoked, 3% implied (CASL) or soft opt-in, the rest unknown; 2% on the
internal list; 10% on the national registry (with its import dates); 5% with 1-4 marketing
sends in the last 48 hours; 20% with a stored address. Then, each timed on its own:

1. ``PolicyService.decide_audience`` for sms/marketing at one instant over every contact
   (the bulk path: one scan of the trigger-kept ``policy_facts``, shared decisions),
   decisions/s, alternated in the same run with the path that joins the source tables
   (``policy.joined``, the path before migration 0008) for a ratio, and checked equal to it;
2. ``decide`` (pure) once per contact on facts built from the same distribution, decisions/s;
3. ``decide_many`` on the same facts: the bulk path's decision stage once facts are loaded;
4. ``PolicyService.check`` (loads one number's facts from the store, then decides) on a sample.

Prints the figures; they go to docs/benchmarks.md by hand with the machine.

    python bench/policy_bench.py --import-cost 100000

instead times ``phonelist import`` of bench/import_bench.py's messy CSV of that many rows into
fresh stores with and without the ``policy_facts`` triggers (dropped after ``init``),
alternated, twice each: what keeping the table costs the import path.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert

from phonelist import Phonelist, load_settings
from phonelist.bootstrap import initialize
from phonelist.ids import new_id
from phonelist.numbers import analyze
from phonelist.policy.engine import decide, decide_many
from phonelist.policy.facts import Consent, Decision, Facts, Send
from phonelist.policy.joined import decide_audience_joined
from phonelist.store.consent_models import ConsentState, Message, RegistryImport, RegistryNumber
from phonelist.store.models import Contact, PhoneNumber, Suppression

AT = dt.datetime(2026, 6, 10, 16, 0, tzinfo=dt.UTC)  # a Wednesday, noon in New York
AREAS = [
    "202",
    "305",
    "407",
    "813",
    "850",
    "954",
    "214",
    "512",
    "713",
    "915",
    "301",
    "410",
    "405",
    "918",
    "503",
    "541",
    "206",
    "509",
    "801",
    "385",
    "205",
    "504",
    "601",
    "401",
    "215",
    "412",
    "480",
    "602",
    "212",
    "718",
    "617",
    "312",
    "415",
    "213",
    "303",
    "404",
    "702",
    "615",
    "919",
    "206",
]
STATES = [None] * 8 + [("US", "FL"), ("US", "Texas")]
BATCH = 20_000


def build(data_dir: Path, count: int, seed: int) -> None:
    settings = load_settings(data_dir=data_dir)
    initialize(settings, owner_password="bench password 1234")
    rng = random.Random(seed)
    zones: dict[str, list[str]] = {}
    with Phonelist.open(settings) as core:
        keyring = core.keyring
        now = AT - dt.timedelta(days=60)
        started = time.perf_counter()
        for start in range(0, count, BATCH):
            contacts, phones, states, supps, regs, messages = [], [], [], [], [], []
            for n in range(start, min(count, start + BATCH)):
                area = rng.choice(AREAS)
                e164 = f"+1{area}{rng.randint(2, 9)}{n:06d}"
                if area not in zones:
                    zones[area] = list(analyze(e164).time_zones)
                cid, pid = new_id(), new_id()
                index = keyring.blind_index("phone", e164)
                address = rng.choice(STATES)
                contacts.append(
                    {
                        "id": cid,
                        "workspace_id": 1,
                        "status": "lead",
                        "created_at": now,
                        "updated_at": now,
                        "legal_person": False,
                        "country": address[0] if address else None,
                        "region": address[1] if address else None,
                    }
                )
                phones.append(
                    {
                        "id": pid,
                        "contact_id": cid,
                        "workspace_id": 1,
                        "e164_enc": keyring.encrypt(
                            e164, table="phone_numbers", column="e164", row_id=pid
                        ),
                        "e164_index": index,
                        "is_primary": True,
                        "position": 0,
                        "validity": "valid",
                        "number_type": "mobile",
                        "region": "US",
                        "country_code": 1,
                        "time_zones": zones[area],
                        "area_code": area,
                    }
                )
                roll = rng.random()
                status, method, written, expires = None, None, False, None
                if roll < 0.70:
                    status, method, written = "granted", "web_form", True
                elif roll < 0.75:
                    status, method = "revoked", "keyword"
                elif roll < 0.78:
                    status, method = "granted", rng.choice(["casl_implied_purchase", "soft_opt_in"])
                    expires = AT + dt.timedelta(days=rng.randint(-30, 300))
                if status:
                    states.append(
                        {
                            "workspace_id": 1,
                            "e164_index": index,
                            "channel": "sms",
                            "purpose": "marketing",
                            "status": status,
                            "method": method,
                            "written": written,
                            "sender": None,
                            "since": now,
                            "expires_at": expires,
                            "evidence": [],
                            "record_id": new_id(),
                        }
                    )
                if rng.random() < 0.02:
                    sid = new_id()
                    supps.append(
                        {
                            "id": sid,
                            "workspace_id": 1,
                            "e164_index": index,
                            "e164_enc": None,
                            "kind": "internal_dnc",
                            "source": "bench",
                            "reason": None,
                            "created_at": now,
                            "created_by": "bench",
                        }
                    )
                if rng.random() < 0.10:
                    regs.append(
                        {
                            "workspace_id": 1,
                            "registry_name": "us_dnc",
                            "e164_index": index,
                            "area_code": area,
                        }
                    )
                if rng.random() < 0.05:
                    for _ in range(rng.randint(1, 4)):
                        mid = new_id()
                        messages.append(
                            {
                                "id": mid,
                                "workspace_id": 1,
                                "direction": "out",
                                "e164_index": index,
                                "e164_enc": b"",
                                "sender": None,
                                "channel": "sms",
                                "purpose": "marketing",
                                "kind": "campaign",
                                "subject": None,
                                "body_enc": None,
                                "status": "sent",
                                "at": AT - dt.timedelta(minutes=rng.randint(1, 48 * 60)),
                            }
                        )
            with core.store.write() as session:
                session.execute(insert(Contact), contacts)
                session.execute(insert(PhoneNumber), phones)
                if states:
                    session.execute(insert(ConsentState), states)
                if supps:
                    session.execute(insert(Suppression), supps)
                if regs:
                    session.execute(insert(RegistryNumber), regs)
                if messages:
                    session.execute(insert(Message), messages)
            print(f"  built {min(count, start + BATCH):,} contacts", end="\r", flush=True)
        with core.store.write() as session:
            session.execute(
                insert(RegistryImport),
                [
                    {
                        "id": new_id(),
                        "workspace_id": 1,
                        "registry_name": "us_dnc",
                        "area_code": a,
                        "kind": "full",
                        "registry_date": (AT - dt.timedelta(days=rng.choice([5, 20, 40]))).date(),
                        "imported_at": now,
                        "imported_by": "bench",
                        "file_name": None,
                        "added": 0,
                        "deleted": 0,
                    }
                    for a in sorted(set(AREAS))
                ],
            )
        print(f"\n  store built in {time.perf_counter() - started:.1f} s")


def pure_facts(count: int, seed: int) -> list[tuple[Facts, tuple[Send, ...]]]:
    rng = random.Random(seed)
    zones = {a: tuple(analyze(f"+1{a}5550100").time_zones) for a in set(AREAS)}
    since = AT - dt.timedelta(days=60)
    items = []
    for _ in range(count):
        area = rng.choice(AREAS)
        roll = rng.random()
        consents: tuple[Consent, ...] = ()
        if roll < 0.70:
            consents = (Consent("sms", "marketing", "granted", "web_form", since, written=True),)
        elif roll < 0.75:
            consents = (Consent("sms", "marketing", "revoked", "keyword", since),)
        history: tuple[Send, ...] = ()
        if rng.random() < 0.05:
            history = tuple(
                Send(AT - dt.timedelta(minutes=rng.randint(1, 48 * 60)), "sms", "marketing")
                for _ in range(rng.randint(1, 4))
            )
        facts = Facts(
            region="US",
            area_code=area,
            number_time_zones=zones[area],
            consents=consents,
            suppressions=frozenset({"internal_dnc"}) if rng.random() < 0.02 else frozenset(),
            dnc_registered=rng.random() < 0.10,
            registry_date=(AT - dt.timedelta(days=rng.choice([5, 20, 40]))).date(),
        )
        items.append((facts, history))
    return items


def import_cost(rows: int) -> None:
    import sqlite3
    import subprocess

    from bench.import_bench import generate

    work = Path(tempfile.gettempdir()) / "pl-bench"
    work.mkdir(parents=True, exist_ok=True)
    source = work / f"messy-{rows}.csv"
    if not source.exists():
        generate(source, rows)
    for round_ in range(2):
        for triggers in (True, False):
            data = Path(tempfile.mkdtemp(dir=work, prefix="policy-import-"))
            env = {**os.environ, "PHONELIST_DATA_DIR": str(data), "PHONELIST_DEFAULT_REGION": "US"}
            subprocess.run(
                [sys.executable, "-m", "phonelist", "init", "--password-stdin"],
                input="bench password 123",
                text=True,
                check=True,
                env=env,
                capture_output=True,
            )
            if not triggers:
                with sqlite3.connect(data / "phonelist.db") as db:
                    names = db.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                        "AND name LIKE 'pl_policy_%'"
                    ).fetchall()
                    for (name,) in names:
                        db.execute(f'DROP TRIGGER "{name}"')
            command = [sys.executable, "-m", "phonelist", "import", str(source), "--json"]
            started = time.perf_counter()
            child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
            _, status, usage = os.wait4(child.pid, 0)
            seconds = time.perf_counter() - started
            if os.waitstatus_to_exitcode(status) != 0:
                raise SystemExit("the import failed")
            cpu = usage.ru_utime + usage.ru_stime  # the child's own: the machine is shared
            label = "with policy_facts" if triggers else "without (triggers dropped)"
            print(
                f"round {round_ + 1}, import {label}: {rows:,} rows in {seconds:.2f} s "
                f"= {rows / seconds:,.0f} rows/s (CPU {cpu:.2f} s = {rows / cpu:,.0f} rows/s)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--pure", type=int, default=200_000, help="decide() calls to time")
    parser.add_argument("--checks", type=int, default=2_000, help="check() calls to time")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=2, help="bulk runs of each path")
    parser.add_argument("--import-cost", type=int, default=0, metavar="ROWS")
    args = parser.parse_args()
    if args.import_cost:
        import_cost(args.import_cost)
        return
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )

    data_dir = Path(tempfile.gettempdir()) / f"phonelist-policy-bench-{args.contacts}-{args.seed}"
    if not (data_dir / "phonelist.db").exists():
        print(f"building a store of {args.contacts:,} contacts in {data_dir}")
        build(data_dir, args.contacts, args.seed)
    started = time.perf_counter()
    with Phonelist.open(load_settings(data_dir=data_dir)) as core:
        print(f"opened (pending migrations applied) in {time.perf_counter() - started:.1f} s")
        actor = core.cli_actor()
        paths: dict[str, Callable[[], Iterator[tuple[str, Decision]]]] = {
            "facts table": lambda: core.policy.decide_audience(actor, "sms", "marketing", AT),
            "joined (before)": lambda: decide_audience_joined(
                core.policy, actor, "sms", "marketing", AT
            ),
        }
        for _ in range(args.rounds):
            for name, run in paths.items():
                started, cpu = time.perf_counter(), time.process_time()
                allowed = total = 0
                for _, decision in run():
                    total += 1
                    allowed += decision.allowed
                took, cpu = time.perf_counter() - started, time.process_time() - cpu
                # CPU time too: on a shared machine the wall time counts other work.
                print(
                    f"bulk, {name}: {total:,} decisions in {took:.2f} s = "
                    f"{total / took:,.0f} decisions/s (CPU {cpu:.2f} s = {total / cpu:,.0f}/s; "
                    f"{allowed:,} allowed)"
                )
        # Untimed, in step: holding a million answers would slow the timed loops (the GC).
        first, second = (run() for run in paths.values())
        same = all(a == b for a, b in itertools.zip_longest(first, second))
        print(f"the two paths agree on every contact: {same}")

        items = pure_facts(args.pure, args.seed)
        started = time.perf_counter()
        for facts, history in items:
            decide(facts, "sms", "marketing", AT, history, core.rules)
        took = time.perf_counter() - started
        print(f"decide(): {len(items):,} in {took:.2f} s = {len(items) / took:,.0f} decisions/s")

        started = time.perf_counter()
        decided = sum(1 for _ in decide_many(items, "sms", "marketing", AT, core.rules))
        took = time.perf_counter() - started
        print(
            f"decide_many() on loaded facts: {decided:,} in {took:.2f} s = "
            f"{decided / took:,.0f} decisions/s"
        )

        numbers = [f"+1{AREAS[i % len(AREAS)]}5550{i % 1000:03d}" for i in range(args.checks)]
        started = time.perf_counter()
        for number in numbers:
            core.policy.check(actor, number, "sms", "marketing", AT)
        took = time.perf_counter() - started
        print(
            f"check() (store + decide): {len(numbers):,} in {took:.2f} s = "
            f"{len(numbers) / took:,.0f} decisions/s"
        )


if __name__ == "__main__":
    main()
