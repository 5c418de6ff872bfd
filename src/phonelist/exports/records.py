"""A contact as a canonical record (one flat row of text), and the columns an export offers. Pure.

Numbers and emails fill slots with the primary first, then the others in their stored order.
Custom values become text that the importer parses back to the same value: whole numbers
without a decimal point, other numbers in Python's shortest exact form, ``true``/``false``,
dates as YYYY-MM-DD. Notes are joined, oldest first, with a blank line between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from phonelist.contacts.schemas import ContactOut, EmailOut, PhoneOut
from phonelist.errors import ValidationError
from phonelist.files.layout import (
    MAX_SLOTS,
    NAME_FIELDS,
    NOTE_SEPARATOR,
    PLACE_FIELDS,
    custom_column,
    join_list,
    label_column,
    parse_slot,
    slot_column,
)

__all__ = [
    "EXTRA_COLUMNS",
    "NUMBER_FORMATS",
    "contact_record",
    "custom_text",
    "default_columns",
    "resolve_columns",
]

NUMBER_FORMATS = ("e164", "national")
EXTRA_COLUMNS = ("created_at", "updated_at")
"""Columns an export writes only when asked for them by name."""


def custom_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _primary_first(items: Sequence[PhoneOut] | Sequence[EmailOut]) -> list[Any]:
    return sorted(items, key=lambda item: not item.primary)


def contact_record(contact: ContactOut, number_format: str = "e164") -> dict[str, str]:
    """Every column of ``contact`` that has a value (slots as many as it has)."""
    record: dict[str, str] = {"id": contact.id}
    for name in NAME_FIELDS:
        record[name] = getattr(contact, name) or ""
    for slot, phone in enumerate(_primary_first(contact.phones), start=1):
        record[slot_column("phone", slot)] = (
            phone.national if number_format == "national" else phone.e164
        )
        record[label_column("phone", slot)] = phone.label or ""
    for slot, email in enumerate(_primary_first(contact.emails), start=1):
        record[slot_column("email", slot)] = email.email
        record[label_column("email", slot)] = email.label or ""
    for name in PLACE_FIELDS:
        record[name] = getattr(contact, name) or ""
    record["status"] = contact.status
    record["tags"] = join_list(contact.tags)
    record["lists"] = join_list(contact.lists)
    record["source"] = contact.source or ""
    record["note"] = NOTE_SEPARATOR.join(note.body for note in contact.notes)
    for name, value in contact.custom.items():
        record[custom_column(name)] = custom_text(value)
    record["created_at"] = contact.created_at.isoformat()
    record["updated_at"] = contact.updated_at.isoformat()
    return record


def default_columns(phone_slots: int, email_slots: int, custom_names: Sequence[str]) -> list[str]:
    """What an export writes when no columns are chosen: everything but the times."""
    columns = ["id", *NAME_FIELDS]
    for kind, slots in (("phone", phone_slots), ("email", email_slots)):
        for slot in range(1, max(slots, 1) + 1):
            columns += [slot_column(kind, slot), label_column(kind, slot)]
    columns += [*PLACE_FIELDS, "status", "tags", "lists", "source", "note"]
    columns += [custom_column(name) for name in custom_names]
    return columns


def resolve_columns(
    chosen: Sequence[str] | None,
    phone_slots: int,
    email_slots: int,
    custom_names: Sequence[str],
) -> list[str]:
    """The chosen columns checked (in the order given, repeats dropped), or the defaults."""
    defaults = default_columns(phone_slots, email_slots, custom_names)
    if chosen is None:
        return defaults
    known = {*defaults, *EXTRA_COLUMNS}
    columns = list(dict.fromkeys(column.strip() for column in chosen))
    if not columns or not all(columns):
        raise ValidationError(
            "columns: name at least one column, separated by commas",
            field="columns",
            code="export_bad_columns",
        )
    for column in columns:
        slot = parse_slot(column)
        if column in known or (slot is not None and slot[1] <= MAX_SLOTS):
            continue
        shown = ", ".join(defaults[:40])
        raise ValidationError(
            f"columns: unknown column {column[:64]!r}; the columns are {shown}, "
            f"{', '.join(EXTRA_COLUMNS)}",
            field="columns",
            code="export_bad_columns",
        )
    return columns
