"""Which file column feeds which contact field: header auto-mapping, in five languages. Pure.

    mapping = auto_map(table.columns, {"Tel. Büro": "phone:work", "Größe": "custom:size"})
    mapping.assignments   # {"Telemóvel": "phone:mobile", "Nome": "first_name", ...}
    mapping.unmapped      # columns nothing was found for, in file order
    mapping.warnings      # ambiguities, resolved, in words
    mapping.label_columns # {"phone": "phone_label"}: where a number's per-row label is

An assignment's target is one of:

- a canonical field (:mod:`phonelist.files.layout`): ``first_name``, ``country``, ``tags``…
- a number or email slot, optionally with the label the header implies: ``phone``,
  ``phone:mobile``, ``phone_2:work``, ``email``…; phones come first in ``assignments`` in
  slot order, so the first is the primary;
- a label column of a slot: ``phone_label``, ``phone_2_label`` (the label of that row's
  number, which wins over the label the header implies);
- ``custom:NAME``: custom field NAME.

Headers are compared case-, accent- and punctuation-insensitively, in English, Portuguese,
Spanish, French and German; a header that is exactly a canonical name (``phone_2``,
``custom.size``) maps to it. Explicit assignments (``--map COLUMN=FIELD``) win; ``ignore``
leaves a column out. Two columns that look like the same one-column field: the first (in file
order) gets it and the other is reported unmapped, with a warning. Several phone or email
columns fill slots in file order (a header's own number, ``Phone 2``, is kept when free).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from phonelist.errors import ValidationError
from phonelist.files.layout import (
    CUSTOM_PREFIX,
    MAX_SLOTS,
    SINGLE_FIELDS,
    fold,
    is_custom_name,
    label_column,
    parse_slot,
    slot_column,
)
from phonelist.files.synonyms import (
    FILLER_WORDS,
    LABEL_WORDS,
    NAME_WORDS,
    SYNONYMS,
)

__all__ = ["IGNORE", "ColumnMapping", "auto_map", "target_names"]

IGNORE = "ignore"
_GLUED = re.compile(r"([a-z]+)(\d{1,2})")
_GOOGLE = re.compile(r"(phone|e ?mail) (\d{1,2}) (value|type|label)")


@dataclass(frozen=True)
class ColumnMapping:
    """The result of :func:`auto_map`."""

    assignments: dict[str, str]
    unmapped: list[str]
    warnings: list[str] = field(default_factory=list)

    def target(self, column: str) -> str | None:
        return self.assignments.get(column)

    @property
    def label_columns(self) -> dict[str, str]:
        """Number or email column -> the column holding its per-row label, where there is one
        (``phone`` -> ``phone_label``, ``Phone 1 - Value`` -> ``Phone 1 - Type``). A row's label
        there wins over the label the number column's header implies."""
        by_target = {target: column for column, target in self.assignments.items()}
        pairs = {}
        for column, target in self.assignments.items():
            slot = parse_slot(target.split(":", 1)[0])
            if slot is not None and not slot[2]:
                label = by_target.get(label_column(slot[0], slot[1]))
                if label is not None:
                    pairs[column] = label
        return pairs


@dataclass
class _Guess:
    column: str
    field: str  # a single field, "phone"/"email" (slot to allocate), or a slot/label column
    label: str | None = None
    slot: int | None = None  # a slot the header itself names (Phone 2)
    explicit: bool = False
    name_word: bool = False  # "Nome", "Name": first name beside a last name, else display


def target_names() -> list[str]:
    """Every target an explicit mapping may name (besides ``custom:NAME`` and ``ignore``)."""
    slots = [
        column
        for kind in ("phone", "email")
        for slot in range(1, MAX_SLOTS + 1)
        for column in (slot_column(kind, slot), label_column(kind, slot))
    ]
    return [*SINGLE_FIELDS, *slots]


def auto_map(columns: list[str], explicit: Mapping[str, str] | None = None) -> ColumnMapping:
    """Map a file's ``columns`` to fields; ``explicit`` (column -> target) wins over guesses."""
    explicit = dict(explicit or {})
    for column in explicit:
        if column not in columns:
            shown = ", ".join(repr(c) for c in columns[:20])
            raise ValidationError(
                f"map: the file has no column {column!r} (its columns: {shown})",
                field="map",
                code="map_unknown_column",
            )
    guesses: list[_Guess] = []
    ignored: set[str] = set()
    for column in columns:
        if column in explicit:
            guess = _explicit(column, explicit[column])
            if guess is None:
                ignored.add(column)
                continue
        else:
            guess = guess_column(column)
            if guess is None:
                continue
        guesses.append(guess)
    _resolve_names(guesses)
    assignments, warnings = _assign(guesses)
    unmapped = [c for c in columns if c not in assignments and c not in ignored]
    return ColumnMapping(assignments=assignments, unmapped=unmapped, warnings=warnings)


