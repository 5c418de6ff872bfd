"""The SQL compiler and the in-memory evaluator agree, for random contacts and random queries.

Each Hypothesis example writes its random contacts into a workspace of its own (in one store
per backend, built once), then counts every random query both ways.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from phonelist import Phonelist, load_settings
from phonelist.bootstrap import initialize
from phonelist.contacts import codec
from phonelist.ids import new_id
from phonelist.security.permissions import Actor, Role
from phonelist.segments.evaluate import matches
from phonelist.segments.views import load_views
from phonelist.store.consent_models import ConsentState, Message
from phonelist.store.models import (
    Contact,
    ContactList,
    ContactTag,
    CustomField,
    CustomValue,
    Email,
    ListMember,
    NameToken,
    PhoneNumber,
    Suppression,
    Tag,
    Workspace,
)
from tests import pg
from tests.conftest import BACKENDS, OWNER_PASSWORD

AT = dt.datetime(2026, 6, 10, 12, 0, tzinfo=dt.UTC)
OFFSETS = [None, -400, -31, -30, -29, -7, -1, 0, 1]  # days from AT; -30 is the boundary of -30d
TAGS, LISTS = ["vip", "newsletter", "spam"], ["a", "b"]
NUMBERS = ["+351912345678", "+351912345679", "+14155550100", "+5511987654321", "+447700900123"]
_workspaces = itertools.count(2)


@pytest.fixture(scope="module", params=BACKENDS)
def store_core(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Phonelist]:
    url = pg.create_database("phonelist_seg") if request.param == "postgres" else None
    data = tmp_path_factory.mktemp("agreement") / "data"
    config = load_settings(data_dir=Path(data), database_url=url)
    initialize(config, owner_password=OWNER_PASSWORD)
    with Phonelist.open(config) as core:
        yield core
    if url:
        pg.drop_database(url)


def when(offset: int | None, hours: int = 0) -> dt.datetime | None:
    if offset is None:
        return None
    return AT + dt.timedelta(days=offset, hours=hours)


# What a random contact is made of: the Hypothesis strategy and the seeded _varied() both draw
# from these tables. _varied() draws in this order, so reordering changes its population.
CONTACT: dict[str, list[Any]] = {
    "country": [None, "PT", "US", "BR"],
    "region": [None, "Lisboa", "lisboa", "CA", "São Paulo", "SÃO PAULO"],
    "city": [None, "Porto", "PORTO", "Évora", "new york", "a%b_c", ""],
    "postal_code": [None, "1200-001", "94107"],
    "time_zone": [None, "Europe/Lisbon", "America/New_York"],
    "status": ["lead", "customer"],
    "source": [None, "web", "Web", "import"],
    "created": OFFSETS[1:],
    "created_hours": [0, -1, 1],
    "last_contacted": OFFSETS,
}
PHONE: dict[str, list[Any]] = {
    "type": [None, "mobile", "fixed_line"],
    "carrier": [None, "Vodafone", "MEO"],
    "region": [None, "PT", "US"],
}
CUSTOM: dict[str, list[Any]] = {
    "plan": [None, "free", "pro"],
    "score": [None, -1.5, 0.0, 10.0, 10.5],
    "birthday": [None, dt.date(1990, 1, 1), dt.date(2000, 1, 1)],
    "vip": [None, True, False],
    "company": [None, "Acme", "acme inc", "ÁCME"],
}
IDENTITY: dict[str, list[Any]] = {
    "name": [None, "Maria Silva", "João", "maria"],
    "email": [None, "ana@example.org", "Bob@Example.org"],
}
CONSENT_PAIRS = [("sms", "marketing"), ("sms", "informational")]
CONSENT = (["granted", "revoked", "pending"], [None, -1, 0, 1])  # (status, expiry offset)
SUPPRESSIONS = [None, "active", "lifted"]
MESSAGE = (
    ["out", "in"],
    ["sent", "failed", "received"],
    [-40, -7, -1, 0],
)  # direction, status, day


def _sampled(choices: dict[str, list[Any]]) -> dict[str, st.SearchStrategy[Any]]:
    return {key: st.sampled_from(values) for key, values in choices.items()}


contact_strategy = st.fixed_dictionaries(
    {
        **_sampled(CONTACT),
        "phones": st.lists(st.fixed_dictionaries(_sampled(PHONE)), max_size=2),
        "primary": st.booleans(),
        "tags": st.sets(st.sampled_from(TAGS)),
        "lists": st.sets(st.sampled_from(LISTS)),
        **_sampled(CUSTOM),
        "consent": st.dictionaries(
            st.sampled_from(CONSENT_PAIRS), st.tuples(*map(st.sampled_from, CONSENT))
        ),
        "suppression": st.sampled_from(SUPPRESSIONS),
        "messages": st.lists(st.tuples(*map(st.sampled_from, MESSAGE)), max_size=3),
        **_sampled(IDENTITY),
    }
)

ATOMS = [
    "country = PT",
    "country in (PT, US)",
    "country != US",
    "has country",
    "country ~ p",
    "region = lisboa",
    'region ~ "ão"',
    "region = 'são paulo'",
    "region is not set",
    'city ~ "%"',
    "city = porto",
    'city = ""',
    "city ~ évora",
    "time_zone ~ europe",
    "status = customer",
    "source = web",
    "source in (WEB, import)",
    "created > -30d",
    "created <= -30d",
    "created >= -30d",
    "created < -30d",
    "created = 2026-05-11",
    "created > 2026-05-11",
    "created <= 2026-06-09T11:00Z",
    "last_contacted is set",
    "last_contacted < -1d",
    "updated >= -7d",
    "number.type = mobile",
    "number.type != fixed_line",
    "carrier ~ voda",
    "has carrier",
    "number.country = PT",
    "tag = vip",
    "tag in (vip, spam)",
    "has tag",
    "tag != newsletter",
    "list = a",
    "list != b",
    "has list",
    "custom.plan = pro",
    "custom.score > 0",
    "custom.score in (10, 10.5)",
    "custom.score <= -1.5",
    "custom.birthday < 2000-01-01",
    "custom.birthday = 1990-01-01",
    "custom.vip = yes",
    "custom.vip = no",
    "custom.company ~ ACME",
    'custom.company = "acme inc"',
    "has custom.score",
    "consent.sms.marketing = granted",
    "consent.sms.marketing in (expired, none)",
    "consent.sms.informational is set",
    "consent.sms.marketing != revoked",
    "consent.sms.informational = pending",
    "suppressed = yes",
    "suppressed = no",
    "sent.last > -7d",
    "sent.last <= -7d",
    "sent = no",
    "replied = yes",
    "replied.last < -1d",
    "sent.last = 2026-06-03",
    'name = "maria"',
    'name = "Maria Silva"',
    "name = joao",
    "email = ana@example.org",
    "email in (bob@example.org, x@y.z)",
    f"number = {NUMBERS[0]}",
    f'number in ("{NUMBERS[1]}", "{NUMBERS[2]}")',
]


def query_strategy() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, inner).map(lambda p: f"{p[0]} AND {p[1]}"),
            st.tuples(inner, inner).map(lambda p: f"{p[0]} {p[1]}"),
            st.tuples(inner, inner).map(lambda p: f"{p[0]} OR {p[1]}"),
            inner.map(lambda q: f"NOT ({q})"),
            inner.map(lambda q: f"({q})"),
        )

    return st.recursive(st.sampled_from(ATOMS), extend, max_leaves=6)


def write(core: Phonelist, contacts: list[dict[str, Any]]) -> int:
    """A new workspace holding these contacts; returns its id."""
    keyring = core.keyring
    ws = next(_workspaces)
    with core.store.write() as session:
        session.add(
            Workspace(
                id=ws,
                name=f"w{ws}",
                default_region="PT",
                statuses=["lead", "customer"],
                created_at=AT,
            )
        )
        session.flush()
        tags = {name: Tag(workspace_id=ws, name=name) for name in TAGS}
        lists = {name: ContactList(workspace_id=ws, name=name, created_at=AT) for name in LISTS}
        fields = {
            name: CustomField(
                workspace_id=ws,
                name=name,
                type=type_,
                choices=choices,
                sensitive=False,
                created_at=AT,
            )
            for name, type_, choices in [
                ("plan", "choice", ["free", "pro"]),
                ("score", "number", None),
                ("birthday", "date", None),
                ("vip", "boolean", None),
                ("company", "text", None),
            ]
        }
        session.add_all([*tags.values(), *lists.values(), *fields.values()])
        session.flush()
        numbers = itertools.chain(NUMBERS, (f"+35193{n:07d}" for n in itertools.count()))
        for spec in contacts:
            cid = new_id()
            session.add(
                Contact(
                    id=cid,
                    workspace_id=ws,
                    country=spec["country"],
                    region=spec["region"],
                    city=spec["city"],
                    postal_code=spec["postal_code"],
                    time_zone=spec["time_zone"],
                    status=spec["status"],
                    source=spec["source"],
                    created_at=when(spec["created"], spec["created_hours"]),
                    updated_at=when(spec["created"]),
                    legal_person=False,
                    last_contacted_at=when(spec["last_contacted"]),
                )
            )
            session.flush()
            primary_index = None
            for position, phone in enumerate(spec["phones"]):
                e164 = next(numbers)
                index = codec.phone_index(keyring, e164)
                is_primary = spec["primary"] and position == 0
                primary_index = index if is_primary else primary_index
                session.add(
                    PhoneNumber(
                        id=new_id(),
                        contact_id=cid,
                        workspace_id=ws,
                        e164_enc=b"",
                        e164_index=index,
                        is_primary=is_primary,
                        position=position,
                        number_type=phone["type"],
                        carrier=phone["carrier"],
                        region=phone["region"],
                    )
                )
            for name in spec["tags"]:
                session.add(ContactTag(contact_id=cid, tag_id=tags[name].id))
            for name in spec["lists"]:
                session.add(ListMember(list_id=lists[name].id, contact_id=cid, added_at=AT))
            for name, column in [
                ("plan", "value_text"),
                ("score", "value_number"),
                ("birthday", "value_date"),
                ("vip", "value_bool"),
                ("company", "value_text"),
            ]:
                if spec[name] is not None:
                    session.add(
                        CustomValue(
                            contact_id=cid, field_id=fields[name].id, **{column: spec[name]}
                        )
                    )
            if spec["name"]:
                for token in codec.name_tokens(keyring, spec["name"]):
                    session.add(NameToken(contact_id=cid, token_index=token, workspace_id=ws))
            if spec["email"]:
                session.add(
                    Email(
                        id=new_id(),
                        contact_id=cid,
                        workspace_id=ws,
                        email_enc=b"",
                        email_index=codec.email_index(keyring, spec["email"]),
                    )
                )
            # Facts keyed by number: given to every number, so that the primary one decides.
            indexes = [primary_index] if primary_index else []
            for index in indexes:
                for (channel, purpose), (status, expires) in spec["consent"].items():
                    session.add(
                        ConsentState(
                            workspace_id=ws,
                            e164_index=index,
                            channel=channel,
                            purpose=purpose,
                            status=status,
                            method="web_form",
                            since=AT - dt.timedelta(days=50),
                            expires_at=when(expires),
                            evidence=[],
                            record_id=new_id(),
                        )
                    )
                if spec["suppression"]:
                    session.add(
                        Suppression(
                            id=new_id(),
                            workspace_id=ws,
                            e164_index=index,
                            kind="internal_dnc",
                            created_at=AT,
                            created_by="t",
                            lifted_at=AT if spec["suppression"] == "lifted" else None,
                        )
                    )
                for direction, status, offset in spec["messages"]:
                    session.add(
                        Message(
                            id=new_id(),
                            workspace_id=ws,
                            direction=direction,
                            e164_index=index,
                            e164_enc=b"",
                            channel="sms",
                            kind="campaign",
                            at=when(offset),
                            status=status,
                        )
                    )
    return ws


def both_ways(core: Phonelist, ws: int, query: str) -> tuple[set[str], set[str]]:
    actor = Actor(workspace_id=ws, role=Role.OWNER, kind="cli", ref="test")
    by_sql = set(core.segments.ids(actor, query, at=AT))
    prepared = core.segments.prepare(actor, query, at=AT)
    with core.store.read() as session:
        ids = [
            row
            for row in session.scalars(
                Contact.__table__.select()
                .with_only_columns(Contact.id)
                .where(Contact.workspace_id == ws)
            )
        ]
        views = load_views(session, ws, ids)
    in_memory = {i for i, view in views.items() if matches(prepared.bound.term, view)}
    return by_sql, in_memory


class Short:
    """Keeps Hypothesis' failure report short (the core's repr is long)."""

    def __init__(self, core: Phonelist) -> None:
        self.core = core

    def __repr__(self) -> str:
        return "core"


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    contacts=st.lists(contact_strategy, min_size=1, max_size=6),
    queries=st.lists(query_strategy(), min_size=1, max_size=4),
)
def test_sql_and_memory_agree(
    store: Short, contacts: list[dict[str, Any]], queries: list[str]
) -> None:
    ws = write(store.core, contacts)
    for query in queries:
        by_sql, in_memory = both_ways(store.core, ws, query)
        assert by_sql == in_memory, query


MUTATIONS = [
    "untag", "unlist", "revoke", "forget_consent", "lift", "unsuppress", "swap_primary",
    "drop_phone", "move", "fail_messages", "drop_contact", "rename_tag",
]  # fmt: skip


def mutate(core: Phonelist, ws: int, steps: list[tuple[str, int]]) -> None:
    """Change what was written through updates and deletes, as later edits would."""
    with core.store.write() as session:
        ids = list(session.scalars(select(Contact.id).where(Contact.workspace_id == ws)))
        for name, pick in steps:
            if not ids:
                return
            cid = ids[pick % len(ids)]
            indexes = list(
                session.scalars(select(PhoneNumber.e164_index).where(PhoneNumber.contact_id == cid))
            )
            same = {"workspace_id": ws}
            if name == "untag":
                session.execute(delete(ContactTag).where(ContactTag.contact_id == cid))
            elif name == "unlist":
                session.execute(delete(ListMember).where(ListMember.contact_id == cid))
            elif name == "revoke":
                session.execute(
                    update(ConsentState)
                    .filter_by(**same)
                    .where(ConsentState.e164_index.in_(indexes))
                    .values(status="revoked", expires_at=None)
                )
            elif name == "forget_consent":
                session.execute(
                    delete(ConsentState)
                    .filter_by(**same)
                    .where(ConsentState.e164_index.in_(indexes))
                )
            elif name in ("lift", "unsuppress"):
                statement = (
                    update(Suppression).values(lifted_at=AT)
                    if name == "lift"
                    else delete(Suppression)
                )
                session.execute(
                    statement.filter_by(**same).where(Suppression.e164_index.in_(indexes))
                )
            elif name == "swap_primary":
                phones = session.scalars(
                    select(PhoneNumber).where(PhoneNumber.contact_id == cid)
                ).all()
                for phone in phones:
                    phone.is_primary = not phone.is_primary
            elif name == "drop_phone":
                session.execute(
                    delete(PhoneNumber).where(
                        PhoneNumber.contact_id == cid, PhoneNumber.position == 0
                    )
                )
            elif name == "move":
                session.execute(
                    update(Contact).where(Contact.id == cid).values(city="Évora", country="PT")
                )
            elif name == "fail_messages":
                session.execute(
                    update(Message)
                    .filter_by(**same)
                    .where(Message.e164_index.in_(indexes))
                    .values(status="failed")
                )
            elif name == "drop_contact":
                session.execute(delete(Contact).where(Contact.id == cid))
                ids.remove(cid)
            elif name == "rename_tag":
                session.execute(
                    update(Tag)
                    .where(Tag.workspace_id == ws, Tag.name == "spam")
                    .values(name="junk")
                )
            session.flush()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    contacts=st.lists(contact_strategy, min_size=1, max_size=5),
    steps=st.lists(st.tuples(st.sampled_from(MUTATIONS), st.integers(0, 9)), max_size=6),
    queries=st.lists(query_strategy(), min_size=1, max_size=4),
)
def test_agree_after_edits(
    store: Short,
    contacts: list[dict[str, Any]],
    steps: list[tuple[str, int]],
    queries: list[str],
) -> None:
    """The facts the SQL reads follow updates and deletes of every table they come from."""
    ws = write(store.core, contacts)
    mutate(store.core, ws, steps)
    for query in [*queries, "tag = junk", "has tag"]:
        by_sql, in_memory = both_ways(store.core, ws, query)
        assert by_sql == in_memory, (query, steps)


@pytest.fixture(scope="module")
def store(store_core: Phonelist) -> Short:
    return Short(store_core)


def test_every_atom_selects_someone_and_not_everyone(store: Short) -> None:
    """The vocabulary is not vacuous: each atom splits a varied population both ways."""
    rng = random.Random(5)
    people = [_varied(rng) for _ in range(80)]
    ws = write(store.core, people)
    for atom in ATOMS:
        by_sql, in_memory = both_ways(store.core, ws, atom)
        assert by_sql == in_memory, atom
        assert 0 < len(by_sql) < 80, atom


def _varied(rng: random.Random) -> dict[str, Any]:
    """A contact drawn from the same choices as the strategy, by a seeded generator."""
    pick = rng.choice

    def draw(choices: dict[str, list[Any]]) -> dict[str, Any]:
        return {key: pick(values) for key, values in choices.items()}

    phones = [draw(PHONE) for _ in range(pick([0, 1, 1, 1, 2]))]
    return {
        **draw(CONTACT),
        "phones": phones,
        "primary": rng.random() < 0.85,
        "tags": set(rng.sample(TAGS, rng.randint(0, 2))),
        "lists": set(rng.sample(LISTS, rng.randint(0, 1))),
        **draw(CUSTOM),
        "consent": {
            pair: tuple(pick(values) for values in CONSENT)
            for pair in CONSENT_PAIRS
            if rng.random() < 0.7
        },
        "suppression": pick([None, *SUPPRESSIONS]),  # most contacts are not suppressed
        "messages": [tuple(pick(values) for values in MESSAGE) for _ in range(rng.randint(0, 3))],
        **draw(IDENTITY),
    }
