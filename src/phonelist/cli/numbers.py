"""``phonelist numbers ...``: what phonelist can tell about a phone number."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from phonelist.cli.context import open_core, settings_of
from phonelist.cli.output import JsonFlag, emit_json, guarded, stdout, timestamp
from phonelist.errors import ConfigError, ValidationError
from phonelist.lookup import LineCheck, LookupSettings, build_line_checks
from phonelist.numbers import REASONS, Analysis, analyze_many, auto_backend

__all__ = ["app"]

app = typer.Typer(name="numbers", help="Analyse phone numbers.", no_args_is_help=True)

MAX_ZONES_SHOWN = 4
_STYLES = {"valid": "green", "possible": "yellow", "invalid": "red"}


@app.command("check")
@guarded
def check(
    ctx: typer.Context,
    numbers: Annotated[
        list[str],
        typer.Argument(metavar="NUMBER...", help="Numbers as written, e.g. '+351 912 345 678'."),
    ],
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            metavar="XX",
            help="Region for numbers without + (default: the default_region setting).",
        ),
    ] = None,
    live: Annotated[
        bool,
        typer.Option(
            "--live",
            metavar="",
            help="Also ask the configured line-check provider (costs credit; cached).",
        ),
    ] = False,
    reassigned_since: Annotated[
        dt.datetime | None,
        typer.Option(
            "--reassigned-since",
            metavar="YYYY-MM-DD",
            formats=["%Y-%m-%d"],
            help="With --live: ask whether the line changed hands since this date.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Show the E.164 form, validity, type, region, carrier, time zones and formats of numbers.

    Nothing is stored and no data directory is needed (except with --live). Exits 0 when every
    number is valid or possible, 5 when any is invalid (all are shown first).
    """
    settings = settings_of(ctx)
    default_region = settings.default_region
    if region is not None and len(region.strip()) != 2:
        raise ValidationError("--region must be a two-letter code such as PT", field="region")
    analyses = analyze_many(numbers, [region] * len(numbers), default_region)
    since = reassigned_since.date() if reassigned_since is not None else None
    if since is not None and not live:
        raise ValidationError("--reassigned-since needs --live", field="reassigned_since")
    checks = _live_checks(ctx, analyses, since) if live else [None] * len(analyses)
    if as_json:
        items = []
        for found, line in zip(analyses, checks, strict=True):
            item = found.as_dict()
            item["live"] = _line_dict(line) if live else None
            items.append(item)
        emit_json({"numbers": items, "backend": auto_backend().name})
    else:
        console = stdout()
        for position, (found, line) in enumerate(zip(analyses, checks, strict=True)):
            if position:
                console.print()
            console.print(_card(found, line))
    unusable = sum(found.validity == "invalid" for found in analyses)
    if unusable:
        typer.echo(f"{unusable} of {len(analyses)} numbers are not usable", err=True)
        raise typer.Exit(ValidationError.exit_code)


def _live_checks(
    ctx: typer.Context, analyses: list[Analysis], since: dt.date | None
) -> list[LineCheck | None]:
    settings = settings_of(ctx)
    config = LookupSettings.from_settings(settings)
    if not config.configured:
        raise ConfigError(
            "live line checks are not configured: set lookup_provider = 'twilio', "
            "twilio_account_sid and twilio_auth_token (see docs/numbers.md)"
        )
    results: list[LineCheck | None] = []
    with open_core(ctx) as core:
        service = build_line_checks(config, core.store, core.keyring)
        assert service is not None  # configured above
        try:
            for found in analyses:
                if found.e164 is None:
                    results.append(None)
                    continue
                results.append(service.check(core.cli_actor(), found.e164, reassigned_since=since))
        finally:
            service.close()
    return results


def _card(found: Analysis, line: LineCheck | None) -> RenderableType:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")

    def row(label: str, value: str | Text | None) -> None:
        if value:
            grid.add_row(label, value if isinstance(value, Text) else Text(value))

    validity = Text(found.validity, style=_STYLES.get(found.validity, ""))
    if found.reason is not None:
        validity.append(f" ({REASONS.get(found.reason, found.reason)})", style="default")
    row("E.164", found.e164 or "-")
    row("validity", validity)
    if found.e164 is not None:
        row("type", found.number_type.replace("_", " "))
        where = found.region or "-"
        row("region", f"{where} (+{found.country_code})" if found.country_code else where)
        row("carrier", found.carrier)
        row("time zones", _zones(found.time_zones))
        row("national", found.national)
        row("international", found.international)
        row("extension", found.extension)
    row("repaired", ", ".join(r.replace("_", " ") for r in found.repairs))
    if line is not None:
        row("line type", (line.line_type or "unknown").replace("_", " "))
        row("line active", _yes_no(line.active))
        if line.reassigned_since is not None:
            row(f"reassigned since {line.reassigned_since}", _yes_no(line.reassigned))
        source = "cached" if line.from_cache else "live"
        row("checked", f"{timestamp(line.checked_at)} UTC ({line.provider}, {source})")
    return Group(Text(found.raw, style="bold underline"), grid)


def _zones(zones: tuple[str, ...]) -> str:
    if len(zones) <= MAX_ZONES_SHOWN:
        return ", ".join(zones)
    shown = ", ".join(zones[: MAX_ZONES_SHOWN - 1])
    return f"{shown} and {len(zones) - MAX_ZONES_SHOWN + 1} more"


def _yes_no(value: bool | None) -> str:
    return "unknown" if value is None else "yes" if value else "no"


def _line_dict(line: LineCheck | None) -> dict[str, Any] | None:
    if line is None:
        return None
    return {
        "provider": line.provider,
        "line_type": line.line_type,
        "carrier": line.carrier,
        "active": line.active,
        "reassigned": line.reassigned,
        "reassigned_since": line.reassigned_since,
        "checked_at": line.checked_at,
        "from_cache": line.from_cache,
    }
