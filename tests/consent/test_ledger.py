"""The consent ledger (C2): every field kept, append-only, hash-chained, state derived from it."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from typing import Any

import pytest
from sqlalchemy import JSON, Boolean, bindparam, func, select, text

from phonelist import Phonelist
from phonelist.consent.commands import Grant, RequestOptIn, Revoke
from phonelist.security.permissions import Actor
from phonelist.store.consent_models import ConsentState
from phonelist.store.models import ConsentRecord, UTCDateTime
from tests.consent.support import AT, C1_TEXT, NUMBER, OTHER, disclose, grant

MINUTE = dt.timedelta(minutes=1)


def verify(core: Phonelist, actor: Actor) -> tuple[int, tuple[str, ...]]:
    with core.store.read() as session:
        report = core.consent.ledger.verify(session, actor.workspace_id)
    assert report.ok is (not report.problems)
    return report.records, report.problems


def columns(record: ConsentRecord) -> dict[str, Any]:
    return {c.key: getattr(record, c.key) for c in ConsentRecord.__table__.columns}


def test_C2_a_record_keeps_every_field(core: Phonelist, actor: Actor) -> None:
    shown = disclose(core, actor, language="en")
    occurred = AT - dt.timedelta(hours=3)
    outcome = core.consent.apply(
        actor,
        Grant(
            "(202) 555-0143",
            "sms",
            "marketing",
            "web_form",
            occurred_at=occurred,
            sender="+12025550100",
            disclosure="web",
            affirmative_action="ticked the unchecked box and pressed Join",
            source_url="https://acme.example/join",
            form_id="join-2026",
            ip="203.0.113.9",
            user_agent="Mozilla/5.0 (X11; Linux x86_64)",
            evidence_ref="s3://evidence/join/42.png",
            evidence={"screenshot": "42.png", "double_checked": True},
        ),
        now=AT,
    )
    assert outcome.e164 == NUMBER
    [record] = core.consent.records(actor, NUMBER)
    assert record.id == outcome.record_ids[0]
    assert (record.channel, record.purpose, record.sender) == ("sms", "marketing", "+12025550100")
    assert (record.action, record.method, record.written) == ("grant", "web_form", True)
    assert record.occurred_at == occurred and record.recorded_at == AT
    assert record.occurred_at.utcoffset() == dt.timedelta(0)
    assert record.affirmative_action == "ticked the unchecked box and pressed Join"
    assert record.disclosure_text == C1_TEXT and record.disclosure_id == shown.id
    assert record.disclosure_version == "web@1"
    assert record.disclosure_hash == hashlib.sha256(C1_TEXT.encode()).hexdigest() == shown.sha256
    assert record.language == "en"  # from the disclosure shown
    assert (record.source_url, record.form_id) == ("https://acme.example/join", "join-2026")
    assert record.actor == actor.label
    assert record.evidence_ref == "s3://evidence/join/42.png"
    assert record.evidence == {"screenshot": "42.png", "double_checked": True}
    # The number, the IP and the user agent are sealed, readable only through the keyring.
    sealed = {"e164": record.e164_enc, "ip": record.ip_enc, "user_agent": record.user_agent_enc}
    plain = {"e164": NUMBER, "ip": "203.0.113.9", "user_agent": "Mozilla/5.0 (X11; Linux x86_64)"}
    for column, blob in sealed.items():
        assert blob is not None and plain[column].encode() not in blob
        opened = core.keyring.decrypt(
            blob, table="consent_records", column=column, row_id=record.id
        )
        assert opened == plain[column]
    assert record.e164_index == core.keyring.blind_index("phone", NUMBER)


def test_C2_records_point_at_the_version_shown(core: Phonelist, actor: Actor) -> None:
    first = disclose(core, actor)
    grant(core, actor, pairs=[("sms", "marketing")])
    second = disclose(core, actor, text=C1_TEXT + " Reply STOP to opt out.")
    grant(core, actor, OTHER, pairs=[("sms", "marketing")])
    grant(core, actor, OTHER, pairs=[("sms", "informational")], disclosure=first.id)
    [old] = core.consent.records(actor, NUMBER)
    new, pinned = core.consent.records(actor, OTHER)
    assert (old.disclosure_version, old.disclosure_hash) == ("web@1", first.sha256)
    assert (new.disclosure_version, new.disclosure_hash) == ("web@2", second.sha256)
    assert new.disclosure_text == C1_TEXT + " Reply STOP to opt out."
    assert (pinned.disclosure_version, pinned.disclosure_id) == ("web@1", first.id)


def test_C2_append_only_a_correction_is_a_new_record(core: Phonelist, actor: Actor) -> None:
    disclose(core, actor)
    grant(core, actor, pairs=[("sms", "marketing")])
    [first] = core.consent.records(actor, NUMBER)
    before = columns(first)
    grant(core, actor, pairs=[("sms", "marketing")], at=AT + MINUTE, form_id="corrected")
    core.consent.apply(actor, Revoke(NUMBER, "api"), now=AT + 2 * MINUTE)
    records = core.consent.records(actor, NUMBER)
    assert [r.seq for r in records] == [1, 2, 3]
    assert [(r.action, r.form_id) for r in records] == [
        ("grant", None),
        ("grant", "corrected"),
        ("revoke", None),
    ]
    assert columns(records[0]) == before
    assert records[1].prev_hash == records[0].hash and records[2].prev_hash == records[1].hash
    assert verify(core, actor) == (3, ())


# -- tampering ------------------------------------------------------------------------------------


@pytest.fixture
def chain(core: Phonelist, actor: Actor) -> list[str]:
    """Four chained records; returns their ids in ledger order."""
    disclose(core, actor)
    grant(
        core,
        actor,
        pairs=[("sms", "marketing")],
        ip="203.0.113.9",
        user_agent="UA/1",
        evidence={"screenshot": "1.png"},
    )
    core.consent.apply(
        actor,
        Grant(NUMBER, "voice", "informational", "verbal", evidence={"recording": "rec-1"}),
        now=AT + MINUTE,
    )
    core.consent.apply(actor, Revoke(NUMBER, "agent"), now=AT + 2 * MINUTE)
    grant(core, actor, OTHER, pairs=[("sms", "marketing")], at=AT + 3 * MINUTE)
    with core.store.read() as session:
        ids = list(session.scalars(select(ConsentRecord.id).order_by(ConsentRecord.seq)))
    assert len(ids) == 4 and verify(core, actor) == (4, ())
    return ids


# (case, the record (by seq) tampered with, the record a problem must name)
TAMPERING = [
    ("edit method", 2, 2),
    ("edit occurred_at", 1, 1),
    ("edit disclosure_text", 1, 1),
    ("edit evidence", 2, 2),
    ("edit written", 2, 2),
    ("edit action", 3, 3),
    ("reseal another ip", 1, 1),
    ("delete a middle row", 2, 3),  # the gap is found at the record after it
    ("delete the last row", 4, "#4"),  # only the head knows there was a fourth
    ("swap the seq of two rows", 2, 2),
    ("change prev_hash", 3, 3),
]
SET = "UPDATE consent_records SET {} WHERE id = :id"


def _tamper(core: Phonelist, case: str, ids: list[str], seq: int) -> None:
    """Change the database behind the ledger's back, with plain SQL."""
    record_id = ids[seq - 1]
    following = ids[seq] if seq < len(ids) else None
    blob = core.keyring.encrypt(
        "198.51.100.7", table="consent_records", column="ip", row_id=record_id
    )
    statements: dict[str, list[tuple[str, dict[str, Any]]]] = {
        "edit method": [(SET.format("method = 'paper'"), {})],
        "edit occurred_at": [(SET.format("occurred_at = :when"), {"when": AT - 60 * MINUTE})],
        "edit disclosure_text": [(SET.format("disclosure_text = 'I agree to anything'"), {})],
        "edit evidence": [(SET.format("evidence = :json"), {"json": {"recording": "rec-2"}})],
        "edit written": [(SET.format("written = :flag"), {"flag": True})],
        "edit action": [(SET.format("action = 'grant'"), {})],
        "reseal another ip": [(SET.format("ip_enc = :blob"), {"blob": blob})],
        "delete a middle row": [("DELETE FROM consent_records WHERE id = :id", {})],
        "delete the last row": [("DELETE FROM consent_records WHERE id = :id", {})],
        "swap the seq of two rows": [
            (SET.format("seq = -1"), {}),
            ("UPDATE consent_records SET seq = :seq WHERE id = :next", {"next": following}),
            (SET.format("seq = :seq + 1"), {}),
        ],
        "change prev_hash": [(SET.format("prev_hash = :zero"), {"zero": "0" * 32})],
    }
    types = {"when": UTCDateTime(), "json": JSON(), "flag": Boolean()}
    with core.store.write() as session:
        for sql, params in statements[case]:
            statement = text(sql)
            for name in params:
                if name in types:
                    statement = statement.bindparams(bindparam(name, type_=types[name]))
            params = {"id": record_id, "seq": seq, **params}
            used = {k: v for k, v in params.items() if f":{k}" in sql}
            assert session.execute(statement, used).rowcount == 1


