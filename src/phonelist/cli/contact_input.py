"""Command-line options of a contact, and turning them into the dict the core's schemas take.

Phones and emails take an optional label: ``--phone +1 202 555 0143`` or
``--phone work=+1 202 555 0143``. A value that itself contains ``=`` before the real
address is written with a leading ``=`` (``--email =a=b@example.org``), meaning "no label".
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from phonelist.cli.output import UsageProblem, clean
from phonelist.contacts import ContactPatch
from phonelist.contacts.fields import parse_text_value
from phonelist.contacts.schemas import validate_input
from phonelist.core import Phonelist

__all__ = [
    "apply_clears",
    "contact_data",
    "field_assignments",
    "labelled",
    "typed_values",
    "valid_tags",
]

# -- options shared by add and edit ----------------------------------------------------------
Name = Annotated[str | None, typer.Option("--name", metavar="TEXT", help="Display name.")]
First = Annotated[str | None, typer.Option("--first", metavar="TEXT", help="First name.")]
Last = Annotated[str | None, typer.Option("--last", metavar="TEXT", help="Last name.")]
Phones = Annotated[
    list[str] | None,
    typer.Option(
        "--phone",
        metavar="[LABEL=]NUMBER",
        help="Phone number in any common format, optionally labelled: "
        "'+351 912 345 678' or 'work=+1 202 555 0143'. Repeatable; the first is the primary.",
    ),
]
Emails = Annotated[
    list[str] | None,
    typer.Option(
        "--email",
        metavar="[LABEL=]EMAIL",
        help="Email address, optionally labelled: 'home=ann@example.org'. Repeatable; "
        "the first is the primary.",
    ),
]
Country = Annotated[
    str | None,
    typer.Option(
        "--country",
        metavar="CC",
        help="ISO 3166 two-letter country code such as PT or US; numbers without a + are "
        "read as numbers of this country.",
    ),
]
Region = Annotated[
    str | None, typer.Option("--region", metavar="TEXT", help="Region, state or province.")
]
City = Annotated[str | None, typer.Option("--city", metavar="TEXT", help="City.")]
PostalCode = Annotated[
    str | None, typer.Option("--postal-code", metavar="TEXT", help="Postal code.")
]
TimeZone = Annotated[
    str | None,
    typer.Option("--time-zone", metavar="ZONE", help="IANA time zone such as Europe/Lisbon."),
]
Status = Annotated[
    str | None,
    typer.Option(
        "--status",
        metavar="STATUS",
        help="One of the workspace's statuses (lead, customer, member, inactive by default).",
    ),
]
Tags = Annotated[list[str] | None, typer.Option("--tag", metavar="TAG", help="Tag. Repeatable.")]
Lists = Annotated[
    list[str] | None, typer.Option("--list", metavar="LIST", help="List name. Repeatable.")
]
Fields = Annotated[
    list[str] | None,
    typer.Option(
        "--field",
        metavar="NAME=VALUE",
        help="Custom field value, converted to the field's type: number, date as YYYY-MM-DD, "
        "boolean as true/false (yes/no, 1/0), choice, text. Repeatable. "
        "Define fields first with 'phonelist fields add'.",
    ),
]
Source = Annotated[
    str | None,
    typer.Option("--source", metavar="TEXT", help="Where the contact came from, e.g. 'fair 2024'."),
]
Clear = Annotated[
    list[str] | None,
    typer.Option(
        "--clear",
        metavar="OPTION",
        help="Empty a field: the name of one of the options above (name, first, last, "
        "phone, email, country, region, city, postal-code, time-zone, tag, list, source) "
        "or field:NAME for a custom field. Repeatable.",
    ),
]
ContactId = Annotated[str, typer.Argument(metavar="ID", help="The contact's id.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", metavar="", help="Do not ask for confirmation.")]

# What ``edit --clear`` accepts: the option's name -> (the contact field, its empty value).
CLEARABLE: dict[str, tuple[str, Any]] = {
    "name": ("display_name", None),
    "first": ("first_name", None),
    "last": ("last_name", None),
    "phone": ("phones", []),
    "email": ("emails", []),
    "country": ("country", None),
    "region": ("region", None),
    "city": ("city", None),
    "postal-code": ("postal_code", None),
    "time-zone": ("time_zone", None),
    "tag": ("tags", []),
    "list": ("lists", []),
    "source": ("source", None),
}
CUSTOM_PREFIX = "field:"


def labelled(text: str, key: str) -> dict[str, str]:
    """``"work=+1 202"`` -> ``{key: "+1 202", "label": "work"}``; a leading ``=`` means no label."""
    label, sep, value = text.partition("=")
    if not sep:
        return {key: text}
    if not label:
        return {key: value}
    return {key: value, "label": label}


def field_assignments(pairs: list[str]) -> dict[str, str]:
    """``["age=42", "vip=yes"]`` -> ``{"age": "42", "vip": "yes"}`` (values still text)."""
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageProblem(f"--field expects NAME=VALUE, got {clean(pair, 60)!r}")
        if name in values:
            raise UsageProblem(f"--field {clean(name, 60)} is given twice")
        values[name] = value
    return values


def typed_values(core: Phonelist, raw: dict[str, str]) -> dict[str, Any]:
    """Convert each text value to its field's type; unknown names are left to the core."""
    if not raw:
        return {}
    definitions = {d.name: d for d in core.fields.all(core.cli_actor())}
    return {
        name: parse_text_value(definitions[name], text) if name in definitions else text
        for name, text in raw.items()
    }


