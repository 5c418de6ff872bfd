"""``phonelist segment ...``: count, show, save, export and freeze the contacts a query selects.

Each QUERY is a segment query (docs/segments.md) or the name of a saved segment; the core
tells them apart. A query that cannot be read exits 5 with the query line and carets under the
bad token (:func:`phonelist.cli.output.fail`).
"""

from __future__ import annotations

from typing import IO, Annotated, Any

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from phonelist.cli.consent_input import instant
from phonelist.cli.contact_input import Yes
from phonelist.cli.context import open_core
from phonelist.cli.export import (
    Columns,
    Force,
    Format,
    Numbers,
    Output,
    WriteOptions,
    write_export,
)
from phonelist.cli.output import (
    JsonFlag,
    clean,
    confirm,
    contact_table,
    emit_json,
    guarded,
    read_stdin,
    stderr,
    stdout,
    timestamp,
)
from phonelist.contacts.service import MAX_PAGE
from phonelist.core import Phonelist
from phonelist.segments import QueryError, SavedSegment

__all__ = ["app"]

app = typer.Typer(
    name="segment",
    help="Count, list, save and export segments: contacts chosen by a query.",
    no_args_is_help=True,
)

Query = Annotated[
    str,
    typer.Argument(
        metavar="QUERY",
        help="A query such as 'country = PT tag = vip' (quote it for the shell), the name of "
        "a saved segment, or - to read the query from stdin.",
    ),
]
Name = Annotated[str, typer.Argument(metavar="NAME", help="The saved segment's name.")]
At = Annotated[
    str | None,
    typer.Option(
        "--at",
        metavar="ISO",
        help="Evaluate the query at this instant, ISO 8601 with a zone, e.g. "
        "2026-03-09T15:05:00Z (default: now); relative dates such as -30d count from it.",
    ),
]


def _text(query: str) -> str:
    return read_stdin() if query == "-" else query


def _warn(warnings: tuple[str, ...]) -> None:
    console = stderr()
    for warning in warnings:
        console.print(Text(f"warning: {clean(warning)}", style="yellow"), soft_wrap=True)


def _contacts(count: int) -> str:
    return f"{count:,} contact" + ("" if count == 1 else "s")


@app.command("count")
@guarded
def count(ctx: typer.Context, query: Query, at: At = None, as_json: JsonFlag = False) -> None:
    """Print how many contacts match QUERY now (or --at an instant), and any warnings.

    With --json: {"count", "query", "warnings"}; "query" is what was evaluated (a saved
    segment's name becomes segment = "NAME").
    """
    text = _text(query)
    with open_core(ctx) as core:
        result = core.segments.count(core.cli_actor(), text, at=instant(at))
    if as_json:
        emit_json({"count": result.count, "query": result.query, "warnings": result.warnings})
        return
    _warn(result.warnings)
    stdout().print(f"{result.count:,}")


@app.command("show")
@guarded
def show(
    ctx: typer.Context,
    query: Query,
    limit: Annotated[
        int,
        typer.Option(
            "--limit",
            metavar="N",
            min=1,
            max=MAX_PAGE,
            help=f"Show the first N matching contacts (1 to {MAX_PAGE}).",
        ),
    ] = 20,
    at: At = None,
    as_json: JsonFlag = False,
) -> None:
    """Print how many contacts match QUERY, then the first of them, oldest first.

    With --json: {"count", "query", "warnings", "items": [contact, ...]}.
    """
    text = _text(query)
    when = instant(at)
    with open_core(ctx) as core:
        actor = core.cli_actor()
        page, total = core.segments.page(actor, text, limit=limit, at=when)
        items = list(page.items)
        cursor = page.next_cursor
        # A sendable condition filters each page after the SQL: read on until N are found.
        while cursor and len(items) < limit:
            more, _ = core.segments.page(
                actor, text, limit=limit - len(items), cursor=cursor, at=when
            )
            items.extend(more.items)
            cursor = more.next_cursor
    assert total is not None  # the first page always carries the count
    if as_json:
        emit_json(
            {
                "count": total.count,
                "query": total.query,
                "warnings": total.warnings,
                "items": items,
            }
        )
        return
    _warn(total.warnings)
    console = stdout()
    console.print(Text(f"{_contacts(total.count)} match", style="bold"))
    if items:
        console.print(contact_table(items))
    if total.count > len(items):
        typer.echo(
            f"showing the first {len(items):,}: --limit N for more (at most {MAX_PAGE}), "
            "or 'segment export' for all",
            err=True,
        )


