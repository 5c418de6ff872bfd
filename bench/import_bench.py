"""End-to-end import benchmark: N messy rows through `phonelist import`, against a plain loop.

    python bench/import_bench.py --rows 1000000

Generates a CSV of N rows (16 countries, every kind of damage bench/messy.py knows, about 20%
duplicates written differently), then, each in a fresh process:

1. ``phonelist import`` into a fresh SQLite data directory (parse, validate, enrich with
   type/region/carrier/time zones, de-duplicate, encrypt, store), timed end to end;
2. the baseline: ``csv`` + ``phonenumbers`` + ``sqlite3`` doing the same normalisation and
   enrichment and an ``INSERT OR IGNORE`` on a unique index, with no encryption;
3. the same loop on ``rphonenumbers`` (the fast drop-in): a floor for any Python import.

Prints wall time, rows/s and peak memory of each, and their ratio. Results go to
docs/benchmarks.md by hand, with the machine they ran on.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.messy import messy_numbers

FIRST = [
    "Ana",
    "João",
    "Maria",
    "José",
    "Lucía",
    "Pierre",
    "Jürgen",
    "Chloé",
    "Amir",
    "Wei",
    "Olga",
    "Kwame",
    "Sofia",
    "Liam",
    "Noah",
    "Emma",
    "Inês",
    "Mateo",
    "Zoë",
    "Björn",
]
LAST = [
    "Silva",
    "Santos",
    "García",
    "Müller",
    "Dubois",
    "Smith",
    "Rossi",
    "Kowalski",
    "Chen",
    "Okafor",
    "Nováková",
    "Andersson",
    "O'Brien",
    "Fernández",
    "Lima",
    "Costa",
]
CITIES = [
    "Porto",
    "Lisboa",
    "Madrid",
    "Paris",
    "Berlin",
    "London",
    "New York",
    "São Paulo",
    "Toronto",
    "Sydney",
    "Mumbai",
    "Tokyo",
    "Roma",
    "Warszawa",
    "Stockholm",
    "Dublin",
]
HEADER = ["Nome", "Apelido", "Telemóvel", "E-mail", "País", "Cidade", "Etiquetas"]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Write the messy CSV; duplicates repeat an earlier number written another way."""
    rng = random.Random(seed)
    numbers = messy_numbers(rows, seed)
    recent: list[tuple[str, str | None]] = []
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            if recent and rng.random() < 0.2:
                raw, hint = rng.choice(recent)
                raw = _rewrite(raw, rng)
            else:
                raw, hint = next(numbers)
                if len(recent) < 50_000:
                    recent.append((raw, hint))
                else:
                    recent[rng.randrange(len(recent))] = (raw, hint)
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"{first}.{last}{i}@example.org".lower() if rng.random() < 0.6 else ""
            writer.writerow(
                [
                    first,
                    last,
                    raw,
                    email,
                    hint or "",
                    rng.choice(CITIES),
                    rng.choice(["", "vip", "lead;newsletter", "2026"]),
                ]
            )


def _rewrite(raw: str, rng: random.Random) -> str:
    """The same number, typed differently: spacing, dashes, dots or parentheses."""
    digits = "".join(c for c in raw if c.isdigit() or c == "+")
    style = rng.randrange(4)
    if style == 0:
        return " ".join(digits[i : i + 3] for i in range(0, len(digits), 3))
    if style == 1:
        return "-".join(digits[i : i + 4] for i in range(0, len(digits), 4))
    if style == 2:
        return ".".join(digits[i : i + 3] for i in range(0, len(digits), 3))
    return f" {digits} "


