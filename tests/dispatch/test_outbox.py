"""The outbox contract: ``enqueue`` under an idempotency key, and the opt-out's cancel hook."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from phonelist import Phonelist
from phonelist.consent.commands import Revoke
from phonelist.dispatch import enqueue
from phonelist.security.permissions import Actor
from phonelist.store.consent_models import Message
from tests.dispatch.support import AT, launch, message, number, populate


def test_enqueue_stores_a_sealed_queued_message_once_per_key(core: Phonelist) -> None:
    def once() -> str | None:
        with core.store.write() as session:
            return enqueue(
                session,
                core.keyring,
                1,
                e164=number(1),
                body="Hello there",
                channel="sms",
                purpose="marketing",
                kind="campaign",
                idempotency_key="campaign:c1:k1",
                campaign_id="c1",
                contact_id="k1",
                sender="+12025550100",
                not_before=AT,
                encoding="gsm7",
                segments=1,
            )

    first = once()
    assert first is not None
    assert once() is None  # the same key again: a no-op, in another transaction
    with core.store.write() as session:  # and twice in one transaction
        again = enqueue(
            session,
            core.keyring,
            1,
            e164=number(2),
            body="x",
            channel="sms",
            purpose="marketing",
            kind="campaign",
            idempotency_key="campaign:c1:k1",
        )
        assert again is None
    row = message(core, first)
    assert (row.status, row.direction, row.attempts, row.idempotency_key) == (
        "queued",
        "out",
        0,
        "campaign:c1:k1",
    )
    assert (row.not_before, row.at, row.encoding, row.segments) == (AT, AT, "gsm7", 1)
    assert b"Hello" not in row.body_enc  # sealed like every message
    text = core.keyring.decrypt(row.body_enc, table="messages", column="body", row_id=row.id)
    assert text == "Hello there"
    assert row.e164_index == core.keyring.blind_index("phone", number(1))


def test_enqueue_needs_a_key(core: Phonelist) -> None:
    with core.store.write() as session, pytest.raises(ValueError):
        enqueue(
            session,
            core.keyring,
            1,
            e164=number(1),
            body="x",
            channel="sms",
            purpose="marketing",
            kind="campaign",
            idempotency_key="",
        )


def test_a_revocation_cancels_waiting_campaign_messages_in_its_transaction(
    core: Phonelist, actor: Actor
) -> None:
    people = populate(core, 2)
    marketing = launch(core, people, campaign="m")
    emergency = launch(core, people[:1], campaign="e", purpose="emergency")
    core.consent.apply(actor, Revoke(people[0][1], "keyword"), AT)
    with core.store.read() as session:
        rows = {m.id: m for m in session.scalars(select(Message))}
    assert rows[marketing[0]].status == "cancelled"
    assert rows[marketing[0]].error_code == "opted_out"
    assert rows[marketing[1]].status == "queued"  # another number
    assert rows[emergency[0]].status == "queued"  # no consent needed: its own check decides


def test_a_suppression_cancels_waiting_messages(core: Phonelist, actor: Actor) -> None:
    people = populate(core, 1)
    [queued] = launch(core, people, purpose="informational")
    core.suppressions.add(actor, people[0][1], reason="asked on the phone")
    assert message(core, queued).status == "cancelled"
