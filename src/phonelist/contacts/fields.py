"""Typed custom fields, defined per workspace: text, number, date, boolean or choice."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from phonelist.audit import record
from phonelist.clock import utcnow
from phonelist.contacts.schemas import plain_text
from phonelist.errors import Conflict, ValidationError
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor, Permission
from phonelist.store import Store
from phonelist.store.models import CustomField, CustomValue

__all__ = [
    "FIELD_TYPES",
    "FieldDefinition",
    "FieldService",
    "decode_value",
    "encode_value",
    "parse_text_value",
]

FIELD_TYPES = ("text", "number", "date", "boolean", "choice")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_TEXT = 1000
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})


@dataclass(frozen=True, slots=True)
class FieldDefinition:
    name: str
    type: str
    choices: list[str] | None
    sensitive: bool

    @classmethod
    def of(cls, row: CustomField) -> FieldDefinition:
        return cls(name=row.name, type=row.type, choices=row.choices, sensitive=row.sensitive)


class FieldService:
    def __init__(self, store: Store) -> None:
        self.store = store

    def define(
        self,
        actor: Actor,
        name: str,
        type_: str,
        *,
        choices: list[str] | None = None,
        sensitive: bool = False,
    ) -> FieldDefinition:
        actor.require(Permission.FIELDS_MANAGE)
        if not _NAME.match(name):
            raise ValidationError(
                "field name must be lower-case letters, digits and _, starting with a letter",
                field="name",
            )
        if type_ not in FIELD_TYPES:
            raise ValidationError(
                f"field type must be one of {', '.join(FIELD_TYPES)}", field="type"
            )
        if type_ == "choice":
            if not choices:
                raise ValidationError("a choice field needs at least one choice", field="choices")
            for choice in choices:
                try:
                    plain_text(choice)
                except ValueError as exc:
                    raise ValidationError(f"choices: {exc}", field="choices") from exc
        elif choices:
            raise ValidationError("only choice fields take choices", field="choices")
        with self.store.write() as session:
            exists = session.scalar(
                select(CustomField.id).where(
                    CustomField.workspace_id == actor.workspace_id, CustomField.name == name
                )
            )
            if exists is not None:
                raise Conflict(f"custom field {name!r} already exists", field="name")
            row = CustomField(
                workspace_id=actor.workspace_id,
                name=name,
                type=type_,
                choices=list(choices) if choices else None,
                sensitive=sensitive,
                created_at=utcnow(),
            )
            session.add(row)
            record(session, actor, "field.define", "field", name, {"type": type_})
            return FieldDefinition.of(row)

    def all(self, actor: Actor) -> list[FieldDefinition]:
        actor.require(Permission.CONTACTS_READ)
        with self.store.read() as session:
            return [FieldDefinition.of(r) for r in _fields(session, actor.workspace_id).values()]


def _fields(session: Session, workspace_id: int) -> dict[str, CustomField]:
    rows = session.scalars(
        select(CustomField)
        .where(CustomField.workspace_id == workspace_id)
        .order_by(CustomField.name)
    )
    return {row.name: row for row in rows}


def load_fields(session: Session, workspace_id: int) -> dict[str, CustomField]:
    return _fields(session, workspace_id)


def check_value(definition: CustomField | FieldDefinition, value: Any) -> Any:
    """Validate one value against its field type; returns the Python value to store."""
    where = f"custom.{definition.name}"
    kind = definition.type
    if kind in ("text", "choice"):
        if not isinstance(value, str):
            raise ValidationError(f"{where} must be text", field=where)
        if len(value) > MAX_TEXT:
            raise ValidationError(f"{where} is longer than {MAX_TEXT} characters", field=where)
        try:
            plain_text(value)
        except ValueError as exc:
            raise ValidationError(f"{where}: {exc}", field=where) from exc
        if kind == "choice" and value not in (definition.choices or []):
            raise ValidationError(
                f"{where} must be one of: {', '.join(definition.choices or [])}", field=where
            )
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError(f"{where} must be a number", field=where)
        if not math.isfinite(value) or abs(value) > 1e15:
            raise ValidationError(f"{where} must be a finite number", field=where)
        return value
    if kind == "date":
        if not isinstance(value, str):
            raise ValidationError(f"{where} must be a date as YYYY-MM-DD", field=where)
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValidationError(f"{where} must be a date as YYYY-MM-DD", field=where) from exc
    if not isinstance(value, bool):
        raise ValidationError(f"{where} must be true or false", field=where)
    return value


def parse_text_value(definition: FieldDefinition, text: str) -> Any:
    """Turn a value typed as text (a CLI argument, a form field) into the field's type.

    Numbers become int or float, booleans accept true/false, yes/no and 1/0. Text, choice and
    date values stay text; :func:`check_value` still checks every value on write.
    """
    where = f"custom.{definition.name}"
    if definition.type == "number":
        number = text.strip()
        try:
            return int(number)
        except ValueError:
            pass
        try:
            return float(number)
        except ValueError:
            raise ValidationError(
                f"{where} must be a number, such as 42 or 3.5", field=where
            ) from None
    if definition.type == "boolean":
        folded = text.strip().casefold()
        if folded in _TRUE:
            return True
        if folded in _FALSE:
            return False
        raise ValidationError(f"{where} must be true or false (or yes/no, 1/0)", field=where)
    return text


def encode_value(row: CustomValue, definition: CustomField, value: Any, keyring: Keyring) -> None:
    """Put a checked value in its typed column, or sealed in ``value_enc`` when sensitive."""
    row.value_text = row.value_number = row.value_date = row.value_bool = row.value_enc = None
    if definition.sensitive:
        plain = value.isoformat() if isinstance(value, dt.date) else value
        row.value_enc = keyring.encrypt(
            json.dumps(plain), table="custom_values", column="value", row_id=_row_id(row)
        )
    elif definition.type in ("text", "choice"):
        row.value_text = value
    elif definition.type == "number":
        row.value_number = float(value)
    elif definition.type == "date":
        row.value_date = value
    else:
        row.value_bool = value


def decode_value(row: CustomValue, keyring: Keyring) -> Any:
    definition = row.field
    if row.value_enc is not None:
        value = json.loads(
            keyring.decrypt(
                row.value_enc, table="custom_values", column="value", row_id=_row_id(row)
            )
        )
        return value
    if definition.type in ("text", "choice"):
        return row.value_text
    if definition.type == "number":
        number = row.value_number
        return int(number) if number is not None and number.is_integer() else number
    if definition.type == "date":
        return row.value_date.isoformat() if row.value_date else None
    return row.value_bool


def _row_id(row: CustomValue) -> str:
    return f"{row.contact_id}:{row.field_id}"