@pytest.mark.parametrize(("case", "seq", "named"), TAMPERING, ids=[t[0] for t in TAMPERING])
def test_C2_tampering_with_any_row_is_caught(
    core: Phonelist, actor: Actor, chain: list[str], case: str, seq: int, named: int | str
) -> None:
    _tamper(core, case, chain, seq)
    _, problems = verify(core, actor)
    assert problems, f"{case} went unnoticed"
    name = named if isinstance(named, str) else chain[named - 1]
    assert any(name in problem for problem in problems), problems


def test_C2_an_untouched_ledger_verifies(core: Phonelist, actor: Actor, chain: list[str]) -> None:
    assert verify(core, actor) == (4, ())
    with core.store.read() as session:
        head = session.execute(text("SELECT seq, hash FROM consent_ledger_heads")).one()
        last = session.get(ConsentRecord, chain[-1])
        assert last is not None and tuple(head) == (4, last.hash)


def test_C2_records_from_before_the_chain_join_it_on_the_next_append(
    core: Phonelist, actor: Actor
) -> None:
    disclose(core, actor)
    grant(core, actor, pairs=[("sms", "marketing")])
    legacy_id = "01LEGACYRECORD000000000000"
    with core.store.write() as session:  # as migration 0003 leaves an older record
        session.add(
            ConsentRecord(
                id=legacy_id,
                workspace_id=actor.workspace_id,
                e164_index=core.keyring.blind_index("phone", NUMBER),
                e164_enc=core.keyring.encrypt(
                    NUMBER, table="consent_records", column="e164", row_id=legacy_id
                ),
                channel="sms",
                purpose="informational",
                action="grant",
                occurred_at=AT - dt.timedelta(days=30),
                recorded_at=AT - dt.timedelta(days=30),
                method="import",
                actor="system:import",
            )
        )
    assert [r.id for r in core.consent.records(actor, NUMBER)][-1] == legacy_id
    _, problems = verify(core, actor)
    assert problems == (f"record {legacy_id} is not chained yet",)
    grant(core, actor, OTHER, pairs=[("sms", "marketing")], at=AT + MINUTE)
    assert verify(core, actor) == (3, ())
    assert [r.seq for r in core.consent.records(actor, NUMBER)] == [1, 2]
    ledger = core.consent.ledger
    with core.store.read() as session:
        assert ledger.stored(session, actor.workspace_id) == ledger.derive(
            session, actor.workspace_id
        )
        now = ledger.state_of(session, actor.workspace_id, NUMBER)
    assert now[("sms", "informational")].record_id == legacy_id


