"""The events the audit log must hold: sign-ins, bulk reads of personal data; never the data."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from sqlalchemy import select

from phonelist import Phonelist
from phonelist.contacts.commands import CreateContact
from phonelist.contacts.schemas import ContactIn
from phonelist.errors import AuthenticationError
from phonelist.security.permissions import Actor
from phonelist.store.models import AuditEvent
from tests.conftest import OWNER_PASSWORD

NUMBER = "+351912345678"


def events(core: Phonelist, action: str) -> list[AuditEvent]:
    with core.store.read() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


def everything(core: Phonelist) -> str:
    with core.store.read() as session:
        rows = session.scalars(select(AuditEvent))
        return json.dumps(
            [[r.actor, r.action, r.subject_type, r.subject_id, r.detail] for r in rows]
        )


def owner_id(core: Phonelist) -> str:
    return str(events(core, "user.create")[0].subject_id)


def test_a_sign_in_is_recorded(core: Phonelist) -> None:
    actor = core.users.sign_in(1, "owner", OWNER_PASSWORD)

    [event] = events(core, "user.sign_in")
    assert (event.actor, event.subject_id) == (actor.label, owner_id(core))
    assert core.audit.verify(core.cli_actor()).ok


def test_a_wrong_password_is_recorded_against_the_account_without_the_password(
    core: Phonelist,
) -> None:
    with pytest.raises(AuthenticationError):
        core.users.sign_in(1, "owner", "not the password 123")

    [event] = events(core, "user.sign_in_failed")
    assert event.subject_id == owner_id(core)
    assert event.detail == {}
    assert "not the password" not in everything(core)


def test_an_unknown_username_is_recorded_as_a_keyed_hash(core: Phonelist) -> None:
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            core.users.sign_in(1, "mallory@example.com", "guess")
    with pytest.raises(AuthenticationError):
        core.users.sign_in(1, "eve", "guess")

    first, second, third = events(core, "user.sign_in_failed")
    assert first.subject_id is None and first.actor == "anonymous:-"
    digest = first.detail["username_hash"]
    assert len(digest) == 32 and int(digest, 16) >= 0
    assert second.detail == first.detail  # repeated attempts on one name can be counted
    assert third.detail != first.detail
    assert "mallory" not in everything(core) and "guess" not in everything(core)


def add(core: Phonelist, actor: Actor, name: str, number: str) -> str:
    body = ContactIn.model_validate({"first_name": name, "phones": [number]})
    contact = core.contacts.apply(actor, CreateContact(body))
    assert contact is not None
    return contact.id


@pytest.fixture
def people(core: Phonelist, actor: Actor) -> list[str]:
    return [add(core, actor, name, f"+35191234567{i}") for i, name in enumerate(["Ana", "Rui"])]


def test_a_page_of_contacts_is_one_event_with_counts(
    core: Phonelist, actor: Actor, people: list[str]
) -> None:
    page = core.contacts.page(actor, limit=1)
    core.contacts.page(actor, limit=1, cursor=page.next_cursor, status="lead")

    first, second = events(core, "contacts.page")
    expected = {"rows": 1, "more": True, "filters": {}, "segment": False, "first_page": True}
    assert first.detail == expected
    assert second.detail["filters"] == {"status": "lead"}
    assert second.detail["first_page"] is False
    assert (first.subject_type, first.subject_id) == ("contacts", None)


@pytest.mark.parametrize(
    ("text", "by"), [("Ana", "name"), ("+351 912 345 670", "number"), ("ana@example.com", "email")]
)
def test_a_search_is_one_event_without_the_search_text(
    core: Phonelist, actor: Actor, people: list[str], text: str, by: str
) -> None:
    core.contacts.search(actor, text)

    [event] = events(core, "contacts.search")
    assert event.detail["by"] == by
    assert event.detail["rows"] == (0 if by == "email" else 1)
    assert text not in everything(core)


def test_a_segment_page_is_one_event(core: Phonelist, actor: Actor, people: list[str]) -> None:
    core.segments.page(actor, 'name = "Ana"', limit=10)

    [event] = events(core, "segment.page")
    assert event.detail["rows"] == 1 and event.detail["segment"] is True
    assert events(core, "contacts.page") == []
    assert "Ana" not in everything(core)


def test_an_export_is_one_event_however_many_pages(
    core: Phonelist, actor: Actor, people: list[str]
) -> None:
    core.exports.export(actor, io.BytesIO(), "csv")

    assert len(events(core, "contacts.export")) == 1
    assert events(core, "contacts.page") == []


def test_no_event_holds_a_number(core: Phonelist, actor: Actor, people: list[str]) -> None:
    core.contacts.page(actor)
    core.contacts.search(actor, "+351912345671")
    text: dict[str, Any] = {"all": everything(core)}
    assert "912345671" not in text["all"] and "Rui" not in text["all"]
