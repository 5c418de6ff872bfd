"""``phonelist fields ...``: the workspace's typed custom fields."""

from __future__ import annotations

from typing import Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from phonelist.cli.context import open_core
from phonelist.cli.output import JsonFlag, emit_json, guarded, stdout
from phonelist.contacts.fields import FIELD_TYPES

__all__ = ["app"]

app = typer.Typer(name="fields", help="Define and list custom fields.", no_args_is_help=True)


@app.command("add")
@guarded
def add(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME",
            help="Lower-case letters, digits and _, starting with a letter, e.g. birthday.",
        ),
    ],
    type_: Annotated[
        str,
        typer.Option("--type", metavar="TYPE", help=f"One of: {', '.join(FIELD_TYPES)}."),
    ],
    choice: Annotated[
        list[str] | None,
        typer.Option(
            "--choice", metavar="TEXT", help="An allowed value of a choice field. Repeatable."
        ),
    ] = None,
    sensitive: Annotated[
        bool,
        typer.Option(
            "--sensitive", metavar="", help="Encrypt the values at rest (they cannot be filtered)."
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Define a custom field; set it on contacts with --field NAME=VALUE."""
    with open_core(ctx) as core:
        definition = core.fields.define(
            core.cli_actor(), name, type_, choices=choice or None, sensitive=sensitive
        )
    if as_json:
        emit_json(definition)
    else:
        stdout().print(Text(f"Added field {definition.name} ({definition.type}).", style="green"))


@app.command("list")
@guarded
def list_(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List the custom fields: name, type, choices, and whether values are encrypted."""
    with open_core(ctx) as core:
        definitions = core.fields.all(core.cli_actor())
    if as_json:
        emit_json(definitions)
        return
    if not definitions:
        stdout().print("no custom fields; define one with 'phonelist fields add'", markup=False)
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    for column in ("name", "type", "choices", "sensitive"):
        table.add_column(column, overflow="fold")
    for definition in definitions:
        table.add_row(
            Text(definition.name),
            Text(definition.type),
            Text(", ".join(definition.choices or [])),
            Text("yes" if definition.sensitive else "no"),
        )
    stdout().print(table)
