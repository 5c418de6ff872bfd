"""``phonelist privacy export|erase``: answer access (P1) and erasure (P2) requests."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from phonelist.cli.context import open_core
from phonelist.cli.output import JsonFlag, UsageProblem, emit_json, guarded, stdout
from phonelist.clock import utcnow
from phonelist.errors import ValidationError
from phonelist.privacy import render_html
from phonelist.privacy.erase import ERASURE_REASONS

__all__ = ["app"]

app = typer.Typer(
    name="privacy",
    help="Answer privacy requests: export everything held about a person, or erase it.",
    no_args_is_help=True,
)

FORMATS = ("json", "html")


@app.command("export")
@guarded
def export(
    ctx: typer.Context,
    subject: Annotated[
        str,
        typer.Argument(
            metavar="NUMBER|CONTACT_ID",
            help="The person's phone number (E.164, or national in the workspace's region) "
            "or their contact id.",
        ),
    ],
    format_: Annotated[
        str,
        typer.Option("--format", metavar="json|html", help="JSON (the default) or an HTML page."),
    ] = "json",
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="The file to write, or - for standard output. Default: "
            "phonelist-privacy-ID-YYYY-MM-DD.json (or .html) in the current directory.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", metavar="", help="Overwrite FILE if it exists.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Export everything phonelist holds about a person: the contact with every value
    decrypted, consent records with their evidence, consent state, suppressions, registries,
    opt-in requests, review items, messages in and out, and the ids of the audit events about
    them. Owners and admins only (privacy.manage); each export is audited.

    The file holds personal data: it is written readable by its owner only. Send it to the
    person through a channel you trust.
    """
    kind = format_.strip().lower()
    if kind not in FORMATS:
        raise UsageProblem(f"--format must be json or html, not {format_!r}")
    to_stdout = output == "-"
    if to_stdout and as_json:
        raise UsageProblem("--json prints a summary on stdout, so it cannot go with --output -")
    if output is not None and not to_stdout:
        _check_free(Path(output), force)  # before exporting: an export is audited
    with open_core(ctx) as core:
        data = core.privacy.export(core.cli_actor(), subject)
    text = (
        render_html(data)
        if kind == "html"
        else json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    )
    if to_stdout:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path = Path(output or _default_name(data["subject"]["id"], kind, utcnow()))
    _write_private(path, text, force)
    if as_json:
        emit_json({"file": str(path), "format": kind, "subject": data["subject"]})
    else:
        stdout().print(Text(f"wrote {path}"))


@app.command("erase")
@guarded
def erase(
    ctx: typer.Context,
    subject: Annotated[
        str,
        typer.Argument(
            metavar="NUMBER|CONTACT_ID",
            help="The person's phone number (E.164, or national in the workspace's region) "
            "or their contact id.",
        ),
    ],
    reason: Annotated[
        str,
        typer.Option("--reason", metavar="request|retention|other", help="Why (audited)."),
    ] = "request",
    request: Annotated[
        str | None,
        typer.Option("--request", metavar="ID", help="The privacy request this answers."),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", metavar="", help="Do not ask for confirmation.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Erase a person: the contact with all its numbers, emails, notes and custom fields,
    messages, opt-in requests, review items, line checks and import rejects are deleted, and
    the personal values of consent records (number, IP, user agent, free evidence) are wiped.
    Each number stays suppressed by its keyed hash, for good; the ledger still verifies.
    Owners and admins only (privacy.manage); the erasure is audited. It cannot be undone.
    """
    if reason not in ERASURE_REASONS:
        raise UsageProblem(f"--reason must be one of {', '.join(ERASURE_REASONS)}, not {reason!r}")
    if not yes:
        if not sys.stdin.isatty():
            raise UsageProblem("erasing cannot be undone: pass --yes to confirm")
        typer.confirm("Erase this person's data for good? This cannot be undone", abort=True)
    with open_core(ctx) as core:
        report = core.erasure.erase(core.cli_actor(), subject, reason=reason, request_id=request)
    if as_json:
        emit_json(report.as_dict())
        return
    what = "contact " + report.subject_id if report.subject_type == "contact" else "the number"
    stdout().print(
        Text(
            f"erased {what}: {report.contacts} contact(s), {report.messages} message(s), "
            f"{report.consent_records_redacted} consent record(s) wiped, "
            f"{report.import_rejects} import reject(s); {report.numbers} number(s) stay "
            "suppressed by their keyed hash",
            style="green",
        )
    )


def _default_name(subject_id: str, kind: str, now: dt.datetime) -> str:
    return f"phonelist-privacy-{subject_id}-{now.date().isoformat()}.{kind}"


def _check_free(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise UsageProblem(f"{path} already exists; pass --force to overwrite it")


def _write_private(path: Path, text: str, force: bool) -> None:
    """Write ``text`` with mode 0600 (it is personal data); never replace a file unless forced."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        descriptor = os.open(path, flags, 0o600)
    except FileExistsError:
        raise UsageProblem(f"{path} already exists; pass --force to overwrite it") from None
    except OSError as exc:
        raise ValidationError(
            f"cannot write {path}: {exc.strerror or type(exc).__name__}",
            field="output",
            code="output_unwritable",
        ) from None
    os.chmod(path, 0o600)  # an existing file keeps its mode on open: tighten it
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
