"""The changes a contact can undergo, as small frozen commands.

Every face (CLI, API, importer, webhooks, web pages) builds one of these and hands it to
:meth:`phonelist.contacts.service.ContactService.apply`, the one write path, which validates,
writes and records the audit event in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from phonelist.contacts.bulk import NewContact
from phonelist.contacts.schemas import ContactIn, ContactPatch

__all__ = [
    "AddNote",
    "AddToLists",
    "Command",
    "CreateContact",
    "CreateMany",
    "DeleteContact",
    "MergeContacts",
    "RemoveFromLists",
    "TagContact",
    "UntagContact",
    "UpdateContact",
]


@dataclass(frozen=True, slots=True)
class CreateContact:
    data: ContactIn


@dataclass(frozen=True, slots=True)
class CreateMany:
    """Many validated, de-duplicated contacts at once (imports); one audit event."""

    contacts: tuple[NewContact, ...]
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UpdateContact:
    contact_id: str
    patch: ContactPatch


@dataclass(frozen=True, slots=True)
class DeleteContact:
    contact_id: str


@dataclass(frozen=True, slots=True)
class MergeContacts:
    """Fold ``source_id`` into ``target_id``: the target keeps its values, gains what it lacks."""

    target_id: str
    source_id: str


@dataclass(frozen=True, slots=True)
class TagContact:
    contact_id: str
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UntagContact:
    contact_id: str
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AddToLists:
    contact_id: str
    lists: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RemoveFromLists:
    contact_id: str
    lists: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AddNote:
    contact_id: str
    body: str


Command = (
    CreateContact
    | CreateMany
    | UpdateContact
    | DeleteContact
    | MergeContacts
    | TagContact
    | UntagContact
    | AddToLists
    | RemoveFromLists
    | AddNote
)
