"""The canonical columns every reader presents and every writer takes, and their cell rules.

A row is a ``dict[str, str]`` keyed by these names (the *canonical record*). CSV and XLSX
exports use them as header names; the vCard and JSON Lines readers flatten each card or object
into them; :func:`phonelist.files.mapping.auto_map` maps a file's own headers onto them.

- Names and place: ``display_name``, ``first_name``, ``last_name``, ``country``, ``region``,
  ``city``, ``postal_code``, ``time_zone``.
- Numbers and addresses repeat in *slots*: ``phone``, ``phone_2`` … ``phone_20``, each with an
  optional label column ``phone_label``, ``phone_2_label`` …; the same for ``email``. Slot 1 is
  the primary.
- ``status``, ``tags`` and ``lists`` (several in one cell, see :func:`join_list`), ``source``,
  ``note`` (all of a contact's notes, oldest first, separated by a blank line).
- ``custom.NAME``: the value of custom field NAME, as text.
- Read only (exports write them, imports ignore them): ``id``, ``created_at``, ``updated_at``.
- Import only: ``region_hint`` (the country to read a row's numbers in) and the consent
  evidence columns ``consent_*``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = [
    "CONSENT_FIELDS",
    "CUSTOM_PREFIX",
    "FORMULA_PREFIXES",
    "IMPORT_ONLY_FIELDS",
    "LIST_SEPARATOR",
    "MAX_SLOTS",
    "NAME_FIELDS",
    "NOTE_SEPARATOR",
    "PLACE_FIELDS",
    "READ_ONLY_FIELDS",
    "SINGLE_FIELDS",
    "custom_column",
    "custom_field_name",
    "fold",
    "is_custom_name",
    "is_field",
    "join_list",
    "label_column",
    "neutralize_formula",
    "order_columns",
    "parse_slot",
    "restore_formula",
    "slot_column",
    "split_list",
]

NAME_FIELDS = ("display_name", "first_name", "last_name")
PLACE_FIELDS = ("country", "region", "city", "postal_code", "time_zone")
CONSENT_FIELDS = (
    "consent_channel",
    "consent_purpose",
    "consent_at",
    "consent_method",
    "consent_text",
    "consent_version",
    "consent_source_url",
    "consent_form_id",
    "consent_ip",
    "consent_user_agent",
    "consent_language",
    "consent_evidence_ref",
)
READ_ONLY_FIELDS = ("id", "created_at", "updated_at")
IMPORT_ONLY_FIELDS = ("region_hint", *CONSENT_FIELDS)
SINGLE_FIELDS = (
    *NAME_FIELDS,
    *PLACE_FIELDS,
    "status",
    "tags",
    "lists",
    "source",
    "note",
    *IMPORT_ONLY_FIELDS,
    *READ_ONLY_FIELDS,
)
"""Every canonical field that is not a phone or email slot or a custom field."""

REPEATED = ("phone", "email")
MAX_SLOTS = 20  # a contact holds at most 20 numbers and 20 emails (contacts/schemas.py)
CUSTOM_PREFIX = "custom."
LIST_SEPARATOR = "; "
NOTE_SEPARATOR = "\n\n"

_SLOT = re.compile(r"(phone|email)(?:_([1-9][0-9]?))?(_label)?")
_CUSTOM_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


# -- slots ------------------------------------------------------------------------------------
def slot_column(kind: str, slot: int) -> str:
    """``phone`` for slot 1, ``phone_2`` for slot 2, and so on (``kind`` is phone or email)."""
    return kind if slot == 1 else f"{kind}_{slot}"


def label_column(kind: str, slot: int) -> str:
    return f"{slot_column(kind, slot)}_label"


def parse_slot(name: str) -> tuple[str, int, bool] | None:
    """``phone_2_label`` -> ``("phone", 2, True)``; None when ``name`` is not a slot column."""
    match = _SLOT.fullmatch(name)
    if match is None:
        return None
    slot = int(match.group(2) or 1)
    if match.group(2) == "1" or slot > MAX_SLOTS:
        return None  # slot 1 is spelled "phone", never "phone_1"
    return match.group(1), slot, match.group(3) is not None


def is_field(name: str) -> bool:
    """True for a canonical column name (a custom field column ``custom.NAME`` included)."""
    if name in SINGLE_FIELDS or parse_slot(name) is not None:
        return True
    return name.startswith(CUSTOM_PREFIX) and is_custom_name(name[len(CUSTOM_PREFIX) :])


def fold(text: str) -> str:
    """Words of a header, lower-case and without accents: ``"Código  Postal"`` -> ``codigo
    postal``. Anything but letters and digits separates words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join("".join(c if c.isalnum() else " " for c in bare).split())


