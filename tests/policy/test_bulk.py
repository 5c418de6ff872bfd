"""The bulk path (SQL-reduced facts, shared decisions) gives the answers of the per-number check.

It reads ``policy_facts`` (kept by triggers, migration 0008); a fixed varied store also holds it
equal to the path that joins the source tables (``policy.joined``).

Hypothesis builds small worlds of contacts with every kind of fact the engine reads (consent of
each method and state, suppressions, registry entries and dates, reassigned-number results,
business relationships, addresses and zones, recent sends) and compares the two paths at random
instants. On PostgreSQL, an opt-out committed while an audience is being decided is honoured
by every chunk decided after the commit.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from phonelist import Phonelist
from phonelist.consent.commands import Grant, Revoke
from phonelist.consent.messages import store_message
from phonelist.contacts import ContactIn, CreateContact
from phonelist.contacts.schemas import validate_input
from phonelist.policy.joined import decide_audience_joined
from phonelist.security.permissions import Actor
from phonelist.store.models import Contact, LineLookup

BASE = dt.datetime(2026, 6, 10, 12, 0, tzinfo=dt.UTC)
AREAS = ["305", "850", "214", "301", "801", "480", "202", "915"]
SERIAL = itertools.count(1000)

contact_st = st.fixed_dictionaries(
    {
        "area": st.sampled_from(AREAS),
        "address": st.sampled_from([None, ("US", "FL"), ("US", "Texas"), ("US", "MD"), None]),
        "zone": st.sampled_from([None, None, "America/Los_Angeles", "America/Chicago"]),
        "consent": st.sampled_from(
            ["none", "written", "verbal", "revoked", "implied", "soft", "expired_implied"]
        ),
        "suppressed": st.sampled_from([None, None, None, "internal_dnc", "reassigned"]),
        "registered": st.booleans(),
        "ebr_days": st.sampled_from([None, 10, 100, 600]),
        "reassigned_days": st.sampled_from([None, None, 5, 400]),
        "sends": st.lists(st.integers(1, 47 * 60), max_size=4),  # minutes before BASE
    }
)


class World(dict[str, Any]):
    """The store under test; a short repr keeps Hypothesis' failure reports readable."""

    def __repr__(self) -> str:
        return "World()"


@pytest.fixture
def world(core: Phonelist, actor: Actor, tmp_path: Path) -> World:
    disclosure = core.consent.add_disclosure(
        actor,
        "terms",
        "I agree to automated marketing texts. Consent is not a condition of purchase.",
        automated_marketing=True,
        not_condition_of_purchase=True,
    )
    registry = tmp_path / "dnc.txt"
    return World(core=core, actor=actor, disclosure=disclosure.name, registry=registry)


