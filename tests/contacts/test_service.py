"""The one write path: every command validates, writes and audits in one transaction."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from phonelist import Conflict, NotFound, PermissionDenied, Phonelist, ValidationError
from phonelist.contacts import (
    AddNote,
    AddToLists,
    ContactIn,
    ContactPatch,
    CreateContact,
    DeleteContact,
    MergeContacts,
    RemoveFromLists,
    TagContact,
    UntagContact,
    UpdateContact,
)
from phonelist.contacts.schemas import ContactOut, validate_input
from phonelist.security.permissions import Actor, Role
from phonelist.store.models import AuditEvent, Contact, Email, NameToken, PhoneNumber


def create(core: Phonelist, actor: Actor, **data: Any) -> ContactOut:
    out = core.contacts.apply(actor, CreateContact(validate_input(ContactIn, data)))
    assert out is not None
    return out


def count(core: Phonelist, model: type[Any]) -> int:
    with core.store.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_create_normalises_numbers_and_round_trips(core: Phonelist, actor: Actor) -> None:
    out = create(
        core,
        actor,
        first_name="Ana",
        last_name="Lima",
        country="PT",
        city="Porto",
        phones=["912 345 678", {"number": "+1 202-555-0143", "label": "work"}],
        emails=["ana@example.org"],
        tags=["vip", "vip", "pt"],
        lists=["newsletter"],
        note="first call",
        source="fair 2026",
        time_zone="Europe/Lisbon",
    )
    assert [p.e164 for p in out.phones] == ["+351912345678", "+12025550143"]
    assert out.phones[0].primary and not out.phones[1].primary
    assert out.phones[0].number_type == "mobile" and out.phones[0].region == "PT"
    assert out.phones[1].label == "work"
    assert out.tags == ["pt", "vip"] and out.lists == ["newsletter"]
    assert out.status == "lead"  # the first of the workspace's statuses
    assert [n.body for n in out.notes] == ["first call"]
    again = core.contacts.get(actor, out.id)
    assert again == out


def test_duplicate_number_is_refused_naming_the_owner(core: Phonelist, actor: Actor) -> None:
    first = create(core, actor, first_name="A", phones=["+351912345678"])
    with pytest.raises(Conflict) as caught:
        create(core, actor, first_name="B", phones=["+351 91 234 5678"])
    assert caught.value.details["contact_id"] == first.id
    assert first.id in caught.value.message
    assert caught.value.field == "phones[0].number"
    assert count(core, Contact) == 1


def test_the_same_number_twice_in_one_contact_is_invalid(core: Phonelist, actor: Actor) -> None:
    with pytest.raises(ValidationError, match="given twice"):
        create(core, actor, phones=["+351912345678", "+351 912 345 678"])


def test_failure_mid_command_writes_nothing(core: Phonelist, actor: Actor) -> None:
    with pytest.raises(ValidationError, match="unknown custom field"):
        create(
            core, actor, first_name="Half", phones=["+351912345678"], tags=["t"], custom={"nope": 1}
        )
    assert count(core, Contact) == count(core, PhoneNumber) == count(core, NameToken) == 0
    assert count(core, AuditEvent) == 1  # only the owner's creation at init


def test_update_changes_only_given_fields(core: Phonelist, actor: Actor) -> None:
    out = create(
        core,
        actor,
        first_name="Ana",
        last_name="Lima",
        phones=["+351912345678"],
        emails=["ana@example.org"],
    )
    phone_id = out.phones[0].id
    patch = validate_input(
        ContactPatch,
        {
            "last_name": None,
            "city": "Braga",
            "phones": ["+351912345678", "+351 21 000 0000"],
        },
    )
    new = core.contacts.apply(actor, UpdateContact(out.id, patch))
    assert new is not None
    assert new.first_name == "Ana" and new.last_name is None and new.city == "Braga"
    assert new.phones[0].id == phone_id  # kept rows keep their id and derived data
    assert [p.e164 for p in new.phones] == ["+351912345678", "+351210000000"]
    assert [e.email for e in new.emails] == ["ana@example.org"]
    assert core.contacts.search(actor, "lima").items == []
    assert [c.id for c in core.contacts.search(actor, "ANA").items] == [out.id]


def test_update_cannot_take_another_contacts_number(core: Phonelist, actor: Actor) -> None:
    a = create(core, actor, first_name="A", phones=["+351912345678"])
    b = create(core, actor, first_name="B", phones=["+351912345679"])
    patch = validate_input(ContactPatch, {"phones": ["+351912345678"]})
    with pytest.raises(Conflict) as caught:
        core.contacts.apply(actor, UpdateContact(b.id, patch))
    assert caught.value.details["contact_id"] == a.id
    assert core.contacts.get(actor, b.id).phones[0].e164 == "+351912345679"


def test_merge_moves_everything_and_deletes_the_source(core: Phonelist, actor: Actor) -> None:
    core.fields.define(actor, "level", "number")
    core.fields.define(actor, "secret", "text", sensitive=True)
    target = create(
        core,
        actor,
        first_name="Ana",
        phones=["+351912345678"],
        emails=["a@example.org"],
        tags=["a"],
        custom={"level": 1},
    )
    source = create(
        core,
        actor,
        first_name="Anita",
        last_name="Lima",
        phones=["+351912345679"],
        emails=["a@example.org", "b@example.org"],
        tags=["b"],
        lists=["l"],
        custom={"level": 9, "secret": "s3"},
        note="from source",
        city="Porto",
    )
    merged = core.contacts.apply(actor, MergeContacts(target.id, source.id))
    assert merged is not None
    assert merged.first_name == "Ana" and merged.last_name == "Lima" and merged.city == "Porto"
    assert [p.e164 for p in merged.phones] == ["+351912345678", "+351912345679"]
    assert [p.primary for p in merged.phones] == [True, False]
    assert [e.email for e in merged.emails] == ["a@example.org", "b@example.org"]
    assert merged.tags == ["a", "b"] and merged.lists == ["l"]
    assert merged.custom == {"level": 1, "secret": "s3"}
    assert [n.body for n in merged.notes] == ["from source"]
    with pytest.raises(NotFound):
        core.contacts.get(actor, source.id)
    assert [c.id for c in core.contacts.search(actor, "+351912345679").items] == [target.id]
    with pytest.raises(ValidationError):
        core.contacts.apply(actor, MergeContacts(target.id, target.id))


def test_tags_lists_notes_and_delete(core: Phonelist, actor: Actor) -> None:
    out = create(core, actor, first_name="T", phones=["+351912345678"], emails=["t@example.org"])
    core.contacts.apply(actor, TagContact(out.id, ("x", "y")))
    core.contacts.apply(actor, UntagContact(out.id, ("x",)))
    core.contacts.apply(actor, AddToLists(out.id, ("one", "two")))
    core.contacts.apply(actor, RemoveFromLists(out.id, ("one",)))
    now = core.contacts.apply(actor, AddNote(out.id, "line 1\nline 2"))
    assert now is not None
    assert now.tags == ["y"] and now.lists == ["two"]
    assert now.notes[0].body == "line 1\nline 2" and now.notes[0].author.startswith("cli:")
    assert [c.id for c in core.contacts.page(actor, tag="y").items] == [out.id]
    assert core.contacts.page(actor, list_name="one").items == []
    assert core.contacts.apply(actor, DeleteContact(out.id)) is None
    assert count(core, Contact) == count(core, PhoneNumber) == count(core, Email) == 0
    with pytest.raises(NotFound):
        core.contacts.apply(actor, DeleteContact(out.id))


def test_custom_fields_are_typed(core: Phonelist, actor: Actor) -> None:
    core.fields.define(actor, "size", "number")
    core.fields.define(actor, "born", "date")
    core.fields.define(actor, "member", "boolean")
    core.fields.define(actor, "tier", "choice", choices=["gold", "silver"])
    core.fields.define(actor, "remark", "text")
    out = create(
        core,
        actor,
        first_name="C",
        custom={"size": 2.5, "born": "1990-02-28", "member": True, "tier": "gold", "remark": "ok"},
    )
    assert out.custom == {
        "size": 2.5,
        "born": "1990-02-28",
        "member": True,
        "tier": "gold",
        "remark": "ok",
    }
    for bad in (
        {"size": "2"},
        {"size": True},
        {"born": "28/02/1990"},
        {"member": "yes"},
        {"tier": "bronze"},
        {"remark": 5},
    ):
        with pytest.raises(ValidationError) as caught:
            create(core, actor, first_name="D", custom=bad)
        assert caught.value.field == f"custom.{next(iter(bad))}"
    with pytest.raises(Conflict):
        core.fields.define(actor, "size", "text")
    with pytest.raises(ValidationError):
        core.fields.define(actor, "Bad Name", "text")


def test_search_by_number_email_and_name(core: Phonelist, actor: Actor) -> None:
    out = create(
        core,
        actor,
        display_name="José da Silva-Lima",
        phones=["+1 202 555 0143"],
        emails=["Jose.Silva@Example.org"],
    )
    for query in (
        "(202) 555-0143",
        "+12025550143",
        "202.555.0143",
        "jose.silva@example.org",
        "jose",
        "JOSÉ silva",
        "lima",
    ):
        assert [c.id for c in core.contacts.search(actor, query).items] == [out.id], query
    assert core.contacts.search(actor, "jose maria").items == []
    with pytest.raises(ValidationError):
        core.contacts.search(actor, "   ")


def test_pagination_visits_every_contact_once(core: Phonelist, actor: Actor) -> None:
    made = {create(core, actor, first_name=f"P{i}").id for i in range(7)}
    seen: list[str] = []
    cursor = None
    while True:
        page = core.contacts.page(actor, limit=3, cursor=cursor)
        seen += [c.id for c in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(made) and len(seen) == 7
    with pytest.raises(ValidationError):
        core.contacts.page(actor, cursor="%%%")


def test_statuses_are_checked(core: Phonelist, actor: Actor) -> None:
    assert create(core, actor, first_name="S", status="customer").status == "customer"
    with pytest.raises(ValidationError, match="unknown status"):
        create(core, actor, first_name="S", status="vip")


@pytest.mark.parametrize("role", [Role.VIEWER])
def test_roles_are_enforced_in_the_core(core: Phonelist, role: Role) -> None:
    viewer = Actor(workspace_id=1, role=role, kind="user", ref="u")
    with pytest.raises(PermissionDenied):
        create(core, viewer, first_name="No")
    agent = Actor(workspace_id=1, role=Role.AGENT, kind="user", ref="u")
    out = create(core, agent, first_name="Yes")
    with pytest.raises(PermissionDenied):
        core.contacts.apply(agent, DeleteContact(out.id))


def test_other_workspaces_are_invisible(core: Phonelist, actor: Actor) -> None:
    out = create(core, actor, first_name="Mine")
    stranger = Actor(workspace_id=2, role=Role.OWNER, kind="user", ref="x")
    with pytest.raises(NotFound):
        core.contacts.get(stranger, out.id)


def test_every_change_is_audited_without_personal_data(core: Phonelist, actor: Actor) -> None:
    out = create(
        core, actor, first_name="Audrey", phones=["+351912345678"], emails=["audrey@example.org"]
    )
    core.contacts.apply(
        actor, UpdateContact(out.id, validate_input(ContactPatch, {"first_name": "Audra"}))
    )
    core.contacts.apply(actor, DeleteContact(out.id))
    with core.store.read() as session:
        events = list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.subject_id == out.id).order_by(AuditEvent.id)
            )
        )
    assert [e.action for e in events] == ["contact.create", "contact.update", "contact.delete"]
    assert all(e.actor == actor.label for e in events)
    assert events[1].detail == {"fields": ["first_name"]}
    text = repr([(e.detail, e.actor) for e in events])
    for secret in ("Audrey", "Audra", "912345678", "audrey@example.org"):
        assert secret not in text


def test_concurrent_creates_of_one_number_make_one_contact(core: Phonelist, actor: Actor) -> None:
    formats = [
        "+351912345678",
        "+351 912 345 678",
        "+351-912-345-678",
        "+351.912.345.678",
        "+351 91 234 56 78",
        "(+351) 912345678",
        "+351 (912) 345-678",
        "+351912 345 678",
    ]
    results: list[object] = []
    barrier = threading.Barrier(len(formats))

    def worker(raw: str) -> None:
        barrier.wait()
        try:
            results.append(create(core, actor, phones=[raw]))
        except Conflict as exc:
            results.append(exc)

    threads = [threading.Thread(target=worker, args=(f,)) for f in formats]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    made = [r for r in results if isinstance(r, ContactOut)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(made) == 1 and len(refused) == len(formats) - 1
    assert all(r.details.get("contact_id") == made[0].id for r in refused)
    assert count(core, Contact) == 1


def test_statuses_are_configurable(core: Phonelist, actor: Actor) -> None:
    create(core, actor, first_name="S", status="customer")
    assert core.contacts.set_statuses(actor, ["prospect", "customer"]) == ["prospect", "customer"]
    assert create(core, actor, first_name="T").status == "prospect"
    with pytest.raises(Conflict, match=r"customer \(1 contacts\)"):
        core.contacts.set_statuses(actor, ["prospect"])
    with pytest.raises(ValidationError):
        core.contacts.set_statuses(actor, ["Bad Status"])
    viewer = Actor(workspace_id=1, role=Role.VIEWER, kind="user", ref="v")
    with pytest.raises(PermissionDenied):
        core.contacts.set_statuses(viewer, ["x"])
