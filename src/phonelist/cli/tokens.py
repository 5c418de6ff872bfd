"""``phonelist tokens ...``: API tokens for the REST API, scoped to a role."""

from __future__ import annotations

import datetime as dt
import inspect
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from phonelist.cli.context import open_core
from phonelist.cli.output import (
    JsonFlag,
    UsageProblem,
    emit_json,
    guarded,
    show_secret,
    stdout,
    timestamp,
)
from phonelist.security.permissions import Role
from phonelist.security.tokens import TokenInfo, TokenService

__all__ = ["app"]

DEFAULT_EXPIRY_DAYS = inspect.signature(TokenService.create).parameters["expires_in_days"].default

app = typer.Typer(name="tokens", help="Create, list and revoke API tokens.", no_args_is_help=True)


@app.command("create")
@guarded
def create(
    ctx: typer.Context,
    role: Annotated[
        Role,
        typer.Option("--role", case_sensitive=False, help="What the token may do."),
    ],
    name: Annotated[
        str, typer.Option("--name", metavar="TEXT", help="What the token is for, e.g. 'crm sync'.")
    ],
    expires_days: Annotated[
        int | None,
        typer.Option(
            "--expires-days",
            metavar="N",
            help=f"Days until the token expires (1 to 3650; {DEFAULT_EXPIRY_DAYS} if not given).",
        ),
    ] = None,
    no_expiry: Annotated[
        bool,
        typer.Option(
            "--no-expiry", metavar="", help="The token never expires (revoke it instead)."
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Create an API token and print its secret, which is shown only this once."""
    if no_expiry and expires_days is not None:
        raise UsageProblem("--expires-days and --no-expiry contradict each other")
    expiry: dict[str, Any] = {}
    if no_expiry:
        expiry["expires_in_days"] = None
    elif expires_days is not None:
        expiry["expires_in_days"] = expires_days
    with open_core(ctx) as core:
        info, secret = core.tokens.create(core.cli_actor(), name, role, **expiry)
    if as_json:
        emit_json({"token": info, "secret": secret})
        return
    expires = f"expires {timestamp(info.expires_at)} UTC" if info.expires_at else "never expires"
    stdout().print(
        Text(f"Created token {info.id} ({info.name}): role {info.role}, {expires}.", style="green")
    )
    show_secret("Secret", secret)


@app.command("list")
@guarded
def list_(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List API tokens (never their secrets): id, name, role, prefix, dates."""
    with open_core(ctx) as core:
        tokens = core.tokens.all(core.cli_actor())
    if as_json:
        emit_json(tokens)
        return
    if not tokens:
        stdout().print("no tokens")
        return
    stdout().print(token_table(tokens))


@app.command("revoke")
@guarded
def revoke(
    ctx: typer.Context,
    token_id: Annotated[str, typer.Argument(metavar="ID", help="The token's id.")],
    as_json: JsonFlag = False,
) -> None:
    """Revoke an API token: it stops working at once. Revoking twice is harmless."""
    with open_core(ctx) as core:
        info = core.tokens.revoke(core.cli_actor(), token_id)
    if as_json:
        emit_json(info)
    else:
        stdout().print(Text(f"Revoked token {info.id} ({info.name})."))


def token_table(tokens: list[TokenInfo]) -> Table:
    """Dates only, so that the table fits a terminal; --json has the exact times."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    table.add_column("id", no_wrap=True)
    for column in ("name", "role", "prefix", "validity", "last used"):
        table.add_column(column, overflow="fold")
    for token in tokens:
        if token.revoked_at is not None:
            validity = f"revoked {_day(token.revoked_at)}"
        elif token.expires_at is not None:
            validity = f"until {_day(token.expires_at)}"
        else:
            validity = "no expiry"
        table.add_row(
            Text(token.id),
            Text(token.name),
            Text(token.role),
            Text(token.prefix),
            Text(validity),
            Text(_day(token.last_used_at) or "never"),
        )
    return table


def _day(value: dt.datetime | None) -> str:
    return f"{value:%Y-%m-%d}" if value is not None else ""