def contact_data(
    *,
    name: str | None,
    first: str | None,
    last: str | None,
    phones: list[str] | None,
    emails: list[str] | None,
    country: str | None,
    region: str | None,
    city: str | None,
    postal_code: str | None,
    time_zone: str | None,
    status: str | None,
    tags: list[str] | None,
    lists: list[str] | None,
    source: str | None,
) -> dict[str, Any]:
    """The contact fields given on the command line, under their schema names; others left out."""
    given: dict[str, Any] = {
        "display_name": name,
        "first_name": first,
        "last_name": last,
        "phones": [labelled(p, "number") for p in phones] if phones else None,
        "emails": [labelled(e, "email") for e in emails] if emails else None,
        "country": country,
        "region": region,
        "city": city,
        "postal_code": postal_code,
        "time_zone": time_zone,
        "status": status,
        "tags": tags or None,
        "lists": lists or None,
        "source": source,
    }
    return {key: value for key, value in given.items() if value is not None}


def apply_clears(patch: dict[str, Any], clears: list[str], fields: dict[str, str]) -> list[str]:
    """Put each ``--clear OPTION`` into ``patch`` as an empty value; returns the custom fields
    named by ``--clear field:NAME``, which the caller removes from the contact's values."""
    cleared_fields: list[str] = []
    for item in clears:
        if item.startswith(CUSTOM_PREFIX):
            name = item.removeprefix(CUSTOM_PREFIX)
            if name in fields:
                raise UsageProblem(f"--field {name}=... and --clear {item} contradict each other")
            cleared_fields.append(name)
            continue
        if item not in CLEARABLE:
            raise UsageProblem(
                f"--clear {clean(item, 60)!r} is not a field; use one of: "
                f"{', '.join(CLEARABLE)}, or {CUSTOM_PREFIX}NAME"
            )
        key, empty = CLEARABLE[item]
        if key in patch:
            raise UsageProblem(f"--{item} and --clear {item} contradict each other")
        patch[key] = empty
    return cleared_fields


def valid_tags(tags: list[str]) -> tuple[str, ...]:
    """Tag names checked by the same rules as a contact's ``tags``."""
    return tuple(validate_input(ContactPatch, {"tags": tags}).tags)
