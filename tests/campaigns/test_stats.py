"""A campaign's statistics: states, delivery rate, opt-outs caused, cost."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from phonelist import Phonelist
from phonelist.consent.commands import Revoke
from phonelist.store.consent_models import Message
from tests.campaigns.support import AT, EDITOR, VIEWER, disclose, draft, outbox, person, service


def test_stats_count_states_rate_opt_outs_and_cost(core: Phonelist) -> None:
    disclose(core)
    numbers = [f"+1202555010{i}" for i in range(1, 6)]
    for number in numbers:
        person(core, number)
    campaigns = service(core, sms_price_per_segment={"US": 0.02})
    created = campaigns.create(EDITOR, draft(), now=AT)
    launched = campaigns.launch(EDITOR, created.id, now=AT)
    assert launched.queued == 5
    rows = outbox(core, created.id)
    states = ["delivered", "delivered", "undelivered", "sent", "queued"]
    with core.store.write() as session:
        for row, state in zip(rows, states, strict=True):
            session.execute(update(Message).where(Message.id == row.id).values(status=state))
    # The recipient of the first (delivered) message opts out an hour after the launch.
    core.consent.apply(core.cli_actor(), Revoke(numbers[0], "agent"), AT + dt.timedelta(hours=1))
    stats = campaigns.stats(VIEWER, created.id, now=AT + dt.timedelta(hours=2))
    assert stats.total == 5
    assert stats.by_state["delivered"] == 2
    assert stats.by_state["queued"] == 1
    assert stats.delivery_rate == pytest.approx(2 / 4)
    assert stats.opt_outs == 1
    assert stats.segments == 5
    assert stats.cost_estimate == pytest.approx(0.10)
    assert stats.cost_spent == pytest.approx(0.08)
    assert stats.status == "sending" and not stats.done


def test_opt_outs_count_only_recipients_within_the_window(core: Phonelist) -> None:
    disclose(core)
    numbers = ["+12025550101", "+12025550102", "+12025550103"]
    for number in numbers:
        person(core, number)
    campaigns = service(core)
    created = campaigns.create(EDITOR, draft(), now=AT)
    campaigns.launch(EDITOR, created.id, now=AT)
    with core.store.write() as session:
        session.execute(
            update(Message).where(Message.campaign_id == created.id).values(status="delivered")
        )
    owner = core.cli_actor()
    core.consent.apply(owner, Revoke(numbers[0], "agent"), AT + dt.timedelta(hours=1))
    core.consent.apply(owner, Revoke(numbers[1], "agent"), AT + dt.timedelta(days=9))
    stats = campaigns.stats(EDITOR, created.id, now=AT + dt.timedelta(days=10))
    assert stats.opt_outs == 1  # the second came after the 7-day window
    wide = campaigns.stats(EDITOR, created.id, window=dt.timedelta(days=30))
    assert wide.opt_outs == 2
    # Nothing is waiting any more: the campaign is done.
    assert (stats.status, stats.done) == ("done", True)
    assert campaigns.get(EDITOR, created.id).finished_at is not None
