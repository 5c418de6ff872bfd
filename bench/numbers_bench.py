"""Measure number analysis: phonenumbers against rphonenumbers, and phonelist's own layers.

    python bench/numbers_bench.py --rows 200000            # the measurements, one run
    python bench/numbers_bench.py --diff-data OLD_SITE     # regenerate the routing table
    python bench/numbers_bench.py --fuzz 1000000 --seed 1  # compare backends on generated text

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

``--fuzz N`` compares the default backend with the reference on N generated texts, whole
analysis and each parser reading, and prints every difference (see :func:`fuzz`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import platform
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import phonenumbers
from phonenumbers import carrier as pn_carrier
from phonenumbers import timezone as pn_timezone

from bench.messy import COUNTRIES, make_row, messy_rows
from bench.numbers_diff import write_table
from phonelist.numbers import (
    analyze,
    analyze_many,
    auto_backend,
    number_formats,
    reference_backend,
)
from phonelist.numbers.analyze import clear_cache, region_code
from phonelist.numbers.backends import RoutedBackend, fast_backend, is_plain
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
            clear_cache()  # each run starts cold: repeats within the rows still hit
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
        print(f"  reads by the reference (routing table, confirmations): {share}")

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
    clear_cache()
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


# -- fuzzing: the default backend against the reference on generated text ------------------
_PLAIN_CHARS = "0123456789" * 3 + "+ ().-/"
_SEPARATORS = " ().-/"
_MARKS = (";", ",", ",,", "#", "x", " x ", "ext", " ext. ", ";ext=", "~", "*", " int ", "e")
_ODD = "\u0660\u0661\u06f5\u0966\uff10\uff15\uff0b\u00a0\u3000\u2013\u00b2\u00bdA\u00e9\u0434"
FAMILIES = (
    "plain_short",  # anything over digits, separators and +
    "international",  # +, 00, 011... and a real calling code, random national digits
    "national",  # a region's example numbers as written there, digits redrawn or cut
    "zeros",  # runs of leading zeros
    "long",  # digits and separators, up to 250 characters
    "extension",  # a few digits, an extension mark, a few digits
    "messy",  # bench/messy.py rows
    "mutated",  # messy rows with characters inserted, deleted or replaced
)


@cache
def _templates() -> dict[str, tuple[str, ...]]:
    """For each region, its example numbers written nationally and from abroad."""
    found: dict[str, tuple[str, ...]] = {}
    regions = sorted(phonenumbers.SUPPORTED_REGIONS)
    for region in regions:
        texts = []
        for kind in range(11):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            texts.append(
                phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
            )
            texts.append(phonenumbers.national_significant_number(example))
            for other in ("US", "GB", "RU", "AU", "JP", "BR", region):
                texts.append(phonenumbers.format_out_of_country_calling_number(example, other))
            texts.append(phonenumbers.format_national_number_with_carrier_code(example, "15"))
        found[region] = tuple(t for t in texts if t)
    return found


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


def _sprinkled(rng: random.Random, text: str, rate: float = 0.15) -> str:
    out = []
    for char in text:
        if rng.random() < rate:
            out.append(rng.choice(_SEPARATORS) * rng.choice((1, 1, 2)))
        out.append(char)
    return "".join(out)


def _redrawn(rng: random.Random, text: str) -> str:
    """Some digits of the text redrawn, dropped or added."""
    chars = list(text)
    for _ in range(rng.randint(0, 4)):
        at = rng.randrange(len(chars) + 1)
        roll = rng.random()
        if roll < 0.5 and at < len(chars) and chars[at].isdigit():
            chars[at] = rng.choice("0123456789")
        elif roll < 0.75 and at < len(chars):
            del chars[at]
        else:
            chars.insert(at, rng.choice("0123456789"))
    return "".join(chars)


def fuzz_text(rng: random.Random, family: str) -> tuple[str, str | None]:
    """One generated raw value of ``family`` and the region hint to read it with."""
    regions = sorted(phonenumbers.SUPPORTED_REGIONS)
    roll = rng.random()
    hint = rng.choice(regions) if roll < 0.6 else rng.choice(COUNTRIES) if roll < 0.9 else None
    if family == "plain_short":
        return "".join(rng.choice(_PLAIN_CHARS) for _ in range(rng.randint(0, 12))), hint
    if family == "international":
        lead = rng.choice(("+", "+", "00", "011", "+ ", "(+", "+(", "", "0", "8 10", "0011", "++"))
        code = str(rng.choice(list(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)))
        middle = rng.choice(("", "", "0", "(0)", " ", "-", "00"))
        return _sprinkled(rng, lead + code + middle + _digits(rng, rng.randint(0, 18))), hint
    if family == "national":
        region = rng.choice(regions)
        template = rng.choice(_templates()[region] or ("0",))
        text = _redrawn(rng, template)
        return text, region if rng.random() < 0.8 else hint
    if family == "zeros":
        lead = rng.choice(("", "+", "+39", "+57", "00", "0", "+44", "+1"))
        text = lead + "0" * rng.randint(1, 17) + _digits(rng, rng.randint(0, 4))
        return _sprinkled(rng, text, 0.05), hint
    if family == "long":
        size = rng.choice((18, 20, 30, 60, 120, 249, 250, 251))
        return "".join(rng.choice(_PLAIN_CHARS) for _ in range(size)), hint
    if family == "extension":
        body = rng.choice(("", "+", "00", "0")) + _digits(rng, rng.randint(0, 4))
        return body + rng.choice(_MARKS) + _digits(rng, rng.randint(0, 5)), hint
    row = make_row(rng)
    if family == "messy":
        return row.raw, row.region_hint
    chars = list(row.raw)
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(chars) + 1)
        new = rng.choice(_ODD + _PLAIN_CHARS + "".join(_MARKS))
        if at < len(chars) and rng.random() < 0.5:
            chars[at] = new
        elif at < len(chars) and rng.random() < 0.5:
            del chars[at]
        else:
            chars.insert(at, new)
    return "".join(chars), row.region_hint


def _fuzz_chunk(args: tuple[int, int]) -> dict[str, Any]:
    """Compare the backends on ``count`` texts of every family, seeded by ``seed``."""
    count, seed = args
    rng = random.Random(seed)
    auto, reference = auto_backend(), reference_backend()
    checked: Counter[str] = Counter()
    differences: list[tuple[str, str, str | None, str, str]] = []
    for index in range(count):
        family = FAMILIES[index % len(FAMILIES)]
        raw, hint = fuzz_text(rng, family)
        got, want = analyze(raw, hint), analyze(raw, hint, backend=reference)
        checked[family] += 1
        if got != want:
            differences.append(("analysis", family, hint, raw, f"{got} | reference {want}"))
        cleaned = clean(raw)
        if cleaned.reason is None:
            region = region_code(hint) or "US"
            fast, slow = auto.read(cleaned.text, region), reference.read(cleaned.text, region)
            checked["readings" + (" (plain text)" if is_plain(cleaned.text) else "")] += 1
            if fast != slow:
                differences.append(("reading", family, region, cleaned.text, f"{fast} | {slow}"))
    return {"checked": checked, "differences": differences}


def fuzz(count: int, seed: int, workers: int) -> int:
    """Generated texts of every family: the default backend must answer as the reference."""
    print(machine())
    started = time.perf_counter()
    chunks = [(count // workers + (i < count % workers), seed * 1000 + i) for i in range(workers)]
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        results = pool.map(_fuzz_chunk, chunks)
    checked = sum((r["checked"] for r in results), Counter())
    differences = [d for r in results for d in r["differences"]]
    took = time.perf_counter() - started
    print(f"{count:,} texts (seed {seed}, {workers} workers) in {took:.0f} s")
    for name, done in sorted(checked.items()):
        print(f"  {name:<28} {done:>10,}")
    print(f"differences: {len(differences):,}")
    for level, family, region, text, detail in differences[:40]:
        print(f"  {level} {family} {text!r} ({region}): {detail}")
    return 1 if differences else 0


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
    parser.add_argument("--fuzz", metavar="N", type=int, help="compare the backends on N texts")
    parser.add_argument("--workers", type=int, default=2, help="processes for --fuzz")
    args = parser.parse_args(argv)
    if args.fuzz:
        return fuzz(args.fuzz, args.seed, max(1, args.workers))
    if args.diff_data:
        table = write_table(args.diff_data)
        print(f"{table['fast']} -> {table['reference']}: {len(table['changed'])} regions changed")
        return 0
    RUNS["repeat"] = max(1, args.repeat)
    measure(args.rows, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
