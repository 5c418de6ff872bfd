"""One spreadsheet row in, a contact ready to store (or the reason it cannot be) out. Pure.

Cells are trimmed of surrounding white space and empty cells count as absent: that is what
a spreadsheet means by them. Everything else is checked with the same rules as the API
(``contacts/schemas.py``), by the same functions, without pydantic's per-row cost.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from phonelist.contacts.bulk import NewContact, NewPhone
from phonelist.contacts.fields import FieldDefinition, check_value, parse_text_value
from phonelist.contacts.schemas import email_address, iana_time_zone, iso_country, plain_text
from phonelist.errors import ValidationError
from phonelist.files.layout import CONSENT_FIELDS, parse_slot, split_list
from phonelist.imports.options import CHANNELS, METHODS, PURPOSES
from phonelist.numbers.analyze import Analysis, analyze

__all__ = ["Columns", "Prepared", "Rejected", "RowPreparer", "row_preparer"]

NAME_LIMIT, PLACE_LIMIT, NOTE_LIMIT = 200, 100, 10_000


@dataclass(frozen=True, slots=True)
class Columns:
    """Where each field comes from: the mapped columns, slots in order (slot 1 is primary)."""

    phones: tuple[tuple[str, str | None, str | None], ...]  # (column, fixed label, label column)
    emails: tuple[tuple[str, str | None, str | None], ...]
    simple: dict[str, str]  # field -> column, for one-column fields
    custom: dict[str, str]  # custom field name -> column
    consent: dict[str, str]  # consent_* field -> column

    @classmethod
    def from_assignments(cls, assignments: dict[str, str]) -> Columns:
        """``assignments`` maps column -> target: ``phone``, ``phone_2:work``, ``phone_label``,
        ``custom:size``, ``city``… (see ``phonelist.files.layout``)."""
        slots: dict[str, dict[int, list[str | None]]] = {"phone": {}, "email": {}}
        simple: dict[str, str] = {}
        custom: dict[str, str] = {}
        consent: dict[str, str] = {}
        for column, target in assignments.items():
            kind, _, fixed = target.partition(":")
            slot = parse_slot(kind)
            if slot is not None:
                field_name, number, is_label = slot
                entry = slots[field_name].setdefault(number, [None, None, None])
                if is_label:
                    entry[2] = column
                else:
                    entry[0], entry[1] = column, fixed or None
            elif kind == "custom":
                custom[fixed] = column
            elif kind in CONSENT_FIELDS:
                consent[kind] = column
            else:
                simple.setdefault(kind, column)

        def ordered(name: str) -> tuple[tuple[str, str | None, str | None], ...]:
            return tuple(
                (entry[0], entry[1], entry[2])
                for _, entry in sorted(slots[name].items())
                if entry[0] is not None
            )

        return cls(ordered("phone"), ordered("email"), simple, custom, consent)


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: str  # machine code, e.g. number_invalid_too_short, invalid_email
    message: str
    column: str | None
    raw: str | None


@dataclass(frozen=True, slots=True)
class Prepared:
    contact: NewContact
    analyses: tuple[Analysis, ...]
    dropped: tuple[Rejected, ...] = ()  # secondary numbers that were unusable
    consent: dict[str, str] = field(default_factory=dict)


RowPreparer = Callable[[Mapping[str, str]], Prepared | Rejected]

# Text fields checked as the contact is built, in the order the checks run (which decides the
# error reported for a row with several problems): (field, limit, extra check).
_TEXT_FIELDS: tuple[tuple[str, int, Callable[[str], str] | None], ...] = (
    ("display_name", NAME_LIMIT, None),
    ("first_name", NAME_LIMIT, None),
    ("last_name", NAME_LIMIT, None),
    ("region", PLACE_LIMIT, None),
    ("city", PLACE_LIMIT, None),
    ("postal_code", 20, None),
    ("time_zone", 64, iana_time_zone),
)
# What plain_text refuses (category Cc, and the lone surrogates of category Cs), to check every
# checked cell of a row in one search: a substring of a clean cell is clean.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# The multiline rule of notes: C0 controls but tab, line feed and carriage return.
_NOTE_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def row_preparer(
    columns: Columns,
    *,
    explicit_region: str | None,
    default_region: str,
    statuses: list[str],
    fields: dict[str, FieldDefinition],
    tags: tuple[str, ...] = (),
    lists: tuple[str, ...] = (),
    source: str | None = None,
) -> RowPreparer:
    """The function that prepares each row of one import.

    What depends only on the columns and the options is worked out here, once: which fields
    are mapped (an unmapped field costs nothing per row), which cells the text rules apply to,
    whether the import's own tags and lists pass. Per row, one search over the checked cells
    replaces a control-character check per value; a row where it finds one is checked value by
    value, so its reason and message are the usual ones.
    """
    simple = columns.simple
    country_column = simple.get("country")
    hint_column = None if explicit_region else simple.get("region_hint")
    status_column = simple.get("status")
    tags_column, lists_column = simple.get("tags"), simple.get("lists")
    text_fields = tuple(
        (name, column, limit, extra)
        for name, limit, extra in _TEXT_FIELDS
        if (column := simple.get(name)) is not None
    )
    source_column = simple.get("source") if not source else None
    note_column = simple.get("note")
    phone_columns, email_columns = columns.phones, columns.emails
    custom_columns = tuple(columns.custom.items())
    consent_columns = tuple(columns.consent.items())
    checked = [
        column
        for column in (
            country_column,
            *(label for _, fixed, label in (*phone_columns, *email_columns) if not fixed),
            *(column for column, _, _ in email_columns),
            tags_column,
            lists_column,
            *(column for _, column, _, _ in text_fields),
            source_column,
        )
        if column is not None
    ]
    own_tags_pass = _all_pass(tags, "tags", 64)
    own_lists_pass = _all_pass(lists, "lists", 100)

    def prepare(values: Mapping[str, str]) -> Prepared | Rejected:
        get = values.get
        clean = _UNSAFE.search("".join([get(column, "") for column in checked])) is None
        try:
            country = None
            if country_column is not None:
                country = _checked(
                    get(country_column, "").strip() or None, "country", 2, iso_country, clean
                )
            hint = explicit_region
            if not hint and hint_column is not None:
                hint = _region_hint(get(hint_column, "").strip() or None)
            hint = hint or country
            analyses: list[Analysis] = []
            phones: list[NewPhone] = []
            dropped: list[Rejected] = []
            first_problem: Rejected | None = None
            for column, fixed, label_column in phone_columns:
                raw = get(column, "")
                if not raw.strip():
                    continue
                label = fixed or _label(values, label_column, clean)
                result = analyze(raw, hint, default_region)
                if result.e164 is None or result.validity == "invalid":
                    problem = Rejected(
                        f"number_{result.reason or 'invalid'}",
                        f"{column}: not a usable phone number ({result.reason})",
                        column,
                        raw,
                    )
                    first_problem = first_problem or problem
                    dropped.append(problem)
                    continue
                if phones and any(p.e164 == result.e164 for p in phones):
                    continue  # the same number twice in one row
                analyses.append(result)
                phones.append(
                    NewPhone(
                        e164=result.e164,
                        label=label,
                        validity=result.validity,
                        number_type=result.number_type,
                        region=result.region,
                        country_code=result.country_code,
                        carrier=result.carrier,
                        time_zones=tuple(result.time_zones),
                    )
                )
            if not phones:
                return first_problem or Rejected(
                    "no_number", "the row has no phone number", None, None
                )
            emails: list[tuple[str, str | None]] = []
            for column, fixed, label_column in email_columns:
                address = (get(column) or "").strip()
                if not address:
                    continue
                label = fixed or _label(values, label_column, clean)
                try:
                    _checked(address, "email", 254, email_address, clean)
                except ValidationError as exc:
                    return Rejected("invalid_email", exc.message, column, get(column))
                if not emails or all(address.casefold() != e.casefold() for e, _ in emails):
                    emails.append((address, label))
            status = None
            if status_column is not None:
                status = get(status_column, "").strip() or None
                if status is not None and status not in statuses:
                    raise ValidationError(f"status: unknown status {status!r}", field="status")
            row_tags = _items(values, tags_column)
            row_lists = _items(values, lists_column)
            for tag in () if own_tags_pass else tags:
                _checked(tag, "tags", 64)
            for tag in row_tags:
                _checked(tag, "tags", 64, None, clean)
            for name in () if own_lists_pass else lists:
                _checked(name, "lists", 100)
            for name in row_lists:
                _checked(name, "lists", 100, None, clean)
            custom: dict[str, Any] = {}
            for name, column in custom_columns:
                text = (get(column) or "").strip()
                if text:
                    definition = fields[name]
                    custom[name] = check_value(definition, parse_text_value(definition, text))
            texts: dict[str, str | None] = {}
            for name, column, limit, extra in text_fields:
                texts[name] = _checked(get(column, "").strip() or None, name, limit, extra, clean)
            row_source = source or None
            if source_column is not None:
                row_source = _checked(
                    get(source_column, "").strip() or None, "source", 100, None, clean
                )
            note = None
            if note_column is not None:
                note = _note(get(note_column, "").strip() or None)
            contact = NewContact(
                phones=tuple(phones),
                emails=tuple(emails),
                country=country,
                status=status or statuses[0],
                source=row_source,
                tags=tuple(dict.fromkeys((*tags, *row_tags))) if tags or row_tags else (),
                lists=tuple(dict.fromkeys((*lists, *row_lists))) if lists or row_lists else (),
                custom=custom,
                note=note,
                **texts,
            )
        except ValidationError as exc:
            return _invalid(exc, columns, values)
        consent: dict[str, str] = {}
        if consent_columns:
            consent = {
                name: values[column].strip()
                for name, column in consent_columns
                if get(column, "").strip()
            }
            for name, allowed in CONSENT_VALUES.items():
                if name in consent:
                    consent[name] = consent[name].lower()
                    if consent[name] not in allowed:
                        column = columns.consent[name]
                        return Rejected(
                            "invalid_consent",
                            f"{name}: {values[column]!r} is not one of {', '.join(allowed)}",
                            column,
                            get(column),
                        )
        return Prepared(
            contact=contact, analyses=tuple(analyses), dropped=tuple(dropped), consent=consent
        )

    return prepare


def _invalid(exc: ValidationError, columns: Columns, values: Mapping[str, str]) -> Rejected:
    where = exc.field or "row"
    source_column = columns.simple.get(where) or columns.custom.get(where.removeprefix("custom."))
    return Rejected(
        f"invalid_{where.split('.')[0]}",
        exc.message,
        source_column,
        values.get(source_column) if source_column else None,
    )


def _items(values: Mapping[str, str], column: str | None) -> list[str]:
    """The tags or lists of a row's cell."""
    if column is None:
        return []
    text = values.get(column, "").strip()
    return split_list(text) if text else []


