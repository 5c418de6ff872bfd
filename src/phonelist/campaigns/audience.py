"""A campaign's audience against the store: the contacts it names, their primary numbers, and
the values their template reads (names decrypted, custom fields by name).

A saved segment and a query go through :class:`~phonelist.segments.SegmentService` (so
``sendable`` conditions and saved segments mean what they mean everywhere); a list is its
members. Contacts come back in id order, read a chunk at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from phonelist.contacts.codec import unseal
from phonelist.contacts.fields import decode_value
from phonelist.errors import NotFound
from phonelist.exports.records import custom_text
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor
from phonelist.segments.service import SegmentService
from phonelist.store import Store
from phonelist.store.models import Contact, ContactList, CustomValue, LineLookup, ListMember
from phonelist.store.models import PhoneNumber as Phone
from phonelist.store.segment_models import Segment

__all__ = [
    "CHUNK",
    "Recipient",
    "audience_ids",
    "chunks",
    "list_id",
    "load_recipients",
    "template_values",
]

CHUNK = 2_000  # contacts per read; also the policy engine's batch (an IN list of ids)


@dataclass(frozen=True, slots=True)
class Recipient:
    """One contact of an audience with its primary number's facts (no number: ``e164`` None)."""

    contact_id: str
    e164: str | None
    region: str | None
    validity: str | None
    number_type: str | None
    line_type: str | None  # from a live line check, when one was made
    contact_zone: str | None
    number_zones: tuple[str, ...]
    values: dict[str, str | None]  # what the template may read


def audience_ids(
    store: Store, segments: SegmentService, actor: Actor, kind: str, audience: str, at: dt.datetime
) -> list[str]:
    """The contact ids of the audience, sorted."""
    if kind == "list":
        with store.read() as session:
            found = list_id(session, actor.workspace_id, audience)
            return sorted(
                session.scalars(select(ListMember.contact_id).where(ListMember.list_id == found))
            )
    if kind == "segment":
        with store.read() as session:
            segment = session.scalar(
                select(Segment.id).where(
                    Segment.workspace_id == actor.workspace_id, Segment.name == audience
                )
            )
        if segment is None:
            raise NotFound(f"no saved segment named {audience!r}", field="audience")
    return sorted(segments.ids(actor, audience, at=at))


def list_id(session: Session, workspace_id: int, name: str) -> int:
    """The id of the static list ``name``, or NotFound."""
    found = session.scalar(
        select(ContactList.id).where(
            ContactList.workspace_id == workspace_id, ContactList.name == name
        )
    )
    if found is None:
        raise NotFound(f"no list named {name!r}", field="audience")
    return found


def chunks(ids: Sequence[str], size: int = CHUNK) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def load_recipients(
    session: Session,
    keyring: Keyring,
    workspace_id: int,
    ids: Sequence[str],
    fields: tuple[str, ...],
) -> list[Recipient]:
    """The recipients among ``ids`` (ids of other workspaces or deleted contacts are skipped)."""
    options = [selectinload(Contact.phones)]
    if any(name.startswith("custom.") for name in fields):
        options.append(selectinload(Contact.custom_values).selectinload(CustomValue.field))
    contacts = session.scalars(
        select(Contact)
        .where(Contact.workspace_id == workspace_id, Contact.id.in_(list(ids)))
        .options(*options)
        .order_by(Contact.id)
    ).all()
    primaries = {c.id: _primary(c.phones) for c in contacts}
    indexes = [p.e164_index for p in primaries.values() if p is not None]
    lines: dict[bytes, str | None] = {}
    if indexes:
        rows = session.execute(
            select(LineLookup.e164_index, LineLookup.line_type).where(
                LineLookup.workspace_id == workspace_id, LineLookup.e164_index.in_(indexes)
            )
        )
        lines = {index: line_type for index, line_type in rows}
    found = []
    for contact in contacts:
        phone = primaries[contact.id]
        e164 = None
        if phone is not None:
            e164 = keyring.decrypt(
                phone.e164_enc, table="phone_numbers", column="e164", row_id=phone.id
            )
        found.append(
            Recipient(
                contact_id=contact.id,
                e164=e164,
                region=phone.region if phone else None,
                validity=phone.validity if phone else None,
                number_type=phone.number_type if phone else None,
                line_type=lines.get(phone.e164_index) if phone else None,
                contact_zone=contact.time_zone,
                number_zones=tuple(phone.time_zones or ()) if phone else (),
                values=template_values(keyring, contact, fields),
            )
        )
    return found


def _primary(phones: Sequence[Phone]) -> Phone | None:
    if not phones:
        return None
    return next((p for p in phones if p.is_primary), min(phones, key=lambda p: p.position))


def template_values(
    keyring: Keyring, contact: Contact, fields: tuple[str, ...]
) -> dict[str, str | None]:
    """The values of ``fields`` (a template's placeholders) for ``contact``, decrypted."""
    values: dict[str, str | None] = {}
    custom: dict[str, str] | None = None
    for name in fields:
        if name in ("first_name", "last_name", "display_name"):
            values[name] = unseal(
                keyring, getattr(contact, f"{name}_enc"), "contacts", name, contact.id
            )
        elif name.startswith("custom."):
            if custom is None:
                custom = {
                    v.field.name: custom_text(decode_value(v, keyring))
                    for v in contact.custom_values
                }
            values[name] = custom.get(name[7:])
        else:
            values[name] = getattr(contact, name, None)
    return values
