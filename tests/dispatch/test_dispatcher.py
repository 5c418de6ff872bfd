"""The dispatcher's state machine: check before sending, send, retry, cancel, defer, O7."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from phonelist import Phonelist
from phonelist.consent.commands import Revoke
from phonelist.gateways import GatewayError
from phonelist.security.permissions import Actor
from phonelist.store.campaign_models import Campaign
from phonelist.store.consent_models import Message
from tests.dispatch.support import (
    AT,
    NIGHT,
    Scripted,
    dispatcher,
    launch,
    message,
    populate,
    statuses,
)


def test_allowed_messages_are_sent_once_under_their_key(core: Phonelist) -> None:
    people = populate(core, 5)
    ids = launch(core, people)
    gateway = Scripted()
    counts = dispatcher(core, gateway).run_once(AT)
    assert (counts.claimed, counts.sent) == (5, 5)
    assert sorted(m.idempotency_key or "" for m in gateway.sent) == sorted(
        f"campaign:c1:{cid}" for cid, _ in people
    )
    assert sorted(m.to for m in gateway.sent) == sorted(e164 for _, e164 in people)
    assert {m.body for m in gateway.sent} == {"Spring sale at Acme. Reply STOP to opt out"}
    row = message(core, ids[0])
    assert (row.status, row.attempts, row.sent_at, row.at, row.claimed_by) == (
        "sent",
        1,
        AT,
        AT,
        None,
    )
    assert row.provider_ref and row.provider_ref.startswith("ref-")
    assert dispatcher(core, gateway).run_once(AT).claimed == 0  # nothing is sent twice
    assert len(gateway.sent) == 5


def test_the_check_before_sending_cancels_what_the_policy_now_blocks(
    core: Phonelist, actor: Actor
) -> None:
    people = populate(core, 3)
    ids = launch(core, people)
    # Revoked after the launch but through a path that does not touch the outbox rows:
    # the consent state only (as a restored backup or a direct import might leave it).
    core.consent.apply(actor, Revoke(people[1][1], "keyword"), AT - dt.timedelta(minutes=1))
    with core.store.write() as session:  # put it back in the queue, as if the hook missed it
        session.execute(
            update(Message).where(Message.id == ids[1]).values(status="queued", error_code=None)
        )
    gateway = Scripted()
    counts = dispatcher(core, gateway).run_once(AT)
    assert (counts.sent, counts.cancelled) == (2, 1)
    assert people[1][1] not in {m.to for m in gateway.sent}
    row = message(core, ids[1])
    assert row.status == "cancelled" and row.error_code


def test_quiet_hours_defer_to_the_next_allowed_instant(core: Phonelist) -> None:
    people = populate(core, 2)
    ids = launch(core, people, at=NIGHT)
    gateway = Scripted()
    counts = dispatcher(core, gateway).run_once(NIGHT)
    assert (counts.sent, counts.deferred) == (0, 2)
    row = message(core, ids[0])
    assert row.status == "queued" and row.not_before is not None and row.not_before > NIGHT
    assert dispatcher(core, gateway).run_once(NIGHT + dt.timedelta(minutes=5)).claimed == 0
    later = dispatcher(core, gateway).run_once(row.not_before)
    assert later.sent == 2 and len(gateway.sent) == 2


def test_retryable_errors_back_off_then_fail(core: Phonelist) -> None:
    people = populate(core, 1)
    [mid] = launch(core, people)
    gateway = Scripted()
    gateway.errors[people[0][1]] = GatewayError("busy", provider_code="20503", retryable=True)
    worker = dispatcher(core, gateway, max_attempts=3, backoff_seconds=10.0)
    assert worker.run_once(AT).retried == 1
    first = message(core, mid)
    assert (first.status, first.attempts, first.error_code) == ("queued", 1, "20503")
    assert first.next_attempt_at is not None
    wait = (first.next_attempt_at - AT).total_seconds()
    assert 5.0 <= wait <= 10.0  # 10 s with jitter in [0.5, 1]
    assert worker.run_once(AT + dt.timedelta(seconds=4)).claimed == 0  # not due yet
    assert worker.run_once(first.next_attempt_at).retried == 1
    second = message(core, mid)
    assert second.attempts == 2 and second.next_attempt_at is not None
    assert 10.0 <= (second.next_attempt_at - first.next_attempt_at).total_seconds() <= 20.0
    assert worker.run_once(second.next_attempt_at).failed == 1
    assert message(core, mid).status == "failed" and message(core, mid).attempts == 3
    del gateway.errors[people[0][1]]
    assert worker.run_once(AT + dt.timedelta(days=1)).claimed == 0  # failed is final


def test_a_retry_after_from_the_provider_is_honoured(core: Phonelist) -> None:
    people = populate(core, 1)
    [mid] = launch(core, people)
    gateway = Scripted()
    gateway.errors[people[0][1]] = GatewayError(
        "slow down", provider_code="20429", retryable=True, retry_after=600
    )
    dispatcher(core, gateway).run_once(AT)
    row = message(core, mid)
    assert row.next_attempt_at == AT + dt.timedelta(seconds=600)


def test_a_refusal_fails_at_once_with_its_code(core: Phonelist) -> None:
    people = populate(core, 1)
    [mid] = launch(core, people)
    gateway = Scripted()
    gateway.errors[people[0][1]] = GatewayError("bad number", provider_code="21211")
    assert dispatcher(core, gateway).run_once(AT).failed == 1
    row = message(core, mid)
    assert (row.status, row.error_code, row.attempts) == ("failed", "21211", 1)


def test_O7_a_provider_opt_out_suppresses_and_revokes_in_the_same_round(
    core: Phonelist, actor: Actor
) -> None:
    people = populate(core, 2)
    first = launch(core, people, campaign="a")
    second = launch(core, people, campaign="b")  # the next campaign's message to the same
    gateway = Scripted()
    gateway.errors[people[0][1]] = GatewayError(
        "unsubscribed", provider_code="21610", opt_out=True, category="opt_out"
    )
    counts = dispatcher(core, gateway).run_once(AT)
    assert counts.failed == 1 and counts.sent == 1  # one message per number per round
    assert message(core, first[0]).error_code == "21610"
    kinds = {s.kind for s in core.suppressions.show(actor, people[0][1]) if s.active}
    assert kinds == {"provider_opt_out"}
    assert message(core, second[0]).status == "cancelled"  # the revocation's hook
    dispatcher(core, gateway).run_once(AT + dt.timedelta(hours=1))
    assert [m.to for m in gateway.sent].count(people[0][1]) == 0


def test_one_message_per_number_per_round_and_caps_count_sent_messages(
    core: Phonelist,
) -> None:
    people = populate(core, 1)
    launch(core, people, campaign="a")
    launch(core, people, campaign="b")
    gateway = Scripted()
    worker = dispatcher(core, gateway)
    assert worker.run_once(AT).claimed == 1
    assert statuses(core) == {"sent": 1, "queued": 1}
    worker.run_once(AT + dt.timedelta(minutes=1))
    # Whatever the caps say, the second was decided knowing the first was sent.
    assert sum(statuses(core).values()) == 2 and statuses(core).get("queued", 0) == 0


def test_a_dead_workers_claim_is_resent_under_the_same_key(core: Phonelist) -> None:
    people = populate(core, 3)
    launch(core, people)
    gateway = Scripted()
    dead = dispatcher(core, gateway, lease_seconds=60)
    claimed = dead.claim(AT)  # ... and the worker dies before sending (or mid-send)
    assert len(claimed) == 3 and statuses(core) == {"sending": 3}
    other = dispatcher(core, gateway, lease_seconds=60)
    assert other.run_once(AT + dt.timedelta(seconds=30)).claimed == 0  # the lease holds
    assert other.run_once(AT + dt.timedelta(seconds=61)).sent == 3
    assert sorted(m.idempotency_key or "" for m in gateway.sent) == sorted(
        f"campaign:c1:{cid}" for cid, _ in people
    )
    assert dead.process(claimed, AT + dt.timedelta(seconds=62)).sent == 0  # lost its claim


def test_paused_campaigns_wait(core: Phonelist) -> None:
    people = populate(core, 2)
    with core.store.write() as session:
        session.add(
            Campaign(
                id="paused1",
                workspace_id=1,
                name="p",
                body="x",
                channel="sms",
                purpose="marketing",
                audience_kind="segment",
                audience="s",
                schedule_kind="now",
                senders=[],
                status="paused",
                preview={},
                created_by="t",
                created_at=AT,
                updated_at=AT,
                queued=2,
            )
        )
    launch(core, people, campaign="paused1")
    with core.store.write() as session:
        session.execute(update(Message).values(campaign_id="paused1"))
    gateway = Scripted()
    assert dispatcher(core, gateway).run_once(AT).claimed == 0
    with core.store.write() as session:
        session.execute(update(Campaign).values(status="sending"))
    assert dispatcher(core, gateway).run_once(AT).sent == 2


def test_shutting_down_releases_what_was_not_sent(core: Phonelist) -> None:
    people = populate(core, 4)
    launch(core, people)
    gateway = Scripted()
    worker = dispatcher(core, gateway, threads=1)
    worker.before_send = lambda ids: worker.stopping.set()
    counts = worker.run_once(AT)
    assert (counts.sent, counts.released) == (0, 4)
    with core.store.read() as session:
        rows = session.scalars(select(Message)).all()
        assert {(m.status, m.claimed_by, m.attempts) for m in rows} == {("queued", None, 0)}


def test_a_campaign_paused_after_the_claim_keeps_its_messages_queued(core: Phonelist) -> None:
    people = populate(core, 2)
    launch(core, people, campaign="later")
    gateway = Scripted()
    worker = dispatcher(core, gateway)
    claimed = worker.claim(AT)
    with core.store.write() as session:
        session.add(
            Campaign(
                id="later",
                workspace_id=1,
                name="p",
                body="x",
                channel="sms",
                purpose="marketing",
                audience_kind="segment",
                audience="s",
                schedule_kind="now",
                senders=[],
                status="paused",
                preview={},
                created_by="t",
                created_at=AT,
                updated_at=AT,
                queued=2,
            )
        )
        session.execute(update(Message).values(campaign_id="later"))
    assert worker.process(claimed, AT).sent == 0
    assert statuses(core) == {"queued": 2} and gateway.sent == []
