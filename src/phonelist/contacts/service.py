"""The one write path for contacts, and the reads that go with it.

:meth:`ContactService.apply` takes a command from :mod:`phonelist.contacts.commands`, checks the
actor's permission, validates, writes, and records the audit event, all in one transaction.
Nothing is half-written: any error rolls the whole command back.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from phonelist.audit import record
from phonelist.clock import utcnow
from phonelist.contacts import codec
from phonelist.contacts.bulk import create_many
from phonelist.contacts.commands import (
    AddNote,
    AddToLists,
    Command,
    CreateContact,
    CreateMany,
    DeleteContact,
    MergeContacts,
    RemoveFromLists,
    TagContact,
    UntagContact,
    UpdateContact,
)
from phonelist.contacts.fields import check_value, decode_value, encode_value, load_fields
from phonelist.contacts.queries import (
    MAX_PAGE,
    ContactQueries,
    Page,
    check_name,
    load_contact,
    masks_numbers,
    workspace_of,
)
from phonelist.contacts.schemas import (
    ContactIn,
    ContactOut,
    ContactPatch,
    EmailIn,
    PhoneIn,
    multiline_text,
)
from phonelist.errors import Conflict, ValidationError
from phonelist.ids import new_id
from phonelist.numbers import NormalizedNumber, area_code, normalize
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor, Permission
from phonelist.store.engine import UniqueViolation
from phonelist.store.models import (
    Contact,
    ContactList,
    ContactTag,
    CustomValue,
    Email,
    ListMember,
    Note,
    PhoneNumber,
    Tag,
    Workspace,
)

__all__ = ["MAX_PAGE", "ContactService", "Page"]

_STATUS = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_LOCATION = ("country", "region", "city", "postal_code", "time_zone")


class ContactService(ContactQueries):
    """Reads (from ContactQueries) and the one write path, :meth:`apply`."""

    # -- the write path ---------------------------------------------------------------------
    def apply(self, actor: Actor, command: Command) -> ContactOut | None:
        """Apply one command; returns the contact as it now is (None after a delete)."""
        _require_for(actor, command)
        try:
            return self._apply_once(actor, command)
        except UniqueViolation:
            # Another transaction committed the same number (or tag, list) between our check
            # and our write. Once more: the check now sees it and names the owner.
            try:
                return self._apply_once(actor, command)
            except UniqueViolation as again:
                raise Conflict("a concurrent change conflicts with this one; retry") from again

    def _apply_once(self, actor: Actor, command: Command) -> ContactOut | None:
        with self.store.write() as session:
            contact = self.apply_in(session, actor, command)
            if contact is None:
                return None
            session.flush()
            session.expire(contact)
            contact = load_contact(session, actor, contact.id)
            return codec.to_out(self.keyring, contact, masked=masks_numbers(actor))

    def apply_in(self, session: Session, actor: Actor, command: Command) -> Contact | None:
        """Apply one command inside the caller's write transaction (the importer's batches).

        The caller commits or rolls back; the audit event is part of the same transaction.
        """
        _require_for(actor, command)
        match command:
            case CreateContact(data):
                contact = self._create(session, actor, data)
            case CreateMany(contacts, detail):
                create_many(session, self.keyring, actor, contacts, detail=detail)
                return None
            case UpdateContact(contact_id, patch):
                contact = self._update(session, actor, contact_id, patch)
            case DeleteContact(contact_id):
                self._delete(session, actor, contact_id)
                return None
            case MergeContacts(target_id, source_id):
                contact = self._merge(session, actor, target_id, source_id)
            case TagContact(contact_id, tags):
                _check_names(tags, "tags", 64)
                contact = load_contact(session, actor, contact_id)
                added = self._add_tags(session, contact, tags)
                _touch(session, actor, contact, "contact.tag", {"tags": added})
            case UntagContact(contact_id, tags):
                _check_names(tags, "tags", 64)
                contact = load_contact(session, actor, contact_id)
                removed = [t.tag.name for t in contact.tag_links if t.tag.name in tags]
                contact.tag_links = [t for t in contact.tag_links if t.tag.name not in tags]
                _touch(session, actor, contact, "contact.untag", {"tags": removed})
            case AddToLists(contact_id, lists):
                _check_names(lists, "lists", 100)
                contact = load_contact(session, actor, contact_id)
                added = self._add_lists(session, contact, lists)
                _touch(session, actor, contact, "contact.list_add", {"lists": added})
            case RemoveFromLists(contact_id, lists):
                _check_names(lists, "lists", 100)
                contact = load_contact(session, actor, contact_id)
                removed = [
                    m.contact_list.name for m in contact.list_links if m.contact_list.name in lists
                ]
                contact.list_links = [
                    m for m in contact.list_links if m.contact_list.name not in lists
                ]
                _touch(session, actor, contact, "contact.list_remove", {"lists": removed})
            case AddNote(contact_id, body):
                contact = load_contact(session, actor, contact_id)
                self._add_note(contact, actor, body)
                _touch(session, actor, contact, "contact.note", {})
        return contact

    def _create(self, session: Session, actor: Actor, data: ContactIn) -> Contact:
        workspace = workspace_of(session, actor.workspace_id)
        if not (
            data.display_name or data.first_name or data.last_name or data.phones or data.emails
        ):
            raise ValidationError("a contact needs at least a name, a phone number or an email")
        region = data.country or workspace.default_region
        numbers = _normalize_all(data.phones, region)
        self._check_numbers_free(session, actor.workspace_id, numbers, owner=None)
        now = utcnow()
        contact = Contact(
            id=new_id(),
            workspace_id=actor.workspace_id,
            status=_status(workspace, data.status),
            source=data.source,
            created_at=now,
            updated_at=now,
            **{f: getattr(data, f) for f in _LOCATION},
        )
        session.add(contact)
        codec.set_names(self.keyring, contact, {f: getattr(data, f) for f in codec.NAME_FIELDS})
        self._set_phones(contact, data.phones, numbers)
        self._set_emails(contact, data.emails)
        self._add_tags(session, contact, tuple(data.tags))
        self._add_lists(session, contact, tuple(data.lists))
        self._set_custom(session, contact, data.custom)
        if data.note:
            self._add_note(contact, actor, data.note)
        record(
            session,
            actor,
            "contact.create",
            "contact",
            contact.id,
            {
                "phones": len(numbers),
                "emails": len(data.emails),
                "custom_fields": sorted(data.custom),
                "source": data.source,
            },
        )
        return contact

    def _update(
        self, session: Session, actor: Actor, contact_id: str, patch: ContactPatch
    ) -> Contact:
        contact = load_contact(session, actor, contact_id)
        given = patch.model_fields_set
        workspace = workspace_of(session, actor.workspace_id)
        names = {f: getattr(patch, f) for f in codec.NAME_FIELDS if f in given}
        if names:
            codec.set_names(self.keyring, contact, names)
        for field in _LOCATION:
            if field in given:
                setattr(contact, field, getattr(patch, field))
        if "status" in given:
            contact.status = _status(workspace, patch.status)
        if "source" in given:
            contact.source = patch.source
        if "phones" in given:
            region = contact.country or workspace.default_region
            numbers = _normalize_all(patch.phones, region)
            self._check_numbers_free(session, actor.workspace_id, numbers, owner=contact.id)
            self._set_phones(contact, patch.phones, numbers)
        if "emails" in given:
            contact.emails = []
            session.flush()
            self._set_emails(contact, patch.emails)
        if "tags" in given:
            contact.tag_links = []
            self._add_tags(session, contact, tuple(patch.tags))
        if "lists" in given:
            contact.list_links = []
            self._add_lists(session, contact, tuple(patch.lists))
        if "custom" in given:
            contact.custom_values = []
            session.flush()
            self._set_custom(session, contact, patch.custom)
        _touch(session, actor, contact, "contact.update", {"fields": sorted(given)})
        return contact

    def _delete(self, session: Session, actor: Actor, contact_id: str) -> None:
        contact = load_contact(session, actor, contact_id)
        record(
            session,
            actor,
            "contact.delete",
            "contact",
            contact.id,
            {"phones": len(contact.phones), "emails": len(contact.emails)},
        )
        session.delete(contact)

    def _merge(self, session: Session, actor: Actor, target_id: str, source_id: str) -> Contact:
        if target_id == source_id:
            raise ValidationError("cannot merge a contact into itself", field="source_id")
        target = load_contact(session, actor, target_id)
        source = load_contact(session, actor, source_id)
        keyring = self.keyring
        # Names and location: the target keeps what it has and gains what it lacks.
        missing = {
            f: codec.unseal(keyring, getattr(source, f"{f}_enc"), "contacts", f, source.id)
            for f in codec.NAME_FIELDS
            if getattr(target, f"{f}_enc") is None
        }
        codec.set_names(keyring, target, {f: v for f, v in missing.items() if v is not None})
        for field in _LOCATION:
            if getattr(target, field) is None:
                setattr(target, field, getattr(source, field))
        # Numbers move row by row (their ciphertext is bound to the number's own id).
        has_primary = any(p.is_primary for p in target.phones)
        for position, phone in enumerate(list(source.phones), start=len(target.phones)):
            phone.contact = target
            phone.position = position
            phone.is_primary = phone.is_primary and not has_primary
            has_primary = has_primary or phone.is_primary
        known = {e.email_index for e in target.emails}
        moved = [codec.email_out(keyring, e) for e in source.emails if e.email_index not in known]
        self._append_emails(
            target, [EmailIn(email=e.email, label=e.label, primary=False) for e in moved]
        )
        self._add_tags(session, target, tuple(link.tag.name for link in source.tag_links))
        self._add_lists(session, target, tuple(m.contact_list.name for m in source.list_links))
        have = {v.field_id for v in target.custom_values}
        for value in source.custom_values:
            if value.field_id not in have:
                row = CustomValue(contact_id=target.id, field_id=value.field_id)
                row.field = value.field
                encode_value(row, value.field, _python_value(value, keyring), keyring)
                target.custom_values.append(row)
        for note in source.notes:
            copy = Note(
                id=new_id(),
                workspace_id=target.workspace_id,
                author=note.author,
                created_at=note.created_at,
            )
            copy.body_enc = keyring.encrypt(
                codec.note_out(keyring, note).body, table="notes", column="body", row_id=copy.id
            )
            target.notes.append(copy)
        session.flush()
        session.delete(source)
        _touch(session, actor, target, "contact.merge", {"merged": source.id})
        return target

    # -- pieces ------------------------------------------------------------------------------
    def _check_numbers_free(
        self,
        session: Session,
        workspace_id: int,
        numbers: list[NormalizedNumber],
        owner: str | None,
    ) -> None:
        for position, number in enumerate(numbers):
            holder = session.scalar(
                select(PhoneNumber.contact_id).where(
                    PhoneNumber.workspace_id == workspace_id,
                    PhoneNumber.e164_index == codec.phone_index(self.keyring, number.e164),
                )
            )
            if holder is not None and holder != owner:
                raise Conflict(
                    f"{number.e164} already belongs to contact {holder}",
                    field=f"phones[{position}].number",
                    details={"contact_id": holder},
                    code="number_taken",
                )

    def _set_phones(
        self, contact: Contact, phones: list[PhoneIn], numbers: list[NormalizedNumber]
    ) -> None:
        _check_primary(phones, "phones")
        kept = {p.e164_index: p for p in contact.phones}
        rows = []
        for position, (given, number) in enumerate(zip(phones, numbers, strict=True)):
            index = codec.phone_index(self.keyring, number.e164)
            row = kept.pop(index, None)
            if row is None:
                row = PhoneNumber(id=new_id(), workspace_id=contact.workspace_id, e164_index=index)
                row.e164_enc = self.keyring.encrypt(
                    number.e164, table="phone_numbers", column="e164", row_id=row.id
                )
            row.label = given.label
            row.position = position
            row.is_primary = given.primary or (position == 0 and not any(p.primary for p in phones))
            row.validity = number.validity
            row.number_type = number.number_type
            row.region = number.region
            row.country_code = number.country_code
            row.carrier = number.carrier
            row.time_zones = list(number.time_zones)
            row.area_code = area_code(number.e164)
            row.analyzed_at = utcnow()
            rows.append(row)
        contact.phones = rows

    def _set_emails(self, contact: Contact, emails: list[EmailIn]) -> None:
        _check_primary(emails, "emails")
        indexes = [codec.email_index(self.keyring, e.email) for e in emails]
        if len(set(indexes)) != len(indexes):
            raise ValidationError("the same email is given twice", field="emails")
        self._append_emails(contact, emails)

    def _append_emails(self, contact: Contact, emails: list[EmailIn]) -> None:
        has_primary = any(e.is_primary for e in contact.emails)
        for given in emails:
            row = Email(
                id=new_id(),
                workspace_id=contact.workspace_id,
                email_index=codec.email_index(self.keyring, given.email),
                label=given.label,
                position=len(contact.emails),
            )
            row.email_enc = self.keyring.encrypt(
                given.email, table="emails", column="email", row_id=row.id
            )
            row.is_primary = given.primary or not has_primary
            has_primary = True
            contact.emails.append(row)

    def _add_tags(self, session: Session, contact: Contact, tags: tuple[str, ...]) -> list[str]:
        have = {link.tag.name for link in contact.tag_links}
        added = []
        for name in dict.fromkeys(tags):
            if name in have:
                continue
            tag = session.scalar(
                select(Tag).where(Tag.workspace_id == contact.workspace_id, Tag.name == name)
            )
            if tag is None:
                tag = Tag(workspace_id=contact.workspace_id, name=name)
                session.add(tag)
                session.flush()
            contact.tag_links.append(ContactTag(tag=tag))
            added.append(name)
        return added

    def _add_lists(self, session: Session, contact: Contact, lists: tuple[str, ...]) -> list[str]:
        have = {m.contact_list.name for m in contact.list_links}
        added = []
        for name in dict.fromkeys(lists):
            if name in have:
                continue
            row = session.scalar(
                select(ContactList).where(
                    ContactList.workspace_id == contact.workspace_id, ContactList.name == name
                )
            )
            if row is None:
                row = ContactList(workspace_id=contact.workspace_id, name=name, created_at=utcnow())
                session.add(row)
                session.flush()
            contact.list_links.append(ListMember(contact_list=row, added_at=utcnow()))
            added.append(name)
        return added

    def _set_custom(self, session: Session, contact: Contact, values: dict[str, Any]) -> None:
        if not values:
            return
        definitions = load_fields(session, contact.workspace_id)
        for name, value in values.items():
            definition = definitions.get(name)
            if definition is None:
                known = ", ".join(definitions) or "none defined yet"
                raise ValidationError(
                    f"unknown custom field {name!r} (known: {known}); define it first with "
                    "'phonelist fields add'",
                    field=f"custom.{name}",
                )
            if value is None:
                continue
            row = CustomValue(contact_id=contact.id, field_id=definition.id)
            row.field = definition
            encode_value(row, definition, check_value(definition, value), self.keyring)
            contact.custom_values.append(row)

    def _add_note(self, contact: Contact, actor: Actor, body: str) -> None:
        try:
            multiline_text(body)
        except ValueError as exc:
            raise ValidationError(f"note: {exc}", field="note") from exc
        if not body or len(body) > 10_000:
            raise ValidationError("a note has 1 to 10000 characters", field="note")
        note = Note(
            id=new_id(),
            workspace_id=contact.workspace_id,
            author=actor.label,
            created_at=utcnow(),
            body_enc=b"",
        )
        note.body_enc = self.keyring.encrypt(body, table="notes", column="body", row_id=note.id)
        contact.notes.append(note)

    def set_statuses(self, actor: Actor, statuses: list[str]) -> list[str]:
        """Replace the workspace's statuses; the first is given to new contacts.

        A status still held by a contact cannot be removed (move those contacts first).
        """
        actor.require(Permission.FIELDS_MANAGE)
        cleaned = list(dict.fromkeys(statuses))
        if not cleaned or len(cleaned) > 50 or any(not _STATUS.fullmatch(s) for s in cleaned):
            raise ValidationError(
                "statuses are 1 to 50 names of lower-case letters, digits, - and _",
                field="statuses",
            )
        with self.store.write() as session:
            workspace = workspace_of(session, actor.workspace_id)
            removed = set(workspace.statuses) - set(cleaned)
            in_use = session.execute(
                select(Contact.status, func.count())
                .where(Contact.workspace_id == actor.workspace_id, Contact.status.in_(removed))
                .group_by(Contact.status)
            ).all()
            if in_use:
                held = ", ".join(f"{status} ({n} contacts)" for status, n in in_use)
                raise Conflict(f"statuses still in use: {held}", field="statuses")
            workspace.statuses = cleaned
            record(
                session,
                actor,
                "workspace.statuses",
                "workspace",
                str(workspace.id),
                {"statuses": cleaned},
            )
            return cleaned


def _require_for(actor: Actor, command: Command) -> None:
    destructive = isinstance(command, DeleteContact | MergeContacts)
    actor.require(Permission.CONTACTS_DELETE if destructive else Permission.CONTACTS_WRITE)


def _touch(
    session: Session, actor: Actor, contact: Contact, action: str, detail: dict[str, Any]
) -> None:
    contact.updated_at = utcnow()
    record(session, actor, action, "contact", contact.id, detail)


def _status(workspace: Workspace, status: str | None) -> str:
    if status is None:
        return workspace.statuses[0]
    if status not in workspace.statuses:
        raise ValidationError(
            f"unknown status {status!r}; use one of: {', '.join(workspace.statuses)}",
            field="status",
        )
    return status


def _normalize_all(phones: list[PhoneIn], region: str) -> list[NormalizedNumber]:
    numbers = [
        normalize(p.number, region, field=f"phones[{i}].number") for i, p in enumerate(phones)
    ]
    seen: dict[str, int] = {}
    for i, number in enumerate(numbers):
        if number.e164 in seen:
            raise ValidationError(
                f"{number.e164} is given twice (phones[{seen[number.e164]}] and phones[{i}])",
                field=f"phones[{i}].number",
            )
        seen[number.e164] = i
    return numbers


def _check_primary(items: list[PhoneIn] | list[EmailIn], field: str) -> None:
    if sum(1 for item in items if item.primary) > 1:
        raise ValidationError(f"only one of {field} can be primary", field=field)


def _check_names(names: tuple[str, ...], field: str, max_length: int) -> None:
    if not names:
        raise ValidationError(f"give at least one of {field}", field=field)
    for name in names:
        check_name(name, field, max_length)


def _python_value(value: CustomValue, keyring: Keyring) -> Any:
    plain = decode_value(value, keyring)
    return check_value(value.field, plain)
