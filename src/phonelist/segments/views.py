"""Contacts as the in-memory evaluator sees them, read from the store in a few set queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from phonelist.segments.compile import SENT_STATUSES
from phonelist.segments.evaluate import ContactView
from phonelist.store.consent_models import ConsentState, Message
from phonelist.store.models import (
    Contact,
    ContactList,
    ContactTag,
    CustomValue,
    Email,
    ListMember,
    NameToken,
    PhoneNumber,
    Suppression,
    Tag,
)

__all__ = ["load_views"]

# The plan's column keys, read from the source tables (the SQL reads ContactFacts instead).
SOURCE: dict[str, Any] = {
    "contact.country": Contact.country,
    "contact.region": Contact.region,
    "contact.city": Contact.city,
    "contact.postal_code": Contact.postal_code,
    "contact.time_zone": Contact.time_zone,
    "contact.status": Contact.status,
    "contact.source": Contact.source,
    "contact.created_at": Contact.created_at,
    "contact.updated_at": Contact.updated_at,
    "contact.last_contacted_at": Contact.last_contacted_at,
    "phone.number_type": PhoneNumber.number_type,
    "phone.region": PhoneNumber.region,
    "phone.carrier": PhoneNumber.carrier,
}

_VALUE_COLUMNS = ("value_text", "value_number", "value_date", "value_bool")


def load_views(session: Session, workspace_id: int, ids: Sequence[str]) -> dict[str, ContactView]:
    """Views of the given contacts of the workspace (missing ids are left out)."""
    wanted = list(ids)
    contact_columns = {k: v for k, v in SOURCE.items() if k.startswith("contact.")}
    phone_columns = {k: v for k, v in SOURCE.items() if k.startswith("phone.")}
    values: dict[str, dict[str, Any]] = {}
    for row in session.execute(
        select(Contact.id, *contact_columns.values()).where(
            Contact.workspace_id == workspace_id, Contact.id.in_(wanted)
        )
    ):
        values[row[0]] = dict(zip(contact_columns, row[1:], strict=True))
    primary: dict[str, bytes] = {}
    numbers: dict[str, set[bytes]] = defaultdict(set)
    for row in session.execute(
        select(
            PhoneNumber.contact_id,
            PhoneNumber.e164_index,
            PhoneNumber.is_primary,
            *phone_columns.values(),
        )
        .where(PhoneNumber.workspace_id == workspace_id, PhoneNumber.contact_id.in_(list(values)))
        .order_by(PhoneNumber.position.desc())  # the first primary by position wins
    ):
        numbers[row[0]].add(row[1])
        if row[2]:
            primary[row[0]] = row[1]
            values[row[0]].update(zip(phone_columns, row[3:], strict=True))
    owner = {index: contact_id for contact_id, index in primary.items()}

    tags = _pairs(
        session,
        select(ContactTag.contact_id, Tag.name)
        .join(Tag, Tag.id == ContactTag.tag_id)
        .where(ContactTag.contact_id.in_(list(values))),
    )
    lists = _pairs(
        session,
        select(ListMember.contact_id, ContactList.name)
        .join(ContactList, ContactList.id == ListMember.list_id)
        .where(ListMember.contact_id.in_(list(values))),
    )
    custom: dict[str, dict[int, Any]] = defaultdict(dict)
    for row in session.execute(
        select(
            CustomValue.contact_id,
            CustomValue.field_id,
            *(getattr(CustomValue, c) for c in _VALUE_COLUMNS),
        ).where(CustomValue.contact_id.in_(list(values)))
    ):
        set_values = [v for v in row[2:] if v is not None]
        if set_values:
            custom[row[0]][row[1]] = set_values[0]
    consents: dict[str, dict[tuple[str, str], Any]] = defaultdict(dict)
    for state in session.scalars(
        select(ConsentState).where(
            ConsentState.workspace_id == workspace_id, ConsentState.e164_index.in_(list(owner))
        )
    ):
        consents[owner[state.e164_index]][(state.channel, state.purpose)] = (
            state.status,
            state.expires_at,
        )
    suppressed = {
        owner[i]
        for i in session.scalars(
            select(Suppression.e164_index).where(
                Suppression.workspace_id == workspace_id,
                Suppression.e164_index.in_(list(owner)),
                Suppression.lifted_at.is_(None),
            )
        )
    }
    newest: dict[tuple[str, str], Any] = {}
    for direction, statuses in (("out", SENT_STATUSES), ("in", None)):
        query = select(Message.e164_index, func.max(Message.at)).where(
            Message.workspace_id == workspace_id,
            Message.e164_index.in_(list(owner)),
            Message.direction == direction,
        )
        if statuses is not None:
            query = query.where(Message.status.in_(statuses))
        for index, at in session.execute(query.group_by(Message.e164_index)):
            newest[(owner[index], direction)] = _aware(at)
    tokens = _pairs(
        session,
        select(NameToken.contact_id, NameToken.token_index).where(
            NameToken.workspace_id == workspace_id, NameToken.contact_id.in_(list(values))
        ),
    )
    emails = _pairs(
        session,
        select(Email.contact_id, Email.email_index).where(
            Email.workspace_id == workspace_id, Email.contact_id.in_(list(values))
        ),
    )
    return {
        contact_id: ContactView(
            id=contact_id,
            values=found,
            tags=frozenset(tags.get(contact_id, ())),
            lists=frozenset(lists.get(contact_id, ())),
            custom=custom.get(contact_id, {}),
            consents=consents.get(contact_id, {}),
            suppressed=contact_id in suppressed,
            last_out=newest.get((contact_id, "out")),
            last_in=newest.get((contact_id, "in")),
            name_tokens=frozenset(tokens.get(contact_id, ())),
            emails=frozenset(emails.get(contact_id, ())),
            numbers=frozenset(numbers.get(contact_id, ())),
        )
        for contact_id, found in values.items()
    }


def _pairs(session: Session, query: Any) -> dict[str, set[Any]]:
    found: dict[str, set[Any]] = defaultdict(set)
    for key, value in session.execute(query):
        found[key].add(value)
    return found


def _aware(value: Any) -> Any:
    """``max()`` over a UTC column may come back raw: make it an aware datetime."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value
