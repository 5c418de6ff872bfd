"""``phonelist consent disclosure|review ...``: consent texts and the ambiguous-reply queue."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from phonelist.cli.context import open_core
from phonelist.cli.output import JsonFlag, UsageProblem, emit_json, guarded, read_stdin, stdout
from phonelist.consent.service import DisclosureOut
from phonelist.errors import ValidationError

__all__ = ["disclosure_app", "review_app"]

disclosure_app = typer.Typer(
    name="disclosure",
    help="Versioned consent texts: what a person saw when they consented (C1, C2).",
    no_args_is_help=True,
)
review_app = typer.Typer(
    name="review",
    help="Ambiguous replies waiting for a person's decision (O2).",
    no_args_is_help=True,
)

MAX_FILE_BYTES = 1_000_000


class Resolution(StrEnum):
    OPT_OUT = "opt_out"
    NOT_OPT_OUT = "not_opt_out"


class ReviewStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


@disclosure_app.command("add")
@guarded
def add(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME", help="The disclosure's name; adding it again makes a new version."
        ),
    ],
    text: Annotated[
        str | None,
        typer.Option("--text", metavar="TEXT", help="The exact text shown to people."),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file", metavar="FILE", help="Read the text from a UTF-8 file ('-' for stdin)."
        ),
    ] = None,
    language: Annotated[
        str | None,
        typer.Option("--language", metavar="L", help="The text's language, e.g. en or pt."),
    ] = None,
    automated_marketing: Annotated[
        bool,
        typer.Option(
            "--automated-marketing",
            help="The text says the person agrees to receive automated marketing (C1).",
        ),
    ] = False,
    not_condition_of_purchase: Annotated[
        bool,
        typer.Option(
            "--not-condition-of-purchase",
            help="The text says consent is not a condition of purchase (C1).",
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Register a version of the text shown when consent is asked; versions never change.

    Grants that name this disclosure point at its newest version and keep its text and
    SHA-256. Only a text declared with both --automated-marketing and
    --not-condition-of-purchase makes marketing consent written consent (C1).
    """
    if (text is None) == (file is None):
        raise UsageProblem("give the text with exactly one of --text and --file")
    if file is not None:
        text = _read_text(file)
    assert text is not None
    with open_core(ctx) as core:
        added = core.consent.add_disclosure(
            core.cli_actor(),
            name,
            text,
            language=language,
            automated_marketing=automated_marketing,
            not_condition_of_purchase=not_condition_of_purchase,
        )
    if as_json:
        emit_json(added)
        return
    stdout().print(
        Text(
            f"Added disclosure {added.name} version {added.version} ({added.id}), "
            f"sha256 {added.sha256}; written consent (C1): {_yes(_attests(added))}.",
            style="green",
        )
    )


@disclosure_app.command("list")
@guarded
def list_disclosures(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List every disclosure version: name@version, id, hash, language, C1 statements.

    --json also prints each text.
    """
    with open_core(ctx) as core:
        disclosures = core.consent.disclosures(core.cli_actor())
    if as_json:
        emit_json(disclosures)
        return
    if not disclosures:
        stdout().print("no disclosures")
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    table.add_column("disclosure", overflow="fold")
    table.add_column("id", no_wrap=True)
    table.add_column("sha256", no_wrap=True)
    table.add_column("language", overflow="fold")
    table.add_column("written (C1)", overflow="fold")
    for item in disclosures:
        table.add_row(
            Text(f"{item.name}@{item.version}"),
            item.id,
            item.sha256[:12],
            Text(item.language or ""),
            _yes(_attests(item)),
        )
    stdout().print(table)


@review_app.command("list")
@guarded
def list_reviews(
    ctx: typer.Context,
    status: Annotated[
        ReviewStatus,
        typer.Option("--status", case_sensitive=False, help="Which items to list."),
    ] = ReviewStatus.OPEN,
    as_json: JsonFlag = False,
) -> None:
    """List ambiguous replies by due date (10 US business days after receipt, O2/O4)."""
    with open_core(ctx) as core:
        items = core.inbound.reviews(core.cli_actor(), status=status.value)
    if as_json:
        emit_json(items)
        return
    if not items:
        stdout().print(f"no {status.value} review items")
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    table.add_column("id", no_wrap=True)
    for column in ("keyword", "received (UTC)", "due (UTC)", "policy", "status", "resolution"):
        table.add_column(column, overflow="fold")
    for item in items:
        table.add_row(
            item.id,
            Text(item.keyword or ""),
            _utc(item.received_at),
            _utc(item.due_at),
            item.policy,
            item.status,
            item.resolution or "",
        )
    stdout().print(table)


@review_app.command("resolve")
@guarded
def resolve(
    ctx: typer.Context,
    review_id: Annotated[str, typer.Argument(metavar="ID", help="The review item's id.")],
    resolution: Annotated[
        Resolution,
        typer.Option(
            "--as",
            case_sensitive=False,
            help="opt_out: the reply was an opt-out; not_opt_out: it was not. An opt-out "
            "already applied by the default policy stays until the person opts in again.",
        ),
    ],
    as_json: JsonFlag = False,
) -> None:
    """Decide an ambiguous reply; under the 'hold' policy opt_out revokes now."""
    with open_core(ctx) as core:
        item = core.inbound.resolve(core.cli_actor(), review_id, resolution.value)
    if as_json:
        emit_json(item)
        return
    stdout().print(Text(f"Resolved review {item.id} as {item.resolution}.", style="green"))


@review_app.command("overdue")
@guarded
def overdue(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Treat held replies past their deadline as opt-outs (O4); run it daily under 'hold'."""
    with open_core(ctx) as core:
        items = core.inbound.apply_overdue(core.cli_actor())
    if as_json:
        emit_json(items)
        return
    stdout().print(f"{len(items)} overdue review item(s) applied as opt-outs")


def _read_text(file: Path) -> str:
    if str(file) == "-":
        return read_stdin()
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ValidationError(f"cannot read {file}: {exc.strerror}", field="file") from None
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError(f"{file} is larger than {MAX_FILE_BYTES} bytes", field="file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"{file} is not valid UTF-8 (byte {exc.start})", field="file"
        ) from None


def _attests(item: DisclosureOut) -> bool:
    return item.automated_marketing and item.not_condition_of_purchase


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _utc(value: dt.datetime) -> str:
    return f"{value.astimezone(dt.UTC):%Y-%m-%d %H:%M}"