def build(
    core: Phonelist, actor: Actor, world: dict[str, Any], spec: dict[str, Any]
) -> tuple[str, str]:
    number = f"+1{spec['area']}555{next(SERIAL):04d}"
    data: dict[str, Any] = {"phones": [{"number": number}]}
    if spec["address"]:
        data["country"], data["region"] = spec["address"]
    if spec["zone"]:
        data["time_zone"] = spec["zone"]
    out = core.contacts.apply(actor, CreateContact(validate_input(ContactIn, data)))
    assert out is not None
    past = BASE - dt.timedelta(days=30)
    kind = spec["consent"]
    if kind in ("written", "revoked"):
        core.consent.apply(
            actor,
            Grant(
                number,
                "sms",
                "marketing",
                "web_form",
                occurred_at=past,
                disclosure=world["disclosure"],
            ),
            past,
        )
    if kind == "revoked":
        core.consent.apply(actor, Revoke(number, "agent"), past + dt.timedelta(days=1))
    if kind == "verbal":
        core.consent.apply(
            actor, Grant(number, "sms", "marketing", "verbal", occurred_at=past), past
        )
    if kind in ("implied", "expired_implied"):
        when = past if kind == "implied" else BASE - dt.timedelta(days=800)
        core.consent.apply(
            actor,
            Grant(number, "sms", "marketing", "casl_implied_purchase", occurred_at=when),
            when,
        )
    if kind == "soft":
        facts = {"obtained_in_sale": True, "similar_products": True, "opt_out_offered": True}
        core.consent.apply(
            actor,
            Grant(number, "sms", "marketing", "soft_opt_in", occurred_at=past, evidence=facts),
            past,
        )
    if spec["suppressed"]:
        core.suppressions.add(actor, number, kind=spec["suppressed"])
    with core.store.write() as session:
        if spec["ebr_days"] is not None:
            session.execute(
                update(Contact)
                .where(Contact.id == out.id)
                .values(last_purchase_at=BASE - dt.timedelta(days=spec["ebr_days"]))
            )
        if spec["reassigned_days"] is not None:
            session.add(
                LineLookup(
                    workspace_id=actor.workspace_id,
                    e164_index=core.keyring.blind_index("phone", number),
                    provider="test",
                    reassigned=True,
                    reassigned_since=(BASE - dt.timedelta(days=spec["reassigned_days"])).date(),
                    checked_at=BASE,
                )
            )
        for minutes in spec["sends"]:
            store_message(
                session,
                core.keyring,
                actor.workspace_id,
                direction="out",
                e164=number,
                body="promo",
                at=BASE - dt.timedelta(minutes=minutes),
                kind="campaign",
                status="sent",
                purpose="marketing",
            )
    if spec["registered"]:
        world["registry"].write_text(f"{number[2:]}\n", encoding="utf-8")
        core.registries.import_file(
            actor,
            world["registry"],
            registry_date=(BASE - dt.timedelta(days=20)).date(),
            kind="additions",
        )
    return out.id, number


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    specs=st.lists(contact_st, min_size=1, max_size=5),
    offsets=st.lists(st.integers(-36 * 60, 36 * 60), min_size=1, max_size=2),
    channel=st.sampled_from(["sms", "voice"]),
    purpose=st.sampled_from(["marketing", "informational", "emergency"]),
)
def test_bulk_path_agrees_with_check(
    world: World,
    specs: list[dict[str, Any]],
    offsets: list[int],
    channel: str,
    purpose: str,
) -> None:
    core, actor = world["core"], world["actor"]
    numbers = dict(build(core, actor, world, spec) for spec in specs)
    ids = list(numbers)
    for minutes in offsets:
        at = BASE + dt.timedelta(minutes=minutes)
        bulk = dict(core.policy.decide_audience(actor, channel, purpose, at, contact_ids=ids))
        assert sorted(bulk) == sorted(ids)
        for contact_id in ids:
            one = core.policy.check(actor, numbers[contact_id], channel, purpose, at).decision
            assert bulk[contact_id] == one, (contact_id, at)


def test_every_chunk_reads_committed_opt_outs(core: Phonelist, actor: Actor) -> None:
    """An opt-out committed from another session between chunks blocks every later decision."""
    disclosure = core.consent.add_disclosure(
        actor,
        "t",
        "automated marketing; not a condition",
        automated_marketing=True,
        not_condition_of_purchase=True,
    )
    ids = []
    numbers = []
    for n in range(6):
        number = f"+1202555{7000 + n:04d}"
        out = core.contacts.apply(
            actor, CreateContact(validate_input(ContactIn, {"phones": [{"number": number}]}))
        )
        assert out is not None
        ids.append(out.id)
        numbers.append(number)
        core.consent.apply(
            actor, Grant(number, "sms", "marketing", "web_form", disclosure=disclosure.name), BASE
        )
    order = sorted(range(6), key=lambda i: ids[i])
    last = numbers[order[-1]]  # decided in the last chunk

    def opt_out_elsewhere() -> None:
        # A different thread and connection: the webhook's session, not the bulk reader's.
        worker = threading.Thread(
            target=core.inbound.handle, args=(actor, last, "STOP"), kwargs={"at": BASE}
        )
        worker.start()
        worker.join()

    at = BASE + dt.timedelta(minutes=5)
    calls: list[int] = []

    def between() -> None:
        calls.append(1)
        if len(calls) == 1:
            opt_out_elsewhere()

    decided = dict(
        core.policy.decide_audience(
            actor, "sms", "marketing", at, chunk_size=2, between_chunks=between
        )
    )
    assert calls, "the audience was decided in more than one chunk"
    assert decided[ids[order[0]]].allowed  # decided before the opt-out was committed
    assert not decided[ids[order[-1]]].allowed
    assert "consent_revoked" in {r.code for r in decided[ids[order[-1]]].blocking}
    assert not core.policy.check(actor, last, "sms", "marketing", at).decision.allowed


