"""Contacts: the people on the list, their numbers, emails, location, tags, lists and fields."""

from phonelist.contacts.commands import (
    AddNote,
    AddToLists,
    CreateContact,
    DeleteContact,
    MergeContacts,
    RemoveFromLists,
    TagContact,
    UntagContact,
    UpdateContact,
)
from phonelist.contacts.schemas import ContactIn, ContactOut, ContactPatch
from phonelist.contacts.service import ContactService, Page

__all__ = [
    "AddNote",
    "AddToLists",
    "ContactIn",
    "ContactOut",
    "ContactPatch",
    "ContactService",
    "CreateContact",
    "DeleteContact",
    "MergeContacts",
    "Page",
    "RemoveFromLists",
    "TagContact",
    "UntagContact",
    "UpdateContact",
]
