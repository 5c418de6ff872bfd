"""/api/v1/contacts and /api/v1/search: parse, call the contact service, render."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from phonelist.api.deps import ActorDep, CoreDep
from phonelist.api.routing import api_router
from phonelist.api.schemas import ContactPage, MergeIn, NoteIn, SearchResult, TagsIn
from phonelist.contacts.commands import (
    AddNote,
    CreateContact,
    DeleteContact,
    MergeContacts,
    TagContact,
    UntagContact,
    UpdateContact,
)
from phonelist.contacts.schemas import ContactIn, ContactOut, ContactPatch
from phonelist.contacts.service import MAX_PAGE

__all__ = ["router"]

router = api_router(tags=["contacts"])

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="How many contacts to return")]


def _contact(result: ContactOut | None) -> ContactOut:
    """Every command but a delete gives the contact back."""
    assert result is not None
    return result


@router.post("/contacts", status_code=201, response_model=ContactOut)
def create_contact(
    body: ContactIn, core: CoreDep, actor: ActorDep, response: Response
) -> ContactOut:
    contact = _contact(core.contacts.apply(actor, CreateContact(body)))
    response.headers["Location"] = f"/api/v1/contacts/{contact.id}"
    return contact


@router.get("/contacts", response_model=ContactPage)
def list_contacts(
    core: CoreDep,
    actor: ActorDep,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[str | None, Query(max_length=32)] = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    list_name: Annotated[str | None, Query(alias="list", max_length=100)] = None,
) -> ContactPage:
    page = core.contacts.page(
        actor, limit=limit, cursor=cursor, status=status, tag=tag, list_name=list_name
    )
    return ContactPage(items=page.items, next_cursor=page.next_cursor)


@router.get("/contacts/{contact_id}", response_model=ContactOut)
def get_contact(contact_id: str, core: CoreDep, actor: ActorDep) -> ContactOut:
    return core.contacts.get(actor, contact_id)


@router.patch("/contacts/{contact_id}", response_model=ContactOut)
def update_contact(
    contact_id: str, body: ContactPatch, core: CoreDep, actor: ActorDep
) -> ContactOut:
    """Only the fields given change; ``null`` clears one; lists replace the whole collection."""
    return _contact(core.contacts.apply(actor, UpdateContact(contact_id, body)))


@router.delete("/contacts/{contact_id}", status_code=204)
def delete_contact(contact_id: str, core: CoreDep, actor: ActorDep) -> Response:
    core.contacts.apply(actor, DeleteContact(contact_id))
    return Response(status_code=204)


@router.post("/contacts/{contact_id}/merge", response_model=ContactOut)
def merge_contacts(contact_id: str, body: MergeIn, core: CoreDep, actor: ActorDep) -> ContactOut:
    """Fold ``source_id`` into this contact: it keeps its values and gains what it lacks."""
    return _contact(core.contacts.apply(actor, MergeContacts(contact_id, body.source_id)))


@router.post("/contacts/{contact_id}/tags", response_model=ContactOut)
def tag_contact(contact_id: str, body: TagsIn, core: CoreDep, actor: ActorDep) -> ContactOut:
    return _contact(core.contacts.apply(actor, TagContact(contact_id, tuple(body.tags))))


@router.delete("/contacts/{contact_id}/tags/{tag}", response_model=ContactOut)
def untag_contact(contact_id: str, tag: str, core: CoreDep, actor: ActorDep) -> ContactOut:
    return _contact(core.contacts.apply(actor, UntagContact(contact_id, (tag,))))


@router.post("/contacts/{contact_id}/notes", status_code=201, response_model=ContactOut)
def add_note(contact_id: str, body: NoteIn, core: CoreDep, actor: ActorDep) -> ContactOut:
    return _contact(core.contacts.apply(actor, AddNote(contact_id, body.body)))


@router.get("/search", response_model=SearchResult)
def search_contacts(
    core: CoreDep,
    actor: ActorDep,
    q: Annotated[str, Query(description="A phone number in any format, an email, or name words")],
    limit: Limit = 50,
) -> SearchResult:
    page = core.contacts.search(actor, q, limit=limit)
    return SearchResult(items=page.items, has_more=page.next_cursor is not None)
