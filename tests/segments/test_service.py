"""Segments through the core, on contacts written by the real write paths (both backends)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from phonelist import Phonelist
from phonelist.consent.commands import Grant, Revoke
from phonelist.contacts import ContactIn, CreateContact
from phonelist.contacts.schemas import validate_input
from phonelist.errors import Conflict, NotFound, PermissionDenied
from phonelist.security.permissions import Actor, Role
from phonelist.segments.compile import compile_term
from phonelist.segments.errors import QueryError
from phonelist.store.models import AuditEvent, ContactList, ListMember

NOW = dt.datetime.now(dt.UTC)
PAST = NOW - dt.timedelta(days=40)

PEOPLE: list[dict[str, Any]] = [
    {
        "first_name": "Maria",
        "last_name": "Silva",
        "phones": ["+351912345001"],
        "country": "PT",
        "city": "Lisboa",
        "status": "customer",
        "tags": ["vip", "newsletter"],
        "lists": ["events"],
        "custom": {"plan": "pro", "score": 42},
        "emails": ["maria@example.org"],
    },
    {
        "first_name": "João",
        "phones": ["+351912345002"],
        "country": "PT",
        "city": "Porto",
        "status": "lead",
        "tags": ["newsletter"],
        "custom": {"plan": "free", "score": 3},
    },
    {
        "first_name": "Ann",
        "phones": ["+14155550103"],
        "country": "US",
        "region": "CA",
        "city": "San Francisco",
        "status": "customer",
        "tags": ["vip"],
    },
    {
        "first_name": "Bob",
        "phones": ["+14155550104", "+14155550199"],
        "country": "US",
        "region": "NY",
        "status": "lead",
    },
    {
        "first_name": "Carla",
        "phones": ["+5511987650105"],
        "country": "BR",
        "status": "lead",
        "custom": {"plan": "pro"},
    },
    {"display_name": "No Phone", "emails": ["nophone@example.org"], "status": "lead"},
]


@pytest.fixture
def world(core: Phonelist, actor: Actor) -> dict[str, str]:
    core.fields.define(actor, "plan", "choice", choices=["free", "pro"])
    core.fields.define(actor, "score", "number")
    core.fields.define(actor, "notes_private", "text", sensitive=True)
    ids: dict[str, str] = {}
    for person in PEOPLE:
        out = core.contacts.apply(actor, CreateContact(validate_input(ContactIn, person)))
        assert out is not None
        ids[person.get("first_name") or person["display_name"]] = out.id
    for number in ("+351912345001", "+351912345002", "+14155550103", "+14155550104"):
        core.consent.apply(
            actor, Grant(number, "sms", "marketing", "web_form", occurred_at=PAST), PAST
        )
    core.consent.apply(actor, Revoke("+351912345002", "agent"), PAST + dt.timedelta(days=1))
    core.suppressions.add(actor, "+14155550104")
    return ids


def count(core: Phonelist, actor: Actor, query: str) -> int:
    return core.segments.count(actor, query).count


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("country = PT", 2),
        ("country = pt", 2),
        ("country in (PT, BR)", 3),
        ("country != PT", 4),  # includes the contact without a country
        ("city ~ lis", 1),
        ("city = PORTO", 1),
        ("status = customer tag = vip", 2),
        ("tag = newsletter AND NOT tag = vip", 1),
        ("has tag", 3),
        ("tag != vip", 4),
        ("list = events", 1),
        ("custom.plan = pro", 2),
        ("plan = pro", 2),  # a custom field by its bare name
        ("custom.score > 10", 1),
        ("custom.score is set", 2),
        ("consent.sms.marketing = granted", 3),
        ("consent.sms.marketing = revoked", 1),
        ("consent.sms.marketing = none", 2),
        ("suppressed = yes", 1),
        ("consent.sms.marketing = granted suppressed = no", 2),
        ("created > -1d", 6),
        ("created < -1d", 0),
        ('name = "maria silva"', 1),
        ("name = joao", 1),
        ("email = MARIA@example.org", 1),
        ("number = +14155550199", 1),  # a second number finds its contact
        ('number = "(415) 555-0103" OR number = "+351 912 345 002"', 2),
        ("number.type = mobile", 3),
        ("has number.type", 5),
        ("(country = US OR country = BR) AND status = lead", 2),
    ],
)
def test_counts(
    core: Phonelist, actor: Actor, world: dict[str, str], query: str, expected: int
) -> None:
    assert count(core, actor, query) == expected


def test_counts_are_live(core: Phonelist, actor: Actor, world: dict[str, str]) -> None:
    """An opt-out changes the count at once: nothing is cached between calls."""
    query = "consent.sms.marketing = granted"
    before = count(core, actor, query)
    core.consent.apply(actor, Revoke("+351912345001", "keyword"))
    assert count(core, actor, query) == before - 1


def test_sendable_is_the_policy_engines_answer(
    core: Phonelist, actor: Actor, world: dict[str, str]
) -> None:
    at = NOW.replace(hour=15, minute=0)  # afternoon in Lisbon, morning in California
    expected = {
        cid
        for cid in world.values()
        if any(
            core.policy.check(actor, p.e164, "sms", "marketing", at).decision.allowed
            for p in core.contacts.get(actor, cid).phones
            if p.primary
        )
    }
    found = set(core.segments.ids(actor, "sendable.sms.marketing = yes", at=at))
    assert found == expected
    everyone = set(world.values())
    assert set(core.segments.ids(actor, "NOT sendable.sms.marketing = yes", at=at)) == (
        everyone - expected
    )
    assert set(core.segments.ids(actor, "country = PT sendable.sms.marketing = yes", at=at)) == {
        cid for cid in expected if cid in {world["Maria"], world["João"]}
    }
    for cid in world.values():
        assert core.segments.matches(actor, "sendable.sms.marketing = yes", cid, at=at) == (
            cid in expected
        )


def test_sendable_only_at_the_top(core: Phonelist, actor: Actor, world: dict[str, str]) -> None:
    with pytest.raises(QueryError, match="combined with the rest of the query by AND"):
        count(core, actor, "country = PT OR sendable.sms.marketing = yes")


def test_matches_agrees_with_count(core: Phonelist, actor: Actor, world: dict[str, str]) -> None:
    query = "tag = vip OR consent.sms.marketing = revoked"
    ids = set(core.segments.ids(actor, query))
    assert ids == {cid for cid in world.values() if core.segments.matches(actor, query, cid)}
    assert len(ids) == 3


@pytest.mark.parametrize(
    ("query", "message", "suggestion"),
    [
        ("contry = PT", "unknown field 'contry' — did you mean 'country'?", "country"),
        (
            "custom.plam = pro",
            "unknown field 'custom.plam' — did you mean 'custom.plan'?",
            "custom.plan",
        ),
        ("status = custmer", "unknown status 'custmer' — did you mean 'customer'?", "customer"),
        ("plan = prro", "unknown choice for plan 'prro' — did you mean 'pro'?", "pro"),
        (
            "consent.sms.marketing = grnted",
            "unknown consent state 'grnted' — did you mean 'granted'?",
            "granted",
        ),
        ("segment = vipp", "no saved segment named 'vipp'", None),
    ],
)
def test_bind_errors_suggest(
    core: Phonelist,
    actor: Actor,
    world: dict[str, str],
    query: str,
    message: str,
    suggestion: str | None,
) -> None:
    with pytest.raises(QueryError) as caught:
        count(core, actor, query)
    assert caught.value.message == message
    assert caught.value.details["suggestion"] == suggestion


@pytest.mark.parametrize(
    ("query", "message", "pos"),
    [
        ("city > 3", "'>' does not apply to city (text): use =, in, ~, is set", 0),
        ("country = Portugal", "country is a two-letter code like PT or US", 10),
        (
            "created > yesterday",
            "expected a date like 2026-01-31, 2026-01-31T09:00Z or -30d, not 'yesterday'",
            10,
        ),
        ("custom.score > many", "expected a number, not 'many'", 15),
        ("suppressed = maybe", "expected yes or no, not 'maybe'", 13),
        ("name ~ mar", "name matches exactly (it is stored encrypted): use = or in", 0),
        (
            "notes_private = x",
            "custom field 'notes_private' is sensitive (stored encrypted) and cannot be queried",
            0,
        ),
        ("number = 12", None, 9),
        ("consent.fax.marketing = granted", None, 0),
    ],
)
def test_bind_errors_point_at_the_token(
    core: Phonelist, actor: Actor, world: dict[str, str], query: str, message: str | None, pos: int
) -> None:
    with pytest.raises(QueryError) as caught:
        count(core, actor, query)
    if message is not None:
        assert caught.value.message == message
    assert caught.value.details["position"] == pos


def test_unknown_tags_warn(core: Phonelist, actor: Actor, world: dict[str, str]) -> None:
    result = core.segments.count(actor, "tag = vpi")
    assert result.count == 0
    assert result.warnings == ("no tag named 'vpi' (did you mean 'vip'?): it matches no one",)


def test_values_are_bound_parameters(core: Phonelist, actor: Actor, world: dict[str, str]) -> None:
    hostile = "x'); DROP TABLE contacts; --"
    prepared = core.segments.prepare(actor, f'city ~ "{hostile}" OR source = "{hostile}"')
    assert prepared.sql is not None
    sql = str(compile_term(prepared.sql, actor.workspace_id).compile(core.store.engine))
    assert "DROP" not in sql
    assert count(core, actor, f'city ~ "{hostile}"') == 0
    assert count(core, actor, "has city") == 3


def test_saved_segments(core: Phonelist, actor: Actor, world: dict[str, str]) -> None:
    saved = core.segments.save(actor, "VIP", "tag=vip  status = customer")
    assert saved.query == "tag = vip AND status = customer"
    assert count(core, actor, "VIP") == 2  # a name alone is the segment
    core.segments.save(actor, "VIP in PT", 'segment = "VIP" country = PT')
    assert count(core, actor, "VIP in PT") == 1
    with pytest.raises(Conflict):
        core.segments.save(actor, "VIP", "tag = vip")
    with pytest.raises(QueryError, match="refers to itself"):
        core.segments.save(actor, "VIP", 'segment = "VIP in PT"', replace=True)
    assert core.segments.get(actor, "VIP").query == "tag = vip AND status = customer"
    with pytest.raises(Conflict, match="used by 'VIP in PT'"):
        core.segments.delete(actor, "VIP")
    # Live: a new VIP customer is counted with no re-save.
    core.contacts.apply(
        actor,
        CreateContact(
            validate_input(
                ContactIn,
                {
                    "first_name": "Zed",
                    "country": "PT",
                    "tags": ["vip"],
                    "status": "customer",
                    "phones": ["+351912345009"],
                },
            )
        ),
    )
    assert count(core, actor, "VIP in PT") == 2
    assert [s.name for s in core.segments.all(actor)] == ["VIP", "VIP in PT"]
    core.segments.delete(actor, "VIP in PT")
    core.segments.delete(actor, "VIP")
    with pytest.raises(NotFound):
        core.segments.get(actor, "VIP")
    with core.store.read() as session:
        actions = list(
            session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("segment.%")))
        )
    assert actions.count("segment.save") == 2 and actions.count("segment.delete") == 2


def test_freeze_into_a_static_list(core: Phonelist, actor: Actor, world: dict[str, str]) -> None:
    assert core.segments.freeze(actor, "country = PT", "PT snapshot") == 2
    core.contacts.apply(
        actor,
        CreateContact(
            validate_input(
                ContactIn, {"first_name": "Late", "country": "PT", "phones": ["+351912345010"]}
            )
        ),
    )
    assert count(core, actor, 'list = "PT snapshot"') == 2  # frozen: the newcomer is not in it
    assert count(core, actor, "country = PT") == 3
    with pytest.raises(Conflict):
        core.segments.freeze(actor, "country = PT", "PT snapshot")
    assert core.segments.freeze(actor, "sendable.sms.marketing = no country = US", "US no") >= 1
    with core.store.read() as session:
        members = session.scalars(
            select(ListMember.contact_id).join(ContactList).where(ContactList.name == "US no")
        ).all()
    assert world["Bob"] in members  # suppressed


def test_export_a_segment(core: Phonelist, actor: Actor, world: dict[str, str]) -> None:
    out = io.BytesIO()
    rows = core.segments.export(actor, "tag = vip", out, "csv")
    assert rows == 2
    lines = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    assert {line["first_name"] for line in lines} == {"Maria", "Ann"}
    with core.store.read() as session:
        detail = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "contacts.export")
        ).one()
    assert detail["filters"] == {"segment": "tag = vip"} and detail["rows"] == 2


def test_page_with_count(core: Phonelist, actor: Actor, world: dict[str, str]) -> None:
    page, total = core.segments.page(actor, "has number.type", limit=2)
    assert total is not None and total.count == 5
    assert len(page.items) == 2 and page.next_cursor
    second, again = core.segments.page(actor, "has number.type", limit=2, cursor=page.next_cursor)
    assert again is None and len(second.items) == 2


def test_each_call_prepares_its_query_once(
    core: Phonelist, actor: Actor, world: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Preparing reads the catalog; a count, a page with its count, or ids do it once."""
    prepare = core.segments.prepare
    calls: list[str] = []

    def counted(actor: Actor, query: str, **options: Any) -> Any:
        calls.append(query)
        return prepare(actor, query, **options)

    monkeypatch.setattr(core.segments, "prepare", counted)
    sendable = "country = PT sendable.sms.marketing = yes"
    assert core.segments.count(actor, sendable).count <= 2
    page, total = core.segments.page(actor, sendable)
    assert total is not None and total.count == len(page.items)
    assert len(list(core.segments.ids(actor, "country = PT"))) == 2
    assert core.segments.freeze(actor, sendable, "PT sendable") == total.count
    assert calls == [sendable, sendable, "country = PT", sendable]