@app.command("save")
@guarded
def save(
    ctx: typer.Context,
    name: Name,
    query: Query,
    description: Annotated[
        str | None,
        typer.Option("--description", metavar="TEXT", help="What the segment is for."),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option("--replace", metavar="", help="Replace the segment NAME if it exists."),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Save QUERY under NAME. The query is checked now and evaluated each time it is used.

    The query is stored normalised ('tag=vip  status=customer' becomes 'tag = vip AND status
    = customer'). Without --replace, a NAME in use is refused (exit 4).
    """
    text = _text(query)
    with open_core(ctx) as core:
        saved = core.segments.save(
            core.cli_actor(), name, text, description=description, replace=replace
        )
    if as_json:
        emit_json(saved)
        return
    stdout().print(Text(f"Saved segment '{saved.name}': {saved.query}", style="green"))


@app.command("list")
@guarded
def list_(
    ctx: typer.Context,
    counts: Annotated[
        bool,
        typer.Option("--counts", metavar="", help="Count each segment's contacts now."),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """List the saved segments: name, query, description, last change (and counts).

    A segment that no longer works (e.g. a status it names was removed) shows its error
    instead of a count.
    """
    with open_core(ctx) as core:
        actor = core.cli_actor()
        saved = core.segments.all(actor)
        found = {s.name: _live_count(core, s) for s in saved} if counts else {}
    if as_json:
        emit_json([_segment_json(s, found.get(s.name)) for s in saved])
        return
    if not saved:
        stdout().print("no saved segments")
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    table.add_column("name", overflow="fold")
    if counts:
        table.add_column("contacts", justify="right", no_wrap=True)
    table.add_column("query", overflow="fold")
    table.add_column("description", overflow="fold")
    table.add_column("updated", no_wrap=True)
    for segment in saved:
        row: list[Text] = [Text(segment.name)]
        if counts:
            number, error = found[segment.name]
            row.append(Text(f"{number:,}") if error is None else Text("error", style="red"))
        row += [
            Text(segment.query),
            Text(segment.description or ""),
            Text(timestamp(segment.updated_at)),
        ]
        table.add_row(*row)
    stdout().print(table)
    for name, (_, error) in found.items():
        if error is not None:
            typer.echo(f"{clean(name, 100)}: {clean(error)}", err=True)


def _live_count(core: Phonelist, segment: SavedSegment) -> tuple[int | None, str | None]:
    """The segment's count now, or why it cannot be counted any more."""
    try:
        return core.segments.count(core.cli_actor(), segment.name).count, None
    except QueryError as error:
        return None, error.message


def _segment_json(segment: SavedSegment, live: tuple[int | None, str | None] | None) -> Any:
    data: dict[str, Any] = {
        "name": segment.name,
        "query": segment.query,
        "description": segment.description,
        "created_by": segment.created_by,
        "created_at": segment.created_at,
        "updated_at": segment.updated_at,
    }
    if live is not None:
        data["count"], data["error"] = live
    return data


@app.command("delete")
@guarded
def delete(ctx: typer.Context, name: Name, yes: Yes = False, as_json: JsonFlag = False) -> None:
    """Delete the saved segment NAME (its contacts are untouched).

    A segment that another saved segment uses is refused (exit 4). Asks for confirmation at a
    terminal; elsewhere --yes is required.
    """
    with open_core(ctx) as core:
        actor = core.cli_actor()
        segment = core.segments.get(actor, name)
        confirm(
            f"Delete saved segment '{segment.name}' ({segment.query})?",
            yes=yes,
            refusal=f"not deleting segment '{segment.name}'",
        )
        core.segments.delete(actor, segment.name)
    if as_json:
        emit_json({"deleted": segment.name})
    else:
        stdout().print(Text(f"Deleted segment '{segment.name}'."))


@app.command("export")
@guarded
def export(
    ctx: typer.Context,
    query: Query,
    format_: Format = None,
    output: Output = None,
    columns: Columns = None,
    numbers: Numbers = "e164",
    at: At = None,
    force: Force = False,
    as_json: JsonFlag = False,
) -> None:
    """Export the contacts QUERY selects, like 'phonelist export' (same formats and options).

    The file holds personal data; it is created readable by you only. The export is recorded
    in the audit log with the query.
    """
    text = _text(query)
    when = instant(at)

    def write(core: Phonelist, out: IO[bytes], kind: str, options: WriteOptions) -> int:
        return core.segments.export(core.cli_actor(), text, out, kind, at=when, **options)

    write_export(ctx, write, format_, output, columns, numbers, force=force, as_json=as_json)


@app.command("freeze")
@guarded
def freeze(
    ctx: typer.Context,
    query: Query,
    list_name: Annotated[
        str,
        typer.Option(
            "--list", metavar="NAME", help="The new static list (an existing one is refused)."
        ),
    ],
    at: At = None,
    as_json: JsonFlag = False,
) -> None:
    """Copy the contacts QUERY selects now into a new static list, which then stays as it is.

    Unlike a saved segment, the list does not follow later changes: a snapshot, e.g. of who
    was sent a campaign.
    """
    text = _text(query)
    with open_core(ctx) as core:
        added = core.segments.freeze(core.cli_actor(), text, list_name, at=instant(at))
    name = list_name.strip()
    if as_json:
        emit_json({"list": name, "contacts": added})
        return
    stdout().print(Text(f"Copied {_contacts(added)} into the new list '{name}'.", style="green"))


@app.command("fields")
@guarded
def fields(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List every field a query may name, with its type: built-in ones and custom fields.

    With --json: [{"name", "type", "description"}, ...].
    """
    with open_core(ctx) as core:
        found = core.segments.fields(core.cli_actor())
    if as_json:
        emit_json(found)
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    table.add_column("field", no_wrap=True)
    table.add_column("type", no_wrap=True)
    table.add_column("what it is", overflow="fold")
    for field in found:
        table.add_row(Text(field.name), Text(field.type), Text(field.description))
    stdout().print(table)
