"""Measure number analysis: phonenumbers against rphonenumbers, and phonelist's own layers.

    python bench/numbers_bench.py --rows 200000            # the measurements, one run
    python bench/numbers_bench.py --diff-data OLD_SITE     # regenerate the routing table

Rows come from bench/messy.py (seeded). Each step is timed over all rows in one process, best
of three runs (the first loads lazy tables and fills caches); the figures are rows per second
and ratios to the first line. Recorded results: docs/benchmarks.md.

1. the library alone: parse + is_valid + E.164 + type + region, each library;
2. adding time zones and carrier names: the libraries' own functions against phonelist's
   prefix caches (numbers/prefixes.py), which reuse the type already computed;
3. phonelist's analyze() (cleaning, repairs, time zones, carrier) on the reference, on
   rphonenumbers alone, and on the default backend (rphonenumbers + the routing table), and
   what the national/international formats would add;
4. agreement on the corpus: rphonenumbers alone against the reference, and the default
   backend against the reference; and what the cheaper "confirm every not-valid answer with the
   reference" rule would cost and miss;
5. the default backend over two worker processes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import phonenumbers
from phonenumbers import carrier as pn_carrier
from phonenumbers import timezone as pn_timezone

from bench.messy import messy_rows
from bench.numbers_diff import write_table
from phonelist.numbers import analyze_many, auto_backend, number_formats, reference_backend
from phonelist.numbers.backends import RoutedBackend, fast_backend
from phonelist.numbers.clean import clean
from phonelist.numbers.prefixes import carrier_name, time_zones

Rows = list[tuple[str, str]]


def machine() -> str:
    model = "unknown"
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                model = text.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    fast = fast_backend()
    return (
        f"{dt.date.today()} | {os.cpu_count()} CPUs ({model}) | Python {platform.python_version()}"
        f" | phonenumbers {phonenumbers.__version__}"
        f" | rphonenumbers {fast.library.__version__ if fast else 'not installed'}"
        f" (data {fast.data_version if fast else '-'})"
    )


RUNS = {"repeat": 3}  # best of this many runs per step; --repeat changes it


def timed(label: str, rows: int, step: Callable[[], Any], baseline: float | None = None) -> float:
    """Best of several runs: the first also loads lazy tables and fills the caches."""
    seconds = float("inf")
    for _ in range(RUNS["repeat"]):
        started = time.perf_counter()
        step()
        seconds = min(seconds, time.perf_counter() - started)
    rate = rows / seconds
    ratio = f"  {rate / baseline:5.2f}x" if baseline else ""
    print(f"  {label:<62} {rate:>10,.0f} rows/s  {seconds * 1e6 / rows:6.2f} us/row{ratio}")
    return rate


def library_step(lib: Any, texts: Rows, zones: str = "", carriers: str = "") -> Callable[[], int]:
    parse, valid, fmt = lib.parse, lib.is_valid_number, lib.format_number
    kind, where = lib.number_type, lib.region_code_for_number
    error = lib.NumberParseException

    def run() -> int:
        done = 0
        for text, region in texts:
            try:
                number = parse(text, region)
            except error:
                continue
            valid(number)
            e164 = fmt(number, 0)
            type_code = kind(number)
            where(number)
            if zones == "library":
                pn_timezone.time_zones_for_number(number)
            elif zones == "prefixes":
                time_zones(e164, number.country_code, type_code)
            if carriers == "library":
                pn_carrier.name_for_number(number, "en")
            elif carriers == "prefixes":
                carrier_name(e164, number.country_code, type_code)
            done += 1
        return done

    return run


def _pool_chunk(args: tuple[list[str], list[str | None]]) -> list[Any]:
    raws, hints = args
    return analyze_many(raws, hints, "US")


def measure(rows: int, seed: int) -> None:
    print(machine())
    started = time.perf_counter()
    corpus = list(messy_rows(rows, seed))
    took = time.perf_counter() - started
    print(f"{rows:,} messy rows from bench/messy.py (seed {seed}) in {took:.1f} s")
    raws = [r.raw for r in corpus]
    hints = [r.region_hint for r in corpus]
    # The libraries get what analyze() gives them: the cleaned text and the region.
    texts = [(clean(raw).text, hint or "US") for raw, hint in zip(raws, hints, strict=True)]
    fast, reference = fast_backend(), reference_backend()
    if fast is None:
        raise SystemExit("rphonenumbers is not installed: nothing to compare")

    print("\n1. parse + is_valid + E.164 + type + region")
    base = timed("phonenumbers", rows, library_step(phonenumbers, texts))
    timed("rphonenumbers", rows, library_step(fast.library, texts), base)

    print("\n2. adding time zones and carrier")
    for name, lib in (("phonenumbers", phonenumbers), ("rphonenumbers", fast.library)):
        timed(f"{name} + time_zones_for_number", rows, library_step(lib, texts, "library"), base)
        timed(
            f"{name} + prefix-cached time zones", rows, library_step(lib, texts, "prefixes"), base
        )
        timed(
            f"{name} + library time zones + name_for_number",
            rows,
            library_step(lib, texts, "library", "library"),
            base,
        )
        timed(
            f"{name} + prefix-cached time zones + carrier",
            rows,
            library_step(lib, texts, "prefixes", "prefixes"),
            base,
        )

    print("\n3. phonelist analyze(): cleaning, repairs, type, region, time zones, carrier")
    auto = auto_backend()
    results: dict[str, list[Any]] = {}

    def analysis(backend: Any, key: str) -> Callable[[], Any]:
        def run() -> None:
            results[key] = analyze_many(raws, hints, "US", backend=backend)

        return run

    ref_rate = timed("reference (phonenumbers)", rows, analysis(reference, "reference"))
    timed("rphonenumbers alone (not safe: older data)", rows, analysis(fast, "fast"), ref_rate)
    timed(f"default backend ({auto.name})", rows, analysis(auto, "auto"), ref_rate)
    usable = [a.e164 for a in results["auto"] if a.e164]
    timed(
        "national + international formats of the usable rows (fast)",
        len(usable),
        lambda: [number_formats(e, backend=auto) for e in usable],
    )
    if isinstance(auto, RoutedBackend):
        routed = _count_routed(auto, raws, hints)
        share = f"{routed:,} ({routed / rows:.1%})"
        print(f"  reads by the reference (routing table, invalid answers confirmed): {share}")

    print("\n4. agreement with the reference on this corpus (whole analysis)")
    fast_diff = [
        (raw, hint, a, b)
        for raw, hint, a, b in zip(raws, hints, results["fast"], results["reference"], strict=True)
        if a != b
    ]
    auto_diff = sum(a != b for a, b in zip(results["auto"], results["reference"], strict=True))
    print(f"  rphonenumbers alone: {len(fast_diff):,} rows differ")
    for raw, hint, a, b in fast_diff[:8]:
        print(f"    {raw!r} ({hint}): {a.e164} {a.validity} {a.number_type} | reference "
              f"{b.e164} {b.validity} {b.number_type}")  # fmt: skip
    print(f"  default backend (routing table): {auto_diff:,} rows differ")
    missed = sum(a.validity == "valid" for _, _, a, _ in fast_diff)
    not_valid = sum(a.validity != "valid" for a in results["fast"])
    print(
        f"  'confirm every not-valid answer with the reference' would re-read {not_valid:,} rows "
        f"({not_valid / rows:.1%}) and still miss {missed:,} of the differing rows"
    )

    print("\n5. default backend over two worker processes (multiprocessing.Pool(2))")
    chunks = _chunks(raws, hints, 8)
    context = multiprocessing.get_context("fork")
    with context.Pool(2) as pool:
        timed(
            "Pool(2).map(analyze_many), results sent back",
            rows,
            lambda: pool.map(_pool_chunk, chunks),
        )


def _count_routed(backend: RoutedBackend, raws: list[str], hints: list[str | None]) -> int:
    """How many reference reads one analyze_many() pass makes (routing and confirmations)."""
    calls = 0
    original = backend.reference.read

    def counting(text: str, region: str | None, **options: Any) -> Any:
        nonlocal calls
        calls += 1
        return original(text, region, **options)

    backend.reference.read = counting  # type: ignore[method-assign]
    try:
        analyze_many(raws, hints, "US", backend=backend)
    finally:
        del backend.reference.read
    return calls


def _chunks(
    raws: Sequence[str], hints: Sequence[str | None], count: int
) -> list[tuple[list[str], list[str | None]]]:
    size = -(-len(raws) // count)
    return [
        (list(raws[i : i + size]), list(hints[i : i + size])) for i in range(0, len(raws), size)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="runs per step (best kept)")
    parser.add_argument(
        "--diff-data",
        metavar="OLD_SITE",
        type=Path,
        help="write src/phonelist/numbers/_routing_data.py from this phonenumbers release",
    )
    args = parser.parse_args(argv)
    if args.diff_data:
        table = write_table(args.diff_data)
        print(f"{table['fast']} -> {table['reference']}: {len(table['changed'])} regions changed")
        return 0
    RUNS["repeat"] = max(1, args.repeat)
    measure(args.rows, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