def test_C2_key_rotation_keeps_the_chain_valid(
    core: Phonelist, actor: Actor, chain: list[str]
) -> None:
    report = core.rotation().run(actor)
    assert report.retired_keys == ["k1"]
    assert verify(core, actor) == (4, ())
    [first, *_] = core.consent.records(actor, NUMBER)
    assert first.ip_enc is not None
    assert core.keyring.key_id_of(first.ip_enc) == report.active_key
    ip = core.keyring.decrypt(first.ip_enc, table="consent_records", column="ip", row_id=first.id)
    assert ip == "203.0.113.9"
    grant(core, actor, pairs=[("sms", "marketing")], at=AT + 10 * MINUTE)
    assert verify(core, actor) == (5, ())


# -- state -----------------------------------------------------------------------------------------


def _random_history(core: Phonelist, actor: Actor, seed: int, steps: int = 30) -> None:
    rng = random.Random(seed)
    numbers = [NUMBER, OTHER, "+447400123456"]
    now = AT
    for _ in range(steps):
        now += dt.timedelta(minutes=rng.randint(1, 90))
        number = rng.choice(numbers)
        roll = rng.random()
        if roll < 0.3:
            core.consent.apply(actor, Revoke(number, rng.choice(["keyword", "agent", "api"])), now)
        elif roll < 0.4:
            core.consent.apply(actor, RequestOptIn(number, disclosure="web"), now)
        else:
            channel, purpose = rng.choice(
                [
                    ("sms", "marketing"),
                    ("sms", "informational"),
                    ("voice", "marketing"),
                    ("voice", "informational"),
                ]
            )
            method = rng.choice(["web_form", "verbal", "api", "keyword", "casl_implied_inquiry"])
            # Some grants claim to have happened before the latest revocation.
            occurred = now - dt.timedelta(minutes=rng.choice([0, 5, 200]))
            core.consent.apply(
                actor,
                Grant(number, channel, purpose, method, occurred_at=occurred, disclosure="web"),
                now,
            )


