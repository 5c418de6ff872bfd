"""The ``phonelist`` command: a thin face over the core (see docs/cli.md).

Each command parses its options, builds a command or a dict, calls the core and renders the
result; errors become one line on stderr and an exit code (:mod:`phonelist.cli.output`).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Annotated

import typer

from phonelist import __version__
from phonelist.cli import (
    audit,
    backup,
    campaigns,
    consent,
    contacts,
    fields,
    imports,
    inbound,
    keys,
    messages,
    numbers,
    policy,
    privacy,
    privacy_requests,
    retention,
    segments,
    statuses,
    suppress,
    system,
    tokens,
    users,
)
from phonelist.cli.context import CliState
from phonelist.cli.export import export
from phonelist.cli.output import EXIT_CODES
from phonelist.cli.worker import worker

__all__ = ["app", "main"]

EPILOG = "Exit codes: " + ", ".join(f"{code} {name}" for code, name, _ in EXIT_CODES) + "."

app = typer.Typer(
    name="phonelist",
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"phonelist {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            metavar="PATH",
            help="Data directory (keys, SQLite database, phonelist.toml); "
            "overrides PHONELIST_DATA_DIR.",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            metavar="",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Keep a phone number list with encrypted personal data.

    Settings come from PHONELIST_* environment variables and phonelist.toml in the data
    directory. Every command takes --json for machine-readable output.
    """
    ctx.obj = CliState(data_dir=data_dir)


app.command("init")(system.init)
app.command("serve")(system.serve)
app.command("worker")(worker)
app.command("search")(contacts.search)
app.command("export")(export)
app.command("import")(imports.run_import)
app.add_typer(contacts.app)
app.add_typer(segments.app)
app.add_typer(tokens.app)
app.add_typer(users.app)
app.add_typer(fields.app)
app.add_typer(keys.app)
app.add_typer(statuses.app)
app.add_typer(numbers.app)
app.add_typer(imports.app)
app.command("inbound")(inbound.inbound)
app.add_typer(consent.app)
app.add_typer(policy.app)
app.add_typer(suppress.app)
app.add_typer(suppress.dnc_app)
app.add_typer(backup.app)
app.add_typer(audit.app)
app.add_typer(privacy.app)
privacy.app.add_typer(privacy_requests.app)
app.add_typer(retention.app)
app.add_typer(campaigns.app)
app.add_typer(messages.app)


def main() -> None:
    """Console-script entry point."""
    for stream in (sys.stdout, sys.stderr):
        # Never die on output that the terminal's encoding cannot show: escape it instead.
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    app()