def _all_pass(items: tuple[str, ...], name: str, limit: int) -> bool:
    try:
        for item in items:
            _checked(item, name, limit)
    except ValidationError:
        return False
    return True


CONSENT_VALUES = {
    "consent_channel": CHANNELS,
    "consent_purpose": PURPOSES,
    "consent_method": METHODS,
}


def _label(values: Mapping[str, str], column: str | None, clean: bool = False) -> str | None:
    if column is None:
        return None
    text = values.get(column, "").strip()
    if not text:
        return None
    return _checked(text, "label", 32, None, clean)


def _region_hint(text: str | None) -> str | None:
    if text and len(text) == 2 and text.isalpha():
        return text.upper()
    return None


def _checked(
    value: str | None,
    name: str,
    limit: int,
    extra: Callable[[str], str] | None = None,
    clean: bool = False,
) -> str | None:
    """``value`` if it passes the API's rules for field ``name``; ``clean`` says that it is
    already known to hold no control character or lone surrogate."""
    if value is None:
        return None
    if len(value) > limit:
        raise ValidationError(f"{name}: longer than {limit} characters", field=name)
    try:
        if not clean:
            plain_text(value)
        if extra is not None:
            extra(value)
    except ValueError as exc:
        raise ValidationError(f"{name}: {exc}", field=name) from exc
    return value


def _note(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) > NOTE_LIMIT:
        raise ValidationError(f"note: longer than {NOTE_LIMIT} characters", field="note")
    if _NOTE_CONTROL.search(value):
        raise ValidationError("note: control characters are not allowed", field="note")
    return value


def parse_occurred_at(text: str | None) -> dt.datetime | None:
    """Consent times from a file: ISO 8601; a time without zone is taken as UTC."""
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
        except ValueError as exc:
            raise ValidationError(
                f"consent_at: {text!r} is not an ISO date or time", field="consent_at"
            ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
