"""One-to-one follow-ups, call logs and a contact's conversation (masked for agents)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from phonelist import Phonelist
from phonelist.audit import AuditFilter
from phonelist.campaigns import PolicyBlocked
from phonelist.consent.messages import store_message
from phonelist.errors import PermissionDenied, ValidationError
from phonelist.store.consent_models import Message
from tests.campaigns.support import AGENT, AT, EDITOR, VIEWER, disclose, person

NUMBER = "+12025550101"


@pytest.fixture
def contact(core: Phonelist) -> str:
    disclose(core)
    return person(core, NUMBER, first_name="Ana")


def test_a_follow_up_is_checked_then_queued(core: Phonelist, contact: str) -> None:
    sent = core.conversations.send(AGENT, contact, "Hi {first_name}, your order shipped.", now=AT)
    assert sent.text == "Hi Ana, your order shipped."
    assert (sent.status, sent.duplicate, sent.not_before) == ("queued", False, None)
    with core.store.read() as session:
        row = session.scalars(select(Message).where(Message.id == sent.message_id)).one()
        assert (row.kind, row.contact_id, row.purpose, row.status) == (
            "direct",
            contact,
            "informational",
            "queued",
        )
    # The same idempotency key twice queues one message.
    one = core.conversations.send(EDITOR, contact, "Again", idempotency_key="k1", now=AT)
    two = core.conversations.send(EDITOR, contact, "Again", idempotency_key="k1", now=AT)
    assert two.duplicate and two.message_id == one.message_id


def test_a_blocked_follow_up_is_refused_or_deferred(core: Phonelist) -> None:
    disclose(core)
    night = person(core, "+12025550102", time_zone="Pacific/Honolulu")
    bare = person(core, "+12025550103", consent=())
    with pytest.raises(PolicyBlocked) as refused:
        core.conversations.send(EDITOR, bare, "Hello", now=AT)
    assert "consent_unknown" in refused.value.details["reasons"]
    with pytest.raises(PolicyBlocked):  # marketing at 06:00 local, not deferred
        core.conversations.send(EDITOR, night, "Sale today", purpose="marketing", now=AT)
    later = core.conversations.send(
        EDITOR, night, "Sale today", purpose="marketing", defer=True, now=AT
    )
    assert later.not_before == dt.datetime(2026, 6, 10, 18, 0, tzinfo=dt.UTC)
    assert later.text.endswith("Reply STOP to opt out")  # M1 applies to one-to-one too
    with pytest.raises(PermissionDenied):
        core.conversations.send(VIEWER, night, "Hi", now=AT)
    with pytest.raises(PermissionDenied, match=r"campaigns\.emergency"):
        core.conversations.send(AGENT, night, "Evacuate", purpose="emergency", now=AT)


def test_a_call_is_logged_with_a_note(core: Phonelist, contact: str) -> None:
    logged = core.conversations.log_call(
        AGENT, contact, "callback_requested", notes="Call back after 5pm", now=AT
    )
    assert (logged.channel, logged.kind, logged.status, logged.subject) == (
        "voice",
        "call_log",
        "logged",
        "callback_requested",
    )
    assert logged.body == "Call back after 5pm"
    notes = core.contacts.get(EDITOR, contact).notes
    assert [n.body for n in notes] == ["Call (callback requested): Call back after 5pm"]
    events = core.audit.events(core.cli_actor(), AuditFilter(action="call.log")).items
    assert events and "5pm" not in str(events[0].detail)
    with pytest.raises(ValidationError):
        core.conversations.log_call(AGENT, contact, "sold_the_farm", now=AT)
    with pytest.raises(ValidationError):
        core.conversations.log_call(AGENT, contact, "answered", number="+12025550199", now=AT)


def test_the_conversation_is_in_order_and_masked_for_agents(core: Phonelist, contact: str) -> None:
    with core.store.write() as session:
        store_message(
            session,
            core.keyring,
            1,
            direction="in",
            e164=NUMBER,
            body="Is my order on its way?",
            at=AT - dt.timedelta(minutes=10),
            kind="reply",
            status="received",
        )
    core.conversations.send(EDITOR, contact, "Yes, it ships today.", now=AT)
    core.conversations.log_call(
        EDITOR, contact, "answered", notes="Confirmed", at=AT + dt.timedelta(minutes=5),
        now=AT + dt.timedelta(minutes=6),
    )  # fmt: skip
    full = core.conversations.conversation(EDITOR, contact)
    assert [(m.direction, m.body) for m in full] == [
        ("in", "Is my order on its way?"),
        ("out", "Yes, it ships today."),
        ("out", "Confirmed"),
    ]
    assert {m.number for m in full} == {NUMBER}
    masked = core.conversations.conversation(AGENT, contact)
    assert [m.body for m in masked] == [m.body for m in full]
    assert all(m.number.endswith("101") and "2025550" not in m.number for m in masked)
    assert all("\u2022" in m.number for m in masked)
    last = core.conversations.conversation(VIEWER, contact, limit=1)
    assert [m.body for m in last] == ["Confirmed"]