def _explicit(column: str, target: str) -> _Guess | None:
    text = target.strip()
    if text.lower() in (IGNORE, "skip", "-"):
        return None
    kind, colon, rest = text.partition(":")
    if kind.lower() == "custom" or text.startswith(CUSTOM_PREFIX):
        name = rest if colon else text[len(CUSTOM_PREFIX) :]
        if not is_custom_name(name):
            raise ValidationError(
                f"map: {column!r}={target!r}: a custom field name is lower-case letters, "
                "digits and _, starting with a letter",
                field="map",
                code="map_bad_target",
            )
        return _Guess(column, f"custom:{name}", explicit=True)
    slot = parse_slot(kind)
    if slot is not None and not slot[2]:
        number = slot[1] if kind != slot[0] else None
        return _Guess(column, slot[0], label=rest or None, slot=number, explicit=True)
    if colon or kind not in target_names():
        raise ValidationError(
            f"map: {column!r}={target!r}: unknown field; use a field such as first_name, "
            "phone, phone:work, email, country, tags, custom:NAME or ignore "
            "(see docs/files.md)",
            field="map",
            code="map_bad_target",
        )
    return _Guess(column, kind, explicit=True)


def guess_column(column: str) -> _Guess | None:
    """What a header alone says its column holds, or None."""
    exact = column.strip()
    if exact.startswith(CUSTOM_PREFIX) and is_custom_name(exact[len(CUSTOM_PREFIX) :]):
        return _Guess(column, f"custom:{exact[len(CUSTOM_PREFIX) :]}")
    lowered = exact.lower()
    slot = parse_slot(lowered)
    if slot is not None:
        kind, number, is_label = slot
        if is_label:
            return _Guess(column, label_column(kind, number))
        return _Guess(column, kind, slot=number)
    if lowered in SINGLE_FIELDS:
        return _Guess(column, lowered)
    words = fold(column)
    google = _GOOGLE.fullmatch(words)
    if google:  # Google Contacts: "Phone 1 - Value", "E-mail 2 - Type"
        kind = "phone" if google.group(1) == "phone" else "email"
        number = int(google.group(2))
        if not 1 <= number <= MAX_SLOTS:
            return None
        if google.group(3) == "value":
            return _Guess(column, kind, slot=number)
        return _Guess(column, label_column(kind, number))
    found = _lookup(words)
    if found is not None:
        return _Guess(column, found[0], label=found[1], name_word=words in NAME_WORDS)
    numbered = _numbered(words)
    if numbered is not None:  # "Telefone 2", "Phone (2)", "email3", "E-mail 2 Address"
        found = _lookup(numbered[0])
        number = numbered[1]
        if found is not None and found[0] in ("phone", "email") and 1 <= number <= MAX_SLOTS:
            return _Guess(column, found[0], label=found[1], slot=number)
    return None


def _numbered(words: str) -> tuple[str, int] | None:
    """The header without its one number, and the number."""
    parts = words.split()
    digits = [i for i, part in enumerate(parts) if part.isdigit()]
    if len(digits) == 1 and len(parts) > 1:
        index = digits[0]
        return " ".join(parts[:index] + parts[index + 1 :]), int(parts[index])
    glued = _GLUED.fullmatch(words)
    if glued:
        return glued.group(1), int(glued.group(2))
    return None


def _lookup(words: str) -> tuple[str, str | None] | None:
    """A field (and implied label) for folded header words: the whole header, then without
    filler words ("Número de telemóvel"), then a label word around a field word
    ("Business Phone", "Telefone comercial")."""
    for key in (words.replace(" ", ""), _without_filler(words)):
        if key in SYNONYMS:
            return SYNONYMS[key]
    parts = [w for w in words.split() if w not in FILLER_WORDS]
    for index, word in enumerate(parts):
        if word in LABEL_WORDS and len(parts) > 1:
            rest = "".join(parts[:index] + parts[index + 1 :])
            found = SYNONYMS.get(rest)
            if found is not None:
                field_name, implied = found
                if field_name in ("phone", "email"):
                    return field_name, LABEL_WORDS[word] or implied
                return found
    return None


