"""A bulk insert's set-based facts (store/facts.py) equal what the per-row triggers write.

The same contacts go into two workspaces whose numbers already have the same consent states,
suppressions (active and lifted), registry entries, line checks and messages: once with the
triggers (the deferral switched off) and once the importer's way (deferred, then filled). Both
``contact_facts`` and ``policy_facts`` must come out equal, column by column.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, text

from phonelist import Phonelist
from phonelist.contacts import codec
from phonelist.contacts.bulk import NewContact, NewPhone, create_many
from phonelist.ids import new_id
from phonelist.security.permissions import Actor
from phonelist.store.consent_models import ConsentState, Message, RegistryNumber
from phonelist.store.models import Contact, ContactList, LineLookup, Suppression, Tag, Workspace
from phonelist.store.policy_models import policy_facts
from phonelist.store.segment_models import ContactFacts

AT = dt.datetime(2026, 5, 1, 9, 30, tzinfo=dt.UTC)
HELD = ["+351912345601", "+351912345602", "+351912345603", "+351912345604", "+351912345605"]


def _contacts() -> list[NewContact]:
    def phone(e164: str, **more: Any) -> NewPhone:
        return NewPhone(
            e164,
            validity="valid",
            number_type="mobile",
            region="PT",
            country_code=351,
            carrier="MEO",
            time_zones=("Europe/Lisbon",),
            **more,
        )

    return [
        NewContact(
            (phone(HELD[0]),),
            first_name="Ana",
            country="PT",
            city="Porto",
            tags=("vip", "2026"),
            lists=("news",),
            status="customer",
        ),
        NewContact(
            (phone(HELD[1]), phone(HELD[2], label="work")),
            last_name="Silva",
            region="Norte",
            time_zone="Europe/Lisbon",
            source="fair",
        ),
        NewContact((phone(HELD[3]),), tags=("vip",)),
        NewContact((phone(HELD[4]), phone("+351912345699")), lists=("news", "b")),
        NewContact((phone("+351912345698"),)),
        NewContact((), display_name="No number", tags=("x",)),
    ]


def _seed(core: Phonelist, ws: int) -> None:
    """The same facts of the held numbers in workspace ``ws``."""
    index = [codec.phone_index(core.keyring, e164) for e164 in HELD]
    rows: list[Any] = [
        ConsentState(
            workspace_id=ws,
            e164_index=index[0],
            channel="sms",
            purpose="marketing",
            status="granted",
            method="web_form",
            written=True,
            sender="ACME",
            since=AT,
            expires_at=AT + dt.timedelta(days=540),
            evidence=["r1", "r2"],
            record_id=new_id(),
        ),
        ConsentState(
            workspace_id=ws,
            e164_index=index[0],
            channel="voice",
            purpose="emergency",
            status="revoked",
            method="sms_keyword",
            written=False,
            since=AT,
            evidence=[],
            record_id=new_id(),
        ),
        ConsentState(
            workspace_id=ws,
            e164_index=index[2],
            channel="sms",
            purpose="informational",
            status="pending",
            method="verbal",
            written=False,
            since=AT,
            evidence=["x"],
            record_id=new_id(),
        ),
        RegistryNumber(
            workspace_id=ws, registry_name="us_dnc", e164_index=index[1], area_code="91"
        ),
        RegistryNumber(
            workspace_id=ws, registry_name="pt_optout", e164_index=index[3], area_code="91"
        ),
        LineLookup(
            workspace_id=ws,
            e164_index=index[4],
            provider="fake",
            line_type="mobile",
            reassigned=True,
            reassigned_since=dt.date(2026, 2, 3),
            checked_at=AT,
        ),
    ]
    for n, (number, kind, lifted) in enumerate(
        [
            (0, "internal_dnc", None),
            (0, "reassigned", None),
            (3, "internal_dnc", AT),
            (4, "stop", None),
        ]
    ):
        rows.append(
            Suppression(
                id=new_id(),
                workspace_id=ws,
                e164_index=index[number],
                e164_enc=b"x",
                kind=kind,
                created_at=AT + dt.timedelta(minutes=n),
                created_by="test",
                lifted_at=lifted,
            )
        )
    for n, (number, direction, status) in enumerate(
        [
            (0, "out", "sent"),
            (0, "out", "delivered"),
            (0, "in", "received"),
            (1, "out", "failed"),
            (3, "in", "received"),
            (4, "out", "queued"),
        ]
    ):
        rows.append(
            Message(
                id=new_id(),
                workspace_id=ws,
                direction=direction,
                e164_index=index[number],
                e164_enc=b"x",
                channel="sms",
                kind="campaign",
                status=status,
                at=AT + dt.timedelta(hours=n),
            )
        )
    with core.store.write() as session:
        session.add_all(rows)


@pytest.fixture
def two(core: Phonelist, actor: Actor) -> tuple[Actor, Actor]:
    with core.store.write() as session:
        session.add(Workspace(id=77, name="second", default_region="PT", statuses=["lead",
                    "customer"], created_at=AT))  # fmt: skip
    second = dataclasses.replace(actor, workspace_id=77)
    for each in (actor, second):
        _seed(core, each.workspace_id)
    return actor, second


@contextlib.contextmanager
def _not_deferred(session: Any) -> Iterator[None]:
    yield


def _facts(core: Phonelist, ws: int, ids: list[str]) -> tuple[list[Any], list[Any]]:
    """Both tables' rows of these contacts, in their order, with ids replaced by positions and
    tag and list ids by names (the two workspaces number them differently)."""
    order = {cid: n for n, cid in enumerate(ids)}
    with core.store.read() as session:
        names = {("tags", t.id): t.name for t in session.scalars(select(Tag))}
        names |= {("lists", x.id): x.name for x in session.scalars(select(ContactList))}
        table = ContactFacts.__table__
        contact_rows = []
        for row in session.execute(select(table).where(table.c.workspace_id == ws)).mappings():
            facts = {k: v for k, v in row.items() if k not in ("id", "workspace_id")}
            facts["contact_id"] = order[facts["contact_id"]]
            for column in ("tags", "lists"):
                held = [int(part) for part in facts[column].split("|") if part]
                facts[column] = sorted(names[(column, part)] for part in held)
            contact_rows.append(facts)
        number_rows = []
        query = select(policy_facts).where(policy_facts.c.workspace_id == ws)
        for row in session.execute(query).mappings():
            facts = {k: v for k, v in row.items() if k != "workspace_id"}
            facts["contact_id"] = order[facts["contact_id"]]
            facts["suppressions"] = sorted(k for k in facts["suppressions"].split("|") if k)
            number_rows.append(facts)

    def key(facts: dict[str, Any]) -> Any:
        return (facts["contact_id"], facts.get("e164_index") or b"")

    return sorted(contact_rows, key=key), sorted(number_rows, key=key)


def test_filled_facts_equal_the_triggers(
    core: Phonelist, two: tuple[Actor, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = two
    monkeypatch.setattr("phonelist.contacts.bulk.utcnow", lambda: AT)
    with monkeypatch.context() as patched:
        patched.setattr("phonelist.contacts.bulk.deferred_facts", _not_deferred)
        patched.setattr("phonelist.contacts.bulk.fill_facts", lambda session, ids: None)
        with core.store.write() as session:
            by_triggers = create_many(session, core.keyring, first, _contacts())
    with core.store.write() as session:
        by_fill = create_many(session, core.keyring, second, _contacts())

    expected = _facts(core, first.workspace_id, by_triggers)
    found = _facts(core, second.workspace_id, by_fill)
    assert len(expected[0]) == 6 and len(expected[1]) == 7
    # the seeded facts reached the rows (so the comparison is not of empty columns)
    assert expected[0][0]["sms_marketing"] == "granted" and expected[0][0]["suppressed"]
    assert expected[0][0]["last_out"] is not None and expected[0][0]["tags"] == ["2026", "vip"]
    assert any(row["us_dnc"] for row in expected[1]) and any(
        row["pt_optout"] for row in expected[1]
    )
    assert any(row["reassigned"] for row in expected[1])
    for table in (0, 1):
        assert len(found[table]) == len(expected[table])
        for got, want in zip(found[table], expected[table], strict=True):
            assert {k: v for k, v in got.items() if want[k] != v} == {}, want


def test_the_deferral_ends_with_the_bulk_insert(core: Phonelist, actor: Actor) -> None:
    """Later writes of the same transaction, and other transactions, fire the triggers."""
    with core.store.write() as session:
        create_many(session, core.keyring, actor, _contacts()[:1])
        later = Contact(
            id=new_id(), workspace_id=actor.workspace_id, status="lead", created_at=AT,
            updated_at=AT,
        )  # fmt: skip
        session.add(later)
        session.flush()
        deferred = session.execute(text("SELECT count(*) FROM facts_deferral")).scalar_one()
        assert deferred == 0
    with core.store.read() as session:
        table = ContactFacts.__table__
        held = session.execute(select(table.c.contact_id).where(table.c.contact_id == later.id))
        assert held.scalar_one_or_none() == later.id


def test_a_failed_bulk_insert_leaves_no_deferral(core: Phonelist, actor: Actor) -> None:
    broken = NewContact((NewPhone(HELD[0]), NewPhone(HELD[0])))  # the same number twice
    with pytest.raises(Exception, match=r"(?i)unique"), core.store.write() as session:
        create_many(session, core.keyring, actor, [broken])
    with core.store.read() as session:
        assert session.execute(text("SELECT count(*) FROM facts_deferral")).scalar_one() == 0
