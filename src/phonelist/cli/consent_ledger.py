"""``phonelist consent verify|rebuild|evidence``: check the ledger and build proof packs."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from phonelist.cli.consent_input import Number
from phonelist.cli.context import open_core
from phonelist.cli.output import JsonFlag, emit_json, guarded, stdout
from phonelist.clock import utcnow
from phonelist.consent.evidence import (
    build_evidence,
    rebuild_state,
    render_evidence,
    verify_ledger,
)
from phonelist.errors import ValidationError

__all__ = ["LEDGER_BROKEN_EXIT", "evidence", "rebuild", "show_verification", "verify"]

# Listed in phonelist.cli.output.EXIT_CODES (and so in docs/cli.md).
LEDGER_BROKEN_EXIT = 10


@guarded
def verify(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Check that no consent record was edited, deleted or reordered since it was written.

    Walks the hash chain of every record of the workspace. Exits 0 when the chain holds,
    10 when it does not, after printing each problem (each names the record).
    """
    with open_core(ctx) as core:
        report = verify_ledger(core.consent, core.cli_actor())
    data = {"ok": report.ok, "records": report.records, "problems": report.problems}
    problems = [f"problem: {problem}" for problem in report.problems]
    show_verification("ledger", f"{report.records} records", problems, data, as_json=as_json)


def show_verification(
    name: str, walked: str, problems: Sequence[str], data: object, *, as_json: bool
) -> None:
    """Print a hash chain's verification, or ``data`` as JSON; exit 10 when it is broken.

    Shared by 'consent verify' and 'audit verify': ``walked`` counts what the walk read
    (e.g. "12 records"), ``problems`` are the lines to print, one per problem.
    """
    if as_json:
        emit_json(data)
    elif not problems:
        stdout().print(Text(f"{name} ok: {walked}, chain intact", style="green"))
    else:
        console = stdout()
        for problem in problems:
            console.print(Text(problem, style="red"))
        console.print(Text(f"{name} BROKEN: {len(problems)} problems in {walked}"))
    if problems:
        raise typer.Exit(LEDGER_BROKEN_EXIT)


@guarded
def rebuild(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Recompute every number's current consent state from the ledger records.

    The state is a cache of the records kept for speed; this replaces it in one transaction
    and prints how many state rows differed (0 when cache and ledger agreed).
    """
    with open_core(ctx) as core:
        changed = rebuild_state(core.consent, core.cli_actor())
    if as_json:
        emit_json({"changed": changed})
    else:
        stdout().print(Text(f"consent state rebuilt from the ledger: {changed} rows differed"))


@guarded
def evidence(
    ctx: typer.Context,
    number: Number,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="DIR",
            help="Write evidence-<digits>.json and evidence-<digits>.md into DIR (created if "
            "missing; files are readable by their owner only).",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Build the proof pack of NUMBER: every record with all its evidence, the disclosures
    shown, suppressions, the current state and a verification of the ledger.

    Without --out the Markdown version is printed (the JSON one with --json). The pack holds
    personal data (IP addresses, user agents); building it is audited.
    """
    if out is not None and out.exists() and not out.is_dir():
        raise ValidationError(f"--out {out} is not a directory", field="out")
    with open_core(ctx) as core:
        pack = build_evidence(
            core.consent, core.cli_actor(), number, utcnow(), keywords=core.keywords
        )
    if not pack["ledger"]["ok"]:
        typer.echo(
            "warning: the ledger chain is broken; 'phonelist consent verify' lists the problems",
            err=True,
        )
    if out is None:
        if as_json:
            emit_json(pack)
        else:
            typer.echo(render_evidence(pack))
        return
    out.mkdir(parents=True, exist_ok=True)
    stem = "evidence-" + "".join(c for c in pack["number"] if c.isdigit())
    json_path, md_path = out / f"{stem}.json", out / f"{stem}.md"
    _write_private(json_path, json.dumps(pack, ensure_ascii=False, indent=2) + "\n")
    _write_private(md_path, render_evidence(pack))
    if as_json:
        emit_json({"number": pack["number"], "files": [str(json_path), str(md_path)]})
    else:
        stdout().print(Text(f"wrote {json_path}\nwrote {md_path}"))


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600: the pack holds personal data."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.chmod(path, 0o600)  # an existing file keeps its mode on open: tighten it
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