def test_roles(core: Phonelist, world: dict[str, str]) -> None:
    viewer = Actor(workspace_id=1, role=Role.VIEWER, kind="user", ref="v")
    assert core.segments.count(viewer, "country = PT").count == 2
    with pytest.raises(PermissionDenied):
        core.segments.save(viewer, "mine", "country = PT")
    with pytest.raises(PermissionDenied):
        core.segments.freeze(viewer, "country = PT", "mine")
    editor = Actor(workspace_id=1, role=Role.EDITOR, kind="user", ref="e")
    core.segments.save(editor, "mine", "country = PT")
    other = Actor(workspace_id=2, role=Role.OWNER, kind="user", ref="o")
    with pytest.raises(NotFound):
        core.segments.count(other, "country = PT")  # no such workspace: nothing leaks across


def test_the_audit_log_never_holds_a_name_email_or_number(
    core: Phonelist, actor: Actor, world: dict[str, str]
) -> None:
    query = 'name = "maria silva" OR email in (maria@example.org) OR number = +351912345002'
    core.segments.freeze(actor, query, "found")
    core.segments.export(actor, query, io.BytesIO(), "csv")
    with core.store.read() as session:
        details = [
            str(d)
            for d in session.scalars(
                select(AuditEvent.detail).where(
                    AuditEvent.action.in_(("segment.freeze", "contacts.export"))
                )
            )
        ]
    assert len(details) == 2
    for detail in details:
        assert "maria" not in detail.lower() and "912345002" not in detail
        assert "•••" in detail


def test_postgresql_never_gets_not_in_a_subquery(
    core: Phonelist, actor: Actor, world: dict[str, str]
) -> None:
    """NOT IN (SELECT ...) turns quadratic on PostgreSQL once the list outgrows work_mem."""
    for query in ("custom.plan != pro", 'NOT name = "maria silva"', "email != x@y.z"):
        prepared = core.segments.prepare(actor, query)
        assert prepared.sql is not None
        clause = compile_term(prepared.sql, actor.workspace_id)
        on_pg = str(clause.compile(dialect=postgresql.dialect()))
        assert "NOT EXISTS" in on_pg and " IN (SELECT" not in on_pg, query
        assert " IN (SELECT" in str(clause.compile(dialect=sqlite.dialect())), query
        assert count(core, actor, query) == len(world) - count(
            core, actor, query[4:] if query.startswith("NOT ") else query.replace("!=", "=")
        )