def _without_filler(words: str) -> str:
    kept = [w for w in words.split() if w not in FILLER_WORDS]
    return "".join(kept) if kept else words.replace(" ", "")


def _resolve_names(guesses: list[_Guess]) -> None:
    """A bare "Nome", "Nombre" or "Name" is a display name, but the first name when a last-name
    column stands beside it; a bare "Nom" is the last name when a first-name column does."""
    fields = {g.field for g in guesses}
    for guess in guesses:
        role = NAME_WORDS.get(fold(guess.column)) if guess.name_word else None
        if role == "first" and "last_name" in fields and "first_name" not in fields:
            guess.field = "first_name"
            fields.add("first_name")
        elif role == "last" and "first_name" in fields and "last_name" not in fields:
            guess.field = "last_name"
            fields.add("last_name")


def _assign(guesses: list[_Guess]) -> tuple[dict[str, str], list[str]]:
    warnings: list[str] = []
    taken: dict[str, str] = {}  # field or slot column -> file column
    slots: dict[str, dict[int, _Guess]] = {"phone": {}, "email": {}}
    singles: list[_Guess] = []
    pending: dict[str, list[_Guess]] = {"phone": [], "email": []}
    # Explicit choices first, then headers that name their slot, then the rest in file order.
    ordered = sorted(guesses, key=lambda g: (not g.explicit, g.slot is None))
    for guess in ordered:
        if guess.field in slots:
            used = slots[guess.field]
            if guess.slot is not None and guess.slot not in used:
                used[guess.slot] = guess
            elif guess.explicit and guess.slot is not None:
                raise ValidationError(
                    f"map: columns {used[guess.slot].column!r} and {guess.column!r} both "
                    f"map to {slot_column(guess.field, guess.slot)}",
                    field="map",
                    code="map_conflict",
                )
            else:
                pending[guess.field].append(guess)
        else:
            singles.append(guess)
    for kind, waiting in pending.items():
        used = slots[kind]
        for guess in sorted(waiting, key=lambda g: guesses.index(g)):
            free = next((n for n in range(1, MAX_SLOTS + 1) if n not in used), None)
            if free is None:
                warnings.append(f"{guess.column!r} was left out: at most {MAX_SLOTS} {kind}s")
                continue
            used[free] = guess
        looks_alike = [g for g in used.values() if not g.explicit]
        if len(looks_alike) > 1 and any(g.slot is None for g in looks_alike):
            order = ", ".join(
                f"{g.column!r} -> {slot_column(kind, n)}" for n, g in sorted(used.items())
            )
            warnings.append(f"several columns hold {kind}s; the first is the primary: {order}")
    assignments: dict[str, str] = {}
    for kind in ("phone", "email"):
        for number, guess in sorted(slots[kind].items()):
            target = slot_column(kind, number)
            assignments[guess.column] = f"{target}:{guess.label}" if guess.label else target
            taken[target] = guess.column
    for guess in sorted(singles, key=lambda g: (not g.explicit, guesses.index(g))):
        if guess.field in taken:
            if guess.explicit:  # explicit guesses come first, so both were explicit
                raise ValidationError(
                    f"map: columns {taken[guess.field]!r} and {guess.column!r} both map to "
                    f"{guess.field}",
                    field="map",
                    code="map_conflict",
                )
            warnings.append(
                f"{guess.column!r} also looks like {guess.field}, which {taken[guess.field]!r} "
                "fills; it was left out (map it with --map)"
            )
            continue
        taken[guess.field] = guess.column
        assignments[guess.column] = guess.field
    ordered_assignments = {
        column: assignments[column]
        for column in [g.column for g in guesses]
        if column in assignments
    }
    phones_first = sorted(ordered_assignments.items(), key=lambda item: _rank(item[1]))
    return dict(phones_first), warnings


def _rank(target: str) -> tuple[int, int]:
    """Phones in slot order, then emails, then the rest as they came (sort is stable)."""
    slot = parse_slot(target.split(":", 1)[0])
    if slot is None or slot[2]:
        return (2, 0)
    return (0 if slot[0] == "phone" else 1, slot[1])
