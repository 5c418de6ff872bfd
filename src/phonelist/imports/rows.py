"""One spreadsheet row in, a contact ready to store (or the reason it cannot be) out. Pure.

Cells are trimmed of surrounding white space and empty cells count as absent: that is what
a spreadsheet means by them. Everything else is checked with the same rules as the API
(``contacts/schemas.py``), by the same functions, without pydantic's per-row cost.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from phonelist.contacts.bulk import NewContact, NewPhone
from phonelist.contacts.fields import FieldDefinition, check_value, parse_text_value
from phonelist.contacts.schemas import email_address, iana_time_zone, iso_country, plain_text
from phonelist.errors import ValidationError
from phonelist.files.layout import CONSENT_FIELDS, parse_slot, split_list
from phonelist.imports.options import CHANNELS, METHODS, PURPOSES
from phonelist.numbers.analyze import Analysis, analyze

__all__ = ["Columns", "Prepared", "Rejected", "prepare_row"]

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


def prepare_row(
    values: dict[str, str],
    columns: Columns,
    *,
    explicit_region: str | None,
    default_region: str,
    statuses: list[str],
    fields: dict[str, FieldDefinition],
    tags: tuple[str, ...] = (),
    lists: tuple[str, ...] = (),
    source: str | None = None,
) -> Prepared | Rejected:
    def cell(name: str) -> str | None:
        column = columns.simple.get(name)
        if column is None:
            return None
        text = values.get(column, "").strip()
        return text or None

    try:
        country = _checked(cell("country"), "country", 2, iso_country)
        hint = explicit_region or _region_hint(cell("region_hint")) or country
        analyses: list[Analysis] = []
        phones: list[NewPhone] = []
        dropped: list[Rejected] = []
        first_problem: Rejected | None = None
        for column, fixed, label_column in columns.phones:
            raw = values.get(column, "")
            if not raw.strip():
                continue
            label = fixed or _label(values, label_column)
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
            if any(p.e164 == result.e164 for p in phones):
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
            return first_problem or Rejected("no_number", "the row has no phone number", None, None)
        emails: list[tuple[str, str | None]] = []
        for column, fixed, label_column in columns.emails:
            address = (values.get(column) or "").strip()
            if not address:
                continue
            label = fixed or _label(values, label_column)
            try:
                _checked(address, "email", 254, email_address)
            except ValidationError as exc:
                return Rejected("invalid_email", exc.message, column, values.get(column))
            if all(address.casefold() != e.casefold() for e, _ in emails):
                emails.append((address, label))
        status = cell("status")
        if status is not None and status not in statuses:
            raise ValidationError(f"status: unknown status {status!r}", field="status")
        row_tags = [*tags, *split_list(cell("tags") or "")]
        row_lists = [*lists, *split_list(cell("lists") or "")]
        for tag in row_tags:
            _checked(tag, "tags", 64)
        for name in row_lists:
            _checked(name, "lists", 100)
        custom: dict[str, Any] = {}
        for name, column in columns.custom.items():
            text = (values.get(column) or "").strip()
            if text:
                definition = fields[name]
                value = parse_text_value(definition, text)
                custom[name] = check_value(definition, value)
        contact = NewContact(
            phones=tuple(phones),
            display_name=_checked(cell("display_name"), "display_name", NAME_LIMIT),
            first_name=_checked(cell("first_name"), "first_name", NAME_LIMIT),
            last_name=_checked(cell("last_name"), "last_name", NAME_LIMIT),
            emails=tuple(emails),
            country=country,
            region=_checked(cell("region"), "region", PLACE_LIMIT),
            city=_checked(cell("city"), "city", PLACE_LIMIT),
            postal_code=_checked(cell("postal_code"), "postal_code", 20),
            time_zone=_checked(cell("time_zone"), "time_zone", 64, iana_time_zone),
            status=status or statuses[0],
            source=source or _checked(cell("source"), "source", 100),
            tags=tuple(dict.fromkeys(row_tags)),
            lists=tuple(dict.fromkeys(row_lists)),
            custom=custom,
            note=_checked(cell("note"), "note", NOTE_LIMIT, multiline=True),
        )
    except ValidationError as exc:
        where = exc.field or "row"
        source_column = columns.simple.get(where) or columns.custom.get(
            where.removeprefix("custom.")
        )
        return Rejected(
            f"invalid_{where.split('.')[0]}",
            exc.message,
            source_column,
            values.get(source_column) if source_column else None,
        )
    consent = {
        name: values[column].strip()
        for name, column in columns.consent.items()
        if values.get(column, "").strip()
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
                    values.get(column),
                )
    return Prepared(
        contact=contact, analyses=tuple(analyses), dropped=tuple(dropped), consent=consent
    )


CONSENT_VALUES = {
    "consent_channel": CHANNELS,
    "consent_purpose": PURPOSES,
    "consent_method": METHODS,
}


def _label(values: dict[str, str], column: str | None) -> str | None:
    if column is None:
        return None
    text = values.get(column, "").strip()
    if not text:
        return None
    return _checked(text, "label", 32)


def _region_hint(text: str | None) -> str | None:
    if text and len(text) == 2 and text.isalpha():
        return text.upper()
    return None


def _checked(
    value: str | None,
    name: str,
    limit: int,
    extra: Any = None,
    *,
    field_name: str | None = None,
    multiline: bool = False,
) -> str | None:
    if value is None:
        return None
    where = field_name or name
    if len(value) > limit:
        raise ValidationError(f"{where}: longer than {limit} characters", field=where)
    try:
        if not multiline:
            plain_text(value)
        elif any(ord(c) < 32 and c not in "\n\r\t" for c in value):
            raise ValueError("control characters are not allowed")
        if extra is not None:
            extra(value)
    except ValueError as exc:
        raise ValidationError(f"{where}: {exc}", field=where) from exc
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
