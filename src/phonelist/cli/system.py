"""``phonelist init`` and ``phonelist serve``."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer
from rich.text import Text

from phonelist.bootstrap import InitResult, initialize, is_initialized
from phonelist.cli.context import open_core, settings_of
from phonelist.cli.output import JsonFlag, emit_json, guarded, is_interactive, read_stdin, stdout
from phonelist.config import Settings
from phonelist.core import DEFAULT_WORKSPACE
from phonelist.errors import ValidationError

__all__ = ["init", "serve"]


@guarded
def init(
    ctx: typer.Context,
    owner: Annotated[
        str, typer.Option("--owner", metavar="USERNAME", help="User name of the first owner.")
    ] = "owner",
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            metavar="",
            help="Read the owner's password from the first line of stdin.",
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Create the data directory, encryption keys, database schema and first owner.

    At a terminal you are asked for the owner's password (twice); otherwise one is generated
    and printed once. Running init again only adds what is missing.
    """
    settings = settings_of(ctx)
    password: str | None = None
    if password_stdin:
        password = read_stdin().split("\n", 1)[0].removesuffix("\r")
        if not password:
            raise ValidationError("--password-stdin: stdin holds no password", field="password")
    elif is_interactive() and _needs_owner(ctx):
        password = typer.prompt(
            f"Password for {owner}", hide_input=True, confirmation_prompt=True, err=True
        )
    result = initialize(settings, owner_username=owner, owner_password=password)
    show_init(result, settings, as_json=as_json)


def show_init(result: InitResult, settings: Settings, *, as_json: bool) -> None:
    already = (
        not result.created_keys and not result.created_backup_key and result.created_owner is None
    )
    if as_json:
        emit_json({**dataclasses.asdict(result), "already_initialized": already})
        return
    console = stdout()
    if already:
        console.print(
            Text(f"phonelist is already initialised in {result.data_dir}; nothing to do.")
        )
        return
    console.print(Text(f"Initialised phonelist in {result.data_dir}", style="green"))
    console.print(Text(f"  database: {result.database_url}"))
    if result.created_keys or result.created_backup_key:
        console.print(Text(f"  keys:     {settings.resolved_keys_dir}"))
        console.print(Text(_keys_advice(settings), style="bold"))
    if result.created_owner:
        console.print(Text(f"  owner:    {result.created_owner}"))
    if result.generated_password:
        console.print(
            Text(
                f"Password for {result.created_owner} (store it now, it is not shown again):",
                style="bold",
            )
        )
        console.print(Text(result.generated_password))


def _keys_advice(settings: Settings) -> str:
    """Said once, when init creates keys: what to copy away, and why (docs/security.md)."""
    held = ["keyring.json"] if settings.keys_provider == "file" else []
    if settings.backup_key is None:
        held.append("backup.key")
    return (
        f"Copy the keys directory ({' and '.join(held) or 'its files'}) somewhere safe, away "
        "from this server and from the backups: without the keyring no name, number or message "
        "can ever be read again, and without backup.key no backup can be opened."
    )


def _needs_owner(ctx: typer.Context) -> bool:
    """True when init will create the owner, so that the password prompt is worth showing."""
    if not is_initialized(settings_of(ctx)):
        return True
    with open_core(ctx) as core:
        return core.users.count(DEFAULT_WORKSPACE) == 0


@guarded
def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None,
        typer.Option("--host", metavar="HOST", help="Address to listen on (setting: host)."),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", metavar="PORT", help="Port to listen on (setting: port)."),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", metavar="", help="Report a failure to start as JSON on stdout."),
    ] = False,
) -> None:
    """Serve the web pages and the REST API until interrupted.

    On the first start (no keys yet) this does what 'phonelist init' does first, and prints the
    generated owner password once.
    """
    from phonelist.server import run  # the web stack loads only for serve (0.7 s)

    run(settings_of(ctx), host=host, port=port)
