"""``phonelist contacts ...`` and ``phonelist search``: parse options, build a command, apply it.

The options and their parsing live in :mod:`phonelist.cli.contact_input`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from phonelist.cli.contact_input import (
    City,
    Clear,
    ContactId,
    Country,
    Emails,
    Fields,
    First,
    Last,
    Lists,
    Name,
    Phones,
    PostalCode,
    Region,
    Source,
    Status,
    Tags,
    TimeZone,
    Yes,
    apply_clears,
    contact_data,
    field_assignments,
    typed_values,
    valid_tags,
)
from phonelist.cli.context import open_core
from phonelist.cli.output import (
    JsonFlag,
    UsageProblem,
    confirm,
    emit_json,
    guarded,
    read_stdin,
    show_contact,
    show_contacts,
    stdout,
)
from phonelist.contacts import (
    AddNote,
    ContactIn,
    ContactOut,
    ContactPatch,
    CreateContact,
    DeleteContact,
    MergeContacts,
    TagContact,
    UntagContact,
    UpdateContact,
)
from phonelist.contacts.commands import Command
from phonelist.contacts.schemas import validate_input
from phonelist.contacts.service import MAX_PAGE
from phonelist.core import Phonelist
from phonelist.errors import PhonelistError

__all__ = ["app", "search"]

app = typer.Typer(
    name="contacts",
    help="Add, show, list, change and delete contacts.",
    no_args_is_help=True,
)


def changed(core: Phonelist, command: Command) -> ContactOut:
    """Apply a command that leaves a contact behind, and return that contact."""
    contact = core.contacts.apply(core.cli_actor(), command)
    if contact is None:  # only DeleteContact returns nothing
        raise PhonelistError(f"{type(command).__name__} returned no contact")
    return contact


# -- commands ---------------------------------------------------------------------------------
@app.command("add")
@guarded
def add(
    ctx: typer.Context,
    name: Name = None,
    first: First = None,
    last: Last = None,
    phone: Phones = None,
    email: Emails = None,
    country: Country = None,
    region: Region = None,
    city: City = None,
    postal_code: PostalCode = None,
    time_zone: TimeZone = None,
    status: Status = None,
    tag: Tags = None,
    list_: Lists = None,
    field: Fields = None,
    note: Annotated[
        str | None, typer.Option("--note", metavar="TEXT", help="A first note.")
    ] = None,
    source: Source = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a contact. It needs at least a name, a phone number or an email.

    A number already held by another contact is refused (exit 4) with that contact's id.
    """
    data = contact_data(
        name=name,
        first=first,
        last=last,
        phones=phone,
        emails=email,
        country=country,
        region=region,
        city=city,
        postal_code=postal_code,
        time_zone=time_zone,
        status=status,
        tags=tag,
        lists=list_,
        source=source,
    )
    if note is not None:
        data["note"] = note
    raw_fields = field_assignments(field or [])
    with open_core(ctx) as core:
        if raw_fields:
            data["custom"] = typed_values(core, raw_fields)
        contact = changed(core, CreateContact(validate_input(ContactIn, data)))
    show_contact(contact, as_json=as_json, headline=f"Added contact {contact.id}")