def test_facts_table_joined_path_and_check_agree(world: World) -> None:
    """A fixed, varied store: the bulk path on ``policy_facts``, the path that joins the source
    tables (policy.joined, the one before migration 0008) and ``check`` agree on every contact,
    channel and purpose, in small chunks."""
    core, actor = world["core"], world["actor"]
    kinds = ["none", "written", "verbal", "revoked", "implied", "soft", "expired_implied"]
    numbers = {}
    for n, consent in enumerate(kinds * 3):
        spec = {
            "area": AREAS[n % len(AREAS)],
            "address": [None, ("US", "FL"), ("US", "Texas"), ("US", "MD")][n % 4],
            "zone": [None, "America/Chicago", None][n % 3],
            "consent": consent,
            "suppressed": [None, "internal_dnc", None, "reassigned", None][n % 5],
            "registered": n % 3 == 0,
            "ebr_days": [None, 10, 600][n % 3],
            "reassigned_days": [None, 5, 400, None][n % 4],
            "sends": [[], [30, 90, 600], [5]][n % 3],
        }
        contact_id, number = build(core, actor, world, spec)
        numbers[contact_id] = number
    for channel, purpose in itertools.product(
        ["sms", "voice"], ["marketing", "informational", "emergency"]
    ):
        for minutes in (0, 9 * 60):
            at = BASE + dt.timedelta(minutes=minutes)
            bulk = list(core.policy.decide_audience(actor, channel, purpose, at, chunk_size=4))
            joined = list(decide_audience_joined(core.policy, actor, channel, purpose, at))
            assert [c for c, _ in bulk] == sorted(numbers)
            assert bulk == joined, (channel, purpose, at)
            for contact_id, decision in bulk:
                one = core.policy.check(actor, numbers[contact_id], channel, purpose, at)
                assert decision == one.decision, (contact_id, channel, purpose, at)


def test_a_registry_import_between_chunks_is_read(
    core: Phonelist, actor: Actor, tmp_path: Path
) -> None:
    """Fresh registry data imported while an audience is decided counts from the next chunk:
    equal rows in later chunks do not reuse an answer given on the older data."""
    ids = []
    for n in range(4):
        number = f"+1305555{7100 + n:04d}"
        out = core.contacts.apply(
            actor, CreateContact(validate_input(ContactIn, {"phones": [{"number": number}]}))
        )
        assert out is not None
        ids.append((out.id, number))
    ids.sort()
    registry = tmp_path / "dnc.txt"
    registry.write_text("3055550000\n", encoding="utf-8")  # a number of no contact
    old = (BASE - dt.timedelta(days=60)).date()
    core.registries.import_file(actor, registry, registry_date=old, kind="additions")
    before = core.policy.check(actor, ids[0][1], "sms", "marketing", BASE).decision
    assert "registry_stale" in {r.code for r in before.blocking}

    def fresh_import() -> None:
        day = (BASE - dt.timedelta(days=1)).date()
        core.registries.import_file(actor, registry, registry_date=day, kind="additions")

    calls: list[int] = []

    def between() -> None:
        calls.append(1)
        if len(calls) == 1:
            fresh_import()

    decided = dict(
        core.policy.decide_audience(
            actor, "sms", "marketing", BASE, chunk_size=2, between_chunks=between
        )
    )
    assert decided[ids[0][0]] == before
    after = core.policy.check(actor, ids[-1][1], "sms", "marketing", BASE).decision
    assert "registry_stale" not in {r.code for r in after.reasons}
    assert decided[ids[-1][0]] == after
