"""``phonelist statuses ...``: the workspace's contact lifecycle statuses."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from phonelist.cli.context import open_core
from phonelist.cli.output import JsonFlag, emit_json, guarded, stdout

__all__ = ["app"]

app = typer.Typer(name="statuses", help="Show or set contact statuses.", no_args_is_help=True)


@app.command("list")
@guarded
def list_(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List the statuses, in order; new contacts get the first."""
    with open_core(ctx) as core:
        statuses = core.contacts.statuses(core.cli_actor())
    if as_json:
        emit_json({"statuses": statuses})
    else:
        stdout().print(Text(", ".join(statuses)))


@app.command("set")
@guarded
def set_(
    ctx: typer.Context,
    statuses: Annotated[
        list[str],
        typer.Argument(metavar="STATUS...", help="Lower-case names; the first is the default."),
    ],
    as_json: JsonFlag = False,
) -> None:
    """Replace the statuses. A status still held by a contact cannot be removed (exit 4)."""
    with open_core(ctx) as core:
        saved = core.contacts.set_statuses(core.cli_actor(), list(statuses))
    if as_json:
        emit_json({"statuses": saved})
    else:
        stdout().print(Text(f"Statuses: {', '.join(saved)}", style="green"))