BASELINE = r"""
import csv, sqlite3, sys, time
import phonenumbers
from phonenumbers import timezone
src, db = sys.argv[1], sys.argv[2]
conn = sqlite3.connect(db)
conn.execute("PRAGMA journal_mode=WAL")
conn.execute("CREATE TABLE numbers (e164 TEXT NOT NULL UNIQUE, type INTEGER, region TEXT, "
             "tz TEXT, first TEXT, last TEXT, email TEXT)")
rows = []
with open(src, newline="", encoding="utf-8") as handle:
    reader = csv.reader(handle)
    next(reader)
    for first, last, raw, email, hint, city, tags in reader:
        try:
            n = phonenumbers.parse(raw, hint or "US")
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_valid_number(n):
            continue
        rows.append((phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164),
                     phonenumbers.number_type(n), phonenumbers.region_code_for_number(n),
                     ",".join(timezone.time_zones_for_number(n)), first, last, email))
with conn:
    conn.executemany("INSERT OR IGNORE INTO numbers VALUES (?,?,?,?,?,?,?)", rows)
print(conn.execute("SELECT count(*) FROM numbers").fetchone()[0])
"""


# The same loop on the fast drop-in (rphonenumbers, the Rust core phonelist uses where it agrees
# with the reference): a floor for any Python import that parses every row, with no encryption,
# no repairs, no de-duplication report and one table.
FAST_BASELINE = BASELINE.replace(
    "import phonenumbers\nfrom phonenumbers import timezone",
    "import rphonenumbers as phonenumbers\nfrom rphonenumbers import timezone",
)
assert FAST_BASELINE != BASELINE


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in MiB of that child alone (wait4), and its stdout."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err, text=True, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            raise SystemExit(f"{command[:4]} failed ({child.returncode}):\n{err.read()[-3000:]}")
        return seconds, usage.ru_maxrss // 1024, out.read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "pl-bench")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    source = args.workdir / f"messy-{args.rows}.csv"
    if not source.exists():
        started = time.perf_counter()
        generate(source, args.rows)
        print(f"generated {source} in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    data = Path(tempfile.mkdtemp(dir=args.workdir, prefix="data-"))
    env = {**os.environ, "PHONELIST_DATA_DIR": str(data), "PHONELIST_DEFAULT_REGION": "US"}
    subprocess.run(
        [sys.executable, "-m", "phonelist", "init", "--password-stdin"],
        input="bench password 123",
        text=True,
        check=True,
        env=env,
        capture_output=True,
    )
    seconds, peak, out = timed(
        [sys.executable, "-m", "phonelist", "import", str(source), "--json"], env
    )
    report = json.loads(out)
    result = {
        "rows": args.rows,
        "phonelist_seconds": round(seconds, 2),
        "phonelist_rows_per_s": round(args.rows / seconds),
        "phonelist_peak_mib": peak,
        "imported": report["counts"]["imported"],
        "duplicates": report["counts"]["duplicates_in_file"]
        + report["counts"]["duplicates_in_store"],
        "rejected": report["counts"]["rejected"],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
    }
    if not args.skip_baseline:
        with tempfile.TemporaryDirectory(dir=args.workdir) as scratch:
            base_seconds, base_peak, base_out = timed(
                [sys.executable, "-c", BASELINE, str(source), str(Path(scratch) / "b.db")]
            )
        result |= {
            "baseline_seconds": round(base_seconds, 2),
            "baseline_rows_per_s": round(args.rows / base_seconds),
            "baseline_peak_mib": base_peak,
            "baseline_stored": int(base_out.strip()),
            "speedup": round(base_seconds / seconds, 2),
        }
        with tempfile.TemporaryDirectory(dir=args.workdir) as scratch:
            fast_seconds, fast_peak, fast_out = timed(
                [sys.executable, "-c", FAST_BASELINE, str(source), str(Path(scratch) / "b.db")]
            )
        result |= {
            "fast_baseline_seconds": round(fast_seconds, 2),
            "fast_baseline_rows_per_s": round(args.rows / fast_seconds),
            "fast_baseline_peak_mib": fast_peak,
            "fast_baseline_stored": int(fast_out.strip()),
            "phonelist_over_fast_baseline": round(seconds / fast_seconds, 2),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