@app.command("edit")
@guarded
def edit(
    ctx: typer.Context,
    contact_id: ContactId,
    name: Name = None,
    first: First = None,
    last: Last = None,
    phone: Phones = None,
    email: Emails = None,
    country: Country = None,
    region: Region = None,
    city: City = None,
    postal_code: PostalCode = None,
    time_zone: TimeZone = None,
    status: Status = None,
    tag: Tags = None,
    list_: Lists = None,
    field: Fields = None,
    source: Source = None,
    clear: Clear = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a contact: only the options given change.

    --phone, --email, --tag and --list replace the whole list (use 'contacts tag' and
    'contacts untag' to add or remove single tags); --field changes only the fields named.
    Notes are added with 'contacts note'.
    """
    patch = contact_data(
        name=name,
        first=first,
        last=last,
        phones=phone,
        emails=email,
        country=country,
        region=region,
        city=city,
        postal_code=postal_code,
        time_zone=time_zone,
        status=status,
        tags=tag,
        lists=list_,
        source=source,
    )
    raw_fields = field_assignments(field or [])
    cleared_fields = apply_clears(patch, clear or [], raw_fields)
    with open_core(ctx) as core:
        if raw_fields or cleared_fields:
            # The core replaces all custom values at once; keep the ones not named here.
            custom = dict(core.contacts.get(core.cli_actor(), contact_id).custom)
            custom.update(typed_values(core, raw_fields))
            for name_ in cleared_fields:
                custom.pop(name_, None)
            patch["custom"] = custom
        if not patch:
            raise UsageProblem("nothing to change: give at least one option (see --help)")
        command = UpdateContact(contact_id, validate_input(ContactPatch, patch))
        contact = changed(core, command)
    show_contact(contact, as_json=as_json, headline=f"Changed contact {contact.id}")


@app.command("show")
@guarded
def show(ctx: typer.Context, contact_id: ContactId, as_json: JsonFlag = False) -> None:
    """Show everything about one contact."""
    with open_core(ctx) as core:
        contact = core.contacts.get(core.cli_actor(), contact_id)
    show_contact(contact, as_json=as_json)


@app.command("list")
@guarded
def list_(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option("--status", metavar="STATUS", help="Only this status.")
    ] = None,
    tag: Annotated[
        str | None, typer.Option("--tag", metavar="TAG", help="Only contacts with this tag.")
    ] = None,
    list_name: Annotated[
        str | None, typer.Option("--list", metavar="LIST", help="Only members of this list.")
    ] = None,
    limit: Annotated[
        int,
        typer.Option(
            "--limit",
            metavar="N",
            min=1,
            max=MAX_PAGE,
            help=f"Contacts per page (1 to {MAX_PAGE}).",
        ),
    ] = 50,
    cursor: Annotated[
        str | None,
        typer.Option("--cursor", metavar="CURSOR", help="Start after this cursor (from a page)."),
    ] = None,
    all_pages: Annotated[
        bool, typer.Option("--all", metavar="", help="Follow the cursors and list every page.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """List contacts in the order they were added: id, name, primary number, status, tags.

    With --json the output is {"items": [...], "next_cursor": ...}.
    """
    with open_core(ctx) as core:
        actor = core.cli_actor()
        page = core.contacts.page(
            actor, limit=limit, cursor=cursor, status=status, tag=tag, list_name=list_name
        )
        contacts = list(page.items)
        while all_pages and page.next_cursor:
            page = core.contacts.page(
                actor,
                limit=limit,
                cursor=page.next_cursor,
                status=status,
                tag=tag,
                list_name=list_name,
            )
            contacts.extend(page.items)
    show_contacts(contacts, page.next_cursor, as_json=as_json, empty="no contacts")


@app.command("delete")
@guarded
def delete(
    ctx: typer.Context, contact_id: ContactId, yes: Yes = False, as_json: JsonFlag = False
) -> None:
    """Delete a contact with its numbers, emails, notes and field values.

    Asks for confirmation at a terminal; elsewhere --yes is required.
    """
    with open_core(ctx) as core:
        contact = core.contacts.get(core.cli_actor(), contact_id)
        confirm(
            f"Delete contact {contact.id} ({contact.name})?",
            yes=yes,
            refusal=f"not deleting contact {contact.id}",
        )
        core.contacts.apply(core.cli_actor(), DeleteContact(contact.id))
    if as_json:
        emit_json({"deleted": contact.id})
    else:
        stdout().print(f"Deleted contact {contact.id}", markup=False)


@app.command("merge")
@guarded
def merge(
    ctx: typer.Context,
    target_id: Annotated[str, typer.Argument(metavar="TARGET", help="The contact to keep.")],
    source_id: Annotated[
        str, typer.Argument(metavar="SOURCE", help="The contact folded into TARGET, then deleted.")
    ],
    yes: Yes = False,
    as_json: JsonFlag = False,
) -> None:
    """Merge SOURCE into TARGET: TARGET keeps its values and gains what it lacks.

    SOURCE's numbers, emails, tags, lists, field values and notes move over; SOURCE is deleted.
    Asks for confirmation at a terminal; elsewhere --yes is required.
    """
    with open_core(ctx) as core:
        actor = core.cli_actor()
        target = core.contacts.get(actor, target_id)
        source = core.contacts.get(actor, source_id)
        confirm(
            f"Merge {source.id} ({source.name}) into {target.id} ({target.name}) "
            f"and delete {source.id}?",
            yes=yes,
            refusal=f"not merging {source.id} into {target.id}",
        )
        contact = changed(core, MergeContacts(target.id, source.id))
    show_contact(contact, as_json=as_json, headline=f"Merged {source.id} into {contact.id}")


Tag = Annotated[list[str], typer.Argument(metavar="TAG", help="The tags.")]


@app.command("tag")
@guarded
def tag(ctx: typer.Context, contact_id: ContactId, tags: Tag, as_json: JsonFlag = False) -> None:
    """Add tags to a contact (tags it already has are left as they are)."""
    with open_core(ctx) as core:
        contact = changed(core, TagContact(contact_id, valid_tags(tags)))
    _show_tags(contact, as_json=as_json)


@app.command("untag")
@guarded
def untag(ctx: typer.Context, contact_id: ContactId, tags: Tag, as_json: JsonFlag = False) -> None:
    """Remove tags from a contact (tags it does not have are ignored)."""
    with open_core(ctx) as core:
        contact = changed(core, UntagContact(contact_id, valid_tags(tags)))
    _show_tags(contact, as_json=as_json)


def _show_tags(contact: ContactOut, *, as_json: bool) -> None:
    if as_json:
        emit_json(contact)
    else:
        tags = ", ".join(contact.tags) or "(none)"
        stdout().print(f"Contact {contact.id} tags: {tags}", markup=False)


@app.command("note")
@guarded
def note(
    ctx: typer.Context,
    contact_id: ContactId,
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The note; '-' reads it from stdin.")],
    as_json: JsonFlag = False,
) -> None:
    """Add a note to a contact. Notes are encrypted at rest; several lines are fine."""
    body = read_stdin() if text == "-" else text
    with open_core(ctx) as core:
        contact = changed(core, AddNote(contact_id, body))
    show_contact(contact, as_json=as_json, headline=f"Added a note to contact {contact.id}")


@guarded
def search(
    ctx: typer.Context,
    query: Annotated[
        str,
        typer.Argument(
            metavar="QUERY",
            help="A phone number in any format, an email address, or words of a name.",
        ),
    ],
    limit: Annotated[
        int,
        typer.Option(
            "--limit",
            metavar="N",
            min=1,
            max=MAX_PAGE,
            help=f"At most this many results (1 to {MAX_PAGE}).",
        ),
    ] = 50,
    as_json: JsonFlag = False,
) -> None:
    """Find contacts by phone number (any format), email, or name words (all must match).

    With --json the output is {"items": [...], "next_cursor": null}.
    """
    with open_core(ctx) as core:
        page = core.contacts.search(core.cli_actor(), query, limit=limit)
    show_contacts(page.items, None, as_json=as_json, empty="no contact matches")