@pytest.mark.parametrize("seed", [4, 2026])
def test_C2_stored_state_equals_the_state_derived_from_the_records(
    core: Phonelist, actor: Actor, seed: int
) -> None:
    disclose(core, actor)
    _random_history(core, actor, seed)
    ledger = core.consent.ledger
    with core.store.read() as session:
        stored = ledger.stored(session, actor.workspace_id)
        derived = ledger.derive(session, actor.workspace_id)
    statuses = {value.status for value in derived.values()}
    assert stored == derived
    assert {"granted", "revoked"} <= statuses
    assert verify(core, actor)[1] == ()


def test_C2_rebuild_restores_a_corrupted_state(core: Phonelist, actor: Actor) -> None:
    disclose(core, actor)
    _random_history(core, actor, 7)
    ledger = core.consent.ledger
    with core.store.write() as session:
        changed = session.execute(
            text("UPDATE consent_states SET status = 'granted' WHERE status = 'revoked'")
        ).rowcount
        session.execute(
            text("DELETE FROM consent_states WHERE status = 'pending' OR method = 'verbal'")
        )
    with core.store.read() as session:
        missing = len(ledger.derive(session, actor.workspace_id)) - len(
            ledger.stored(session, actor.workspace_id)
        )
        assert changed and missing
        assert ledger.stored(session, actor.workspace_id) != ledger.derive(
            session, actor.workspace_id
        )
    with core.store.write() as session:
        assert ledger.rebuild(session, actor.workspace_id) == changed + missing
    with core.store.write() as session:
        assert ledger.stored(session, actor.workspace_id) == ledger.derive(
            session, actor.workspace_id
        )
        assert ledger.rebuild(session, actor.workspace_id) == 0
        assert session.scalar(select(func.count()).select_from(ConsentState))
