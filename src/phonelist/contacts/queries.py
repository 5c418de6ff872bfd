"""Reading contacts: one, a page at a time, or by search. Shared by every face."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, selectinload

from phonelist.audit import record
from phonelist.contacts import codec
from phonelist.contacts.schemas import ContactOut, plain_text
from phonelist.errors import NotFound, ValidationError
from phonelist.numbers import NormalizedNumber, normalize
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor, Permission
from phonelist.store import Store
from phonelist.store.models import (
    Contact,
    ContactList,
    ContactTag,
    Email,
    ListMember,
    NameToken,
    PhoneNumber,
    Tag,
    Workspace,
)

__all__ = [
    "MAX_PAGE",
    "ContactQueries",
    "Page",
    "Selection",
    "check_name",
    "load_contact",
    "masks_numbers",
    "workspace_of",
]

MAX_PAGE = 500
_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")


@dataclass(frozen=True, slots=True)
class Selection:
    """A filter made elsewhere (a segment): a WHERE clause over contacts, and an optional
    after-the-SQL filter of each page's ids; ``label`` names it in audit events."""

    label: str
    where: ColumnElement[bool]
    keep: Callable[[list[str]], set[str]] | None = None


@dataclass(frozen=True, slots=True)
class Page:
    items: list[ContactOut]
    next_cursor: str | None


def load_options() -> list[Any]:
    return [
        selectinload(Contact.phones),
        selectinload(Contact.emails),
        selectinload(Contact.name_tokens),
        selectinload(Contact.tag_links),
        selectinload(Contact.list_links),
        selectinload(Contact.custom_values),
        selectinload(Contact.notes),
    ]


def load_contact(session: Session, actor: Actor, contact_id: str) -> Contact:
    """The actor's workspace's contact with its collections, or NotFound."""
    if not _ID.fullmatch(contact_id):
        raise NotFound(f"no contact with id {contact_id!r}", field="id")
    contact = session.scalar(
        select(Contact)
        .where(Contact.id == contact_id, Contact.workspace_id == actor.workspace_id)
        .options(*load_options())
    )
    if contact is None:
        raise NotFound(f"no contact with id {contact_id!r}", field="id")
    return contact


def workspace_of(session: Session, workspace_id: int) -> Workspace:
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound(f"no workspace {workspace_id}; run 'phonelist init'")
    return workspace


