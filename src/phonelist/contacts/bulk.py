"""Creating many contacts at once: the importer's fast path through the one write path.

``ContactService.apply_in`` hands a :class:`~phonelist.contacts.commands.CreateMany` command
here. Rows arrive already validated and de-duplicated by the caller; this module seals the
personal fields, computes the blind indexes, and writes every table with one multi-row insert
each (SQLAlchemy Core ``executemany``), which is an order of magnitude faster than the ORM for
thousands of rows. One audit event covers the batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from phonelist.audit import record
from phonelist.clock import utcnow
from phonelist.contacts import codec
from phonelist.contacts.fields import encode_value
from phonelist.ids import new_id
from phonelist.numbers import area_code
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor
from phonelist.store.bulk import insert_rows
from phonelist.store.facts import deferred_facts, fill_facts
from phonelist.store.models import (
    Contact,
    ContactList,
    ContactTag,
    CustomField,
    CustomValue,
    Email,
    ListMember,
    NameToken,
    Note,
    PhoneNumber,
    Tag,
)

__all__ = ["NewContact", "NewPhone", "create_many"]


# Not frozen: a frozen dataclass sets each field through object.__setattr__, and an import
# builds (and unpickles from its workers) one of each per row: 1.8 µs against 0.3 µs.
@dataclass(slots=True)
class NewPhone:
    e164: str
    label: str | None = None
    validity: str | None = None
    number_type: str | None = None
    region: str | None = None
    country_code: int | None = None
    carrier: str | None = None
    time_zones: tuple[str, ...] | None = None


@dataclass(slots=True)
class NewContact:
    """A validated contact ready to store; the first phone is the primary one."""

    phones: tuple[NewPhone, ...]
    display_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    emails: tuple[tuple[str, str | None], ...] = ()
    country: str | None = None
    region: str | None = None
    city: str | None = None
    postal_code: str | None = None
    time_zone: str | None = None
    status: str = "lead"
    source: str | None = None
    tags: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()
    custom: dict[str, Any] = field(default_factory=dict)  # already checked against its field
    note: str | None = None


CONTACT_COLUMNS = (
    "id",
    "workspace_id",
    "status",
    "source",
    "country",
    "region",
    "city",
    "postal_code",
    "time_zone",
    "created_at",
    "updated_at",
    "display_name_enc",
    "first_name_enc",
    "last_name_enc",
)
PHONE_COLUMNS = (
    "id",
    "contact_id",
    "workspace_id",
    "e164_enc",
    "e164_index",
    "label",
    "is_primary",
    "position",
    "validity",
    "number_type",
    "region",
    "country_code",
    "carrier",
    "time_zones",
    "area_code",
    "analyzed_at",
)
EMAIL_COLUMNS = (
    "id",
    "contact_id",
    "workspace_id",
    "email_enc",
    "email_index",
    "label",
    "is_primary",
    "position",
)
TOKEN_COLUMNS = ("contact_id", "token_index", "workspace_id")
NOTE_COLUMNS = ("id", "contact_id", "workspace_id", "author", "created_at", "body_enc")


def create_many(
    session: Session,
    keyring: Keyring,
    actor: Actor,
    contacts: Iterable[NewContact],
    *,
    detail: dict[str, Any] | None = None,
) -> list[str]:
    """Insert the contacts; returns their new ids in order."""
    now = utcnow()
    ws = actor.workspace_id
    people: list[tuple[Any, ...]] = []
    phones: list[tuple[Any, ...]] = []
    emails: list[tuple[Any, ...]] = []
    tokens: list[tuple[Any, ...]] = []
    notes: list[tuple[Any, ...]] = []
    tag_links: list[tuple[str, str]] = []
    list_links: list[tuple[str, str]] = []
    custom: list[tuple[str, str, Any]] = []
    ids: list[str] = []
    encrypt = keyring.encrypt
    words: dict[str | None, set[bytes]] = {None: set()}  # a name's word indexes; names repeat
    for item in contacts:
        cid = new_id()
        ids.append(cid)
        names = (item.display_name, item.first_name, item.last_name)
        sealed = [
            None if value is None else encrypt(value, table="contacts", column=name, row_id=cid)
            for name, value in zip(codec.NAME_FIELDS, names, strict=True)
        ]
        people.append(
            (
                cid,
                ws,
                item.status,
                item.source,
                item.country,
                item.region,
                item.city,
                item.postal_code,
                item.time_zone,
                now,
                now,
                *sealed,
            )
        )
        held: set[bytes] = set()
        for name in names:
            found = words.get(name)
            if found is None:
                found = words[name] = codec.name_tokens(keyring, name)
            held |= found
        tokens += [(cid, token, ws) for token in held]
        for position, phone in enumerate(item.phones):
            pid = new_id()
            phones.append(
                (
                    pid,
                    cid,
                    ws,
                    encrypt(phone.e164, table="phone_numbers", column="e164", row_id=pid),
                    codec.phone_index(keyring, phone.e164),
                    phone.label,
                    position == 0,
                    position,
                    phone.validity,
                    phone.number_type,
                    phone.region,
                    phone.country_code,
                    phone.carrier,
                    list(phone.time_zones) if phone.time_zones is not None else None,
                    area_code(phone.e164),
                    now,
                )
            )
        for position, (address, label) in enumerate(item.emails):
            eid = new_id()
            emails.append(
                (
                    eid,
                    cid,
                    ws,
                    encrypt(address, table="emails", column="email", row_id=eid),
                    codec.email_index(keyring, address),
                    label,
                    position == 0,
                    position,
                )
            )
        if item.note:
            nid = new_id()
            notes.append(
                (
                    nid,
                    cid,
                    ws,
                    actor.label,
                    now,
                    encrypt(item.note, table="notes", column="body", row_id=nid),
                )
            )
        tag_links += [(cid, t) for t in dict.fromkeys(item.tags)]
        list_links += [(cid, name) for name in dict.fromkeys(item.lists)]
        custom += [(cid, name, value) for name, value in item.custom.items() if value is not None]

    # Parents first: the foreign keys are checked as rows arrive.
    # The facts are filled after the inserts, set-based (store/facts.py).
    with deferred_facts(session):
        insert_rows(session, Contact.__table__, CONTACT_COLUMNS, people)
        insert_rows(session, PhoneNumber.__table__, PHONE_COLUMNS, phones)
        insert_rows(session, Email.__table__, EMAIL_COLUMNS, emails)
        insert_rows(session, NameToken.__table__, TOKEN_COLUMNS, tokens)
        insert_rows(session, Note.__table__, NOTE_COLUMNS, notes)
        if tag_links:
            tag_ids = _ensure_named(session, Tag, ws, {t for _, t in tag_links}, now=None)
            insert_rows(
                session,
                ContactTag.__table__,
                ("contact_id", "tag_id"),
                [(cid, tag_ids[t]) for cid, t in tag_links],
            )
        if list_links:
            list_ids = _ensure_named(session, ContactList, ws, {n for _, n in list_links}, now=now)
            insert_rows(
                session,
                ListMember.__table__,
                ("contact_id", "list_id", "added_at"),
                [(cid, list_ids[n], now) for cid, n in list_links],
            )
    fill_facts(session, ids)
    if custom:
        _insert_custom(session, keyring, ws, custom)
    record(
        session,
        actor,
        "contact.create_many",
        "contact",
        None,
        {"count": len(ids), **(detail or {})},
    )
    return ids


def _ensure_named(
    session: Session,
    model: type[Tag] | type[ContactList],
    ws: int,
    names: set[str],
    *,
    now: Any,
) -> dict[str, int]:
    """Ids of the named tags or lists, creating the missing ones."""
    found = dict(
        session.execute(
            select(model.name, model.id).where(model.workspace_id == ws, model.name.in_(names))
        ).all()
    )
    missing = sorted(names - found.keys())
    if missing:
        extra = {"created_at": now} if model is ContactList else {}
        session.execute(insert(model), [{"workspace_id": ws, "name": n, **extra} for n in missing])
        found.update(
            session.execute(
                select(model.name, model.id).where(
                    model.workspace_id == ws, model.name.in_(missing)
                )
            ).all()
        )
    return found


def _insert_custom(
    session: Session, keyring: Keyring, ws: int, values: list[tuple[str, str, Any]]
) -> None:
    definitions = {
        f.name: f
        for f in session.scalars(select(CustomField).where(CustomField.workspace_id == ws))
    }
    rows = []
    for cid, name, value in values:
        definition = definitions[name]
        row = CustomValue(contact_id=cid, field_id=definition.id)
        encode_value(row, definition, value, keyring)
        rows.append(
            {
                "contact_id": cid,
                "field_id": definition.id,
                "value_text": row.value_text,
                "value_number": row.value_number,
                "value_date": row.value_date,
                "value_bool": row.value_bool,
                "value_enc": row.value_enc,
            }
        )
    session.execute(insert(CustomValue), rows)