def order_columns(names: Iterable[str]) -> list[str]:
    """Canonical columns in the order exports write them; any other name after them, in the
    order given: id, names, phone slots, email slots, place, status, tags, lists, source, note,
    custom fields, import-only fields, created_at, updated_at."""
    fixed = ("id", *NAME_FIELDS)
    middle = (*PLACE_FIELDS, "status", "tags", "lists", "source", "note")

    def rank(item: tuple[int, str]) -> tuple[int, ...]:
        seen, name = item
        slot = parse_slot(name)
        if name in fixed:
            return (0, fixed.index(name))
        if slot is not None:
            kind, number, is_label = slot
            return (1 + REPEATED.index(kind), number, int(is_label))
        if name in middle:
            return (3, middle.index(name))
        if name.startswith(CUSTOM_PREFIX):
            return (4, seen)
        if name in IMPORT_ONLY_FIELDS:
            return (5, IMPORT_ONLY_FIELDS.index(name))
        if name in ("created_at", "updated_at"):
            return (6, int(name == "updated_at"))
        return (7, seen)

    return [name for _, name in sorted(enumerate(dict.fromkeys(names)), key=rank)]


# -- custom fields ----------------------------------------------------------------------------
def is_custom_name(name: str) -> bool:
    """The rule of ``contacts/fields.py``: lower-case letters, digits and _, from a letter."""
    return _CUSTOM_NAME.fullmatch(name) is not None


def custom_column(name: str) -> str:
    return f"{CUSTOM_PREFIX}{name}"


def custom_field_name(column: str) -> str | None:
    """A custom field name for a header nobody mapped: ``"Data de nascimento"`` ->
    ``data_de_nascimento``; None when the header has no letters or digits."""
    words = fold(column).split()
    name = "_".join(words)[:64].strip("_")
    if not name:
        return None
    if not name[0].isalpha():
        name = f"f_{name}"[:64]
    return name if is_custom_name(name) else None


# -- several values in one cell ---------------------------------------------------------------
def join_list(items: Iterable[str]) -> str:
    """Tags or lists in one cell: ``"vip; customer"``. A ``;``, ``,`` or ``\\`` inside an item
    is escaped with ``\\`` so that :func:`split_list` gives the items back."""
    escaped = []
    for item in items:
        for char in "\\;,":
            item = item.replace(char, "\\" + char)
        escaped.append(item)
    return LIST_SEPARATOR.join(escaped)


def split_list(cell: str) -> list[str]:
    """Items of a cell, split on ``;`` or ``,`` (``\\`` escapes the next character), trimmed,
    empty items dropped. The inverse of :func:`join_list` for items without surrounding spaces.
    """
    if "\\" not in cell:  # the common case: nothing escaped, so str methods do it all
        return [item for part in cell.replace(",", ";").split(";") if (item := part.strip())]
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for char in cell:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in ";,":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


# -- spreadsheet formulas ---------------------------------------------------------------------
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""A cell that starts with one of these may run as a formula in a spreadsheet (CWE-1236)."""

_E164 = re.compile(r"\+[0-9]{6,15}")


def neutralize_formula(value: str, *, phone: bool = False) -> str:
    """Prefix ``'`` to a cell a spreadsheet could run as a formula, so it shows as text.

    A value that already starts with ``'`` and then one of those characters (or a second
    ``'``) gets one more ``'``, so that :func:`restore_formula` undoes this exactly.
    In a phone column, an E.164 number (``+`` and 6 to 15 digits, nothing else) is left as is:
    no formula is made of digits alone, and the number stays usable.
    """
    if not value:
        return value
    if phone and _E164.fullmatch(value):
        return value
    if value[0] in FORMULA_PREFIXES or (
        value[0] == "'" and len(value) > 1 and value[1] in (*FORMULA_PREFIXES, "'")
    ):
        return "'" + value
    return value


def restore_formula(value: str) -> str:
    """Undo :func:`neutralize_formula`: ``'=1+2`` -> ``=1+2``; ``'t Hooft`` stays as it is."""
    if len(value) > 1 and value[0] == "'" and value[1] in (*FORMULA_PREFIXES, "'"):
        return value[1:]
    return value