class ContactQueries:
    def __init__(self, store: Store, keyring: Keyring) -> None:
        self.store = store
        self.keyring = keyring

    # -- reads --------------------------------------------------------------------------------
    def get(self, actor: Actor, contact_id: str) -> ContactOut:
        actor.require(Permission.CONTACTS_READ)
        with self.store.read() as session:
            contact = load_contact(session, actor, contact_id)
            return codec.to_out(self.keyring, contact, masked=masks_numbers(actor))

    def get_in(self, session: Session, actor: Actor, contact_id: str) -> ContactOut:
        """Read a contact inside the caller's transaction, numbers in full (for the importer's
        merges, never shown)."""
        actor.require(Permission.CONTACTS_READ)
        return codec.to_out(self.keyring, load_contact(session, actor, contact_id))

    def page(
        self,
        actor: Actor,
        *,
        limit: int = 50,
        cursor: str | None = None,
        status: str | None = None,
        tag: str | None = None,
        list_name: str | None = None,
        where: ColumnElement[bool] | None = None,
        keep: Callable[[list[str]], set[str]] | None = None,
        audit_as: str | None = "contacts.page",
    ) -> Page:
        """Contacts in id (creation) order; ``cursor`` comes from the previous page.

        ``where`` is a compiled segment; ``keep`` filters each page's ids after the SQL (the
        policy engine's answers), so a page may hold fewer than ``limit`` contacts. Each call is
        one ``audit_as`` audit event with counts and filters (None: the caller audits, as an
        export does once for all its pages).
        """
        actor.require(Permission.CONTACTS_READ)
        _check_limit(limit)
        for field, value in (("status", status), ("tag", tag), ("list", list_name)):
            if value is not None:
                check_name(value, field, 100)
        query = select(Contact).where(Contact.workspace_id == actor.workspace_id)
        if cursor:
            query = query.where(Contact.id > _decode_cursor(cursor))
        if status:
            query = query.where(Contact.status == status)
        if tag:
            query = query.where(
                Contact.id.in_(
                    select(ContactTag.contact_id)
                    .join(Tag)
                    .where(Tag.workspace_id == actor.workspace_id, Tag.name == tag)
                )
            )
        if list_name:
            query = query.where(
                Contact.id.in_(
                    select(ListMember.contact_id)
                    .join(ContactList)
                    .where(
                        ContactList.workspace_id == actor.workspace_id,
                        ContactList.name == list_name,
                    )
                )
            )
        if where is not None:
            query = query.where(where)
        page = self._page(query, limit, keep, masked=masks_numbers(actor))
        if audit_as is not None:
            filters = {"status": status, "tag": tag, "list": list_name}
            detail = {
                "filters": {k: v for k, v in filters.items() if v is not None},
                "segment": where is not None,
                "first_page": cursor is None,
            }
            self._audit_read(actor, audit_as, page, detail)
        return page

    def search(self, actor: Actor, text: str, *, limit: int = 50) -> Page:
        """Find by phone number (any format), email, or name words (all must match)."""
        actor.require(Permission.CONTACTS_READ)
        _check_limit(limit)
        text = check_name(text.strip(), "q", 200)
        with self.store.read() as session:
            region = workspace_of(session, actor.workspace_id).default_region
        ws = actor.workspace_id
        query: Select[Contact]
        by = "email" if "@" in text else "number"
        if "@" in text:
            index = codec.email_index(self.keyring, text)
            query = select(Contact).where(
                Contact.workspace_id == ws,
                Contact.id.in_(
                    select(Email.contact_id).where(
                        Email.workspace_id == ws, Email.email_index == index
                    )
                ),
            )
        elif (number := _as_number(text, region)) is not None:
            index = codec.phone_index(self.keyring, number.e164)
            query = select(Contact).where(
                Contact.workspace_id == ws,
                Contact.id.in_(
                    select(PhoneNumber.contact_id).where(
                        PhoneNumber.workspace_id == ws, PhoneNumber.e164_index == index
                    )
                ),
            )
        else:
            by = "name"
            tokens = codec.name_tokens(self.keyring, text)
            if not tokens:
                raise ValidationError("search text has no letters or digits", field="q")
            matching = (
                select(NameToken.contact_id)
                .where(NameToken.workspace_id == ws, NameToken.token_index.in_(tokens))
                .group_by(NameToken.contact_id)
                .having(func.count() == len(tokens))
            )
            query = select(Contact).where(Contact.workspace_id == ws, Contact.id.in_(matching))
        page = self._page(query, limit, masked=masks_numbers(actor))
        self._audit_read(actor, "contacts.search", page, {"by": by})  # never the search text
        return page

    def _audit_read(self, actor: Actor, action: str, page: Page, detail: dict[str, Any]) -> None:
        """One audit event per bulk read of personal data: how many contacts, never which."""
        with self.store.write() as session:
            rows = {"rows": len(page.items), "more": page.next_cursor is not None}
            record(session, actor, action, "contacts", None, {**rows, **detail})

    def _page(
        self,
        query: Select[Contact],
        limit: int,
        keep: Callable[[list[str]], set[str]] | None = None,
        *,
        masked: bool,
    ) -> Page:
        with self.store.read() as session:
            rows = list(
                session.scalars(
                    query.order_by(Contact.id).limit(limit + 1).options(*load_options())
                )
            )
            shown = rows[:limit]
            if keep is not None:
                kept = keep([row.id for row in shown])
                shown = [row for row in shown if row.id in kept]
            items = [codec.to_out(self.keyring, row, masked=masked) for row in shown]
        next_cursor = _encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
        return Page(items=items, next_cursor=next_cursor)

    def statuses(self, actor: Actor) -> list[str]:
        actor.require(Permission.CONTACTS_READ)
        with self.store.read() as session:
            return list(workspace_of(session, actor.workspace_id).statuses)


def masks_numbers(actor: Actor) -> bool:
    """Whether ``actor`` sees numbers masked: roles without contacts.numbers (agents)."""
    return not actor.can(Permission.CONTACTS_NUMBERS)


def check_name(value: str, field: str, max_length: int) -> str:
    """A short single-line text (tag, list, filter, search): 1 to max_length, no control chars."""
    if not 1 <= len(value) <= max_length:
        raise ValidationError(f"{field} must have 1 to {max_length} characters", field=field)
    try:
        return plain_text(value)
    except ValueError as exc:
        raise ValidationError(f"{field}: {exc}", field=field) from exc


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError(f"limit must be between 1 and {MAX_PAGE}", field="limit")


def _as_number(text: str, region: str) -> NormalizedNumber | None:
    if sum(c.isdigit() for c in text) < 5 or any(c.isalpha() for c in text.replace("ext", "")):
        return None
    try:
        return normalize(text, region)
    except ValidationError:
        return None


def _encode_cursor(contact_id: str) -> str:
    return base64.urlsafe_b64encode(contact_id.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True)
        contact_id = value.decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        contact_id = ""
    if not _ID.fullmatch(contact_id):
        raise ValidationError("cursor is not one this server gave out", field="cursor")
    return contact_id
