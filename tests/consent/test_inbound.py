"""Inbound replies through the store (O1-O6, O8): revoke at once, answer once, re-subscribe."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from phonelist import Phonelist
from phonelist.consent.classify import Reply
from phonelist.consent.commands import Grant, Revoke
from phonelist.gateways import Outbound, SendResult
from phonelist.security.permissions import Actor
from phonelist.store.consent_models import Message
from tests.consent.support import (
    AT,
    MARKETING_WORDS,
    NUMBER,
    OTHER,
    PAIRS,
    blocking,
    disclose,
    grant,
    sibling,
    state,
)

HOUR = dt.timedelta(hours=1)
LATER = AT + HOUR
SENDERS = ("+12025550100", "+12025550199")
REVOKED = dict.fromkeys(PAIRS, "revoked")
GRANTED = dict.fromkeys(PAIRS, "granted")


@pytest.fixture
def subscribed(core: Phonelist, actor: Actor) -> None:
    """NUMBER has written consent for every channel and purpose."""
    disclose(core, actor)
    grant(core, actor, at=AT - HOUR)


def replies_to(core: Phonelist, number: str, kind: str | None = None) -> list[str]:
    return [m.body for m in core.gateway.sent if m.to == number and kind in (None, m.kind)]


def no_marketing(body: str) -> bool:
    return not [word for word in MARKETING_WORDS if word in body.casefold()]


# -- O1, O2 ---------------------------------------------------------------------------------------

SECTION_8_REVOCATIONS = [
    "STOP",
    "stop",
    " Stop. ",
    "STOP!!",
    "Stop 🛑",
    "opt out",
    "OPT-OUT",
    "Revoke",
    "UNSUBSCRIBE me",
    "please stop texting me",
    "PARAR",
    "arrêt",
]


def test_O1_O2_every_section_8_revocation_revokes(core: Phonelist, actor: Actor) -> None:
    disclose(core, actor)
    numbers = {text: f"+1202555{200 + i:04d}" for i, text in enumerate(SECTION_8_REVOCATIONS)}
    for number in numbers.values():
        grant(core, actor, number, pairs=[("sms", "marketing")], at=AT - HOUR)
        assert core.policy.check(actor, number, "sms", "marketing", LATER).decision.allowed
    for text, number in numbers.items():
        result = core.inbound.handle(actor, number, text, at=AT)
        assert result.classification.kind is Reply.OPT_OUT, text
        assert "revoked" in result.actions and result.review_id is None, text
        check = core.policy.check(actor, number, "sms", "marketing", LATER)
        assert ("O3", "consent_revoked") in blocking(check), text
        assert not check.decision.allowed
        revocation = core.consent.records(actor, number)[-1]
        assert (revocation.action, revocation.method, revocation.evidence_ref) == (
            "revoke",
            "keyword",
            f"message:{result.message_id}",
        ), text


# A Wednesday before Thanksgiving (Thu 26 Nov 2026): ten US business days skip the holiday and
# two weekends, and end on Thursday 10 December.
THANKSGIVING_EVE = dt.datetime(2026, 11, 25, 15, 30, tzinfo=dt.UTC)
DUE = dt.datetime(2026, 12, 10, 23, 59, 59, 999999, tzinfo=dt.UTC)
AMBIGUOUS = ["Don't stop!", "When does the sale end?"]


@pytest.mark.parametrize("text", AMBIGUOUS)
def test_O2_ambiguous_replies_are_reviewed_and_revoke_by_default(
    core: Phonelist, actor: Actor, subscribed: None, text: str
) -> None:
    result = core.inbound.handle(actor, NUMBER, text, at=THANKSGIVING_EVE)
    assert result.classification.kind is Reply.REVIEW
    assert result.actions[:2] == ("review_opened", "revoked")
    assert "treated as an opt-out by the default policy" in result.note
    assert result.as_dict()["note"] == result.note
    [review] = core.inbound.reviews(actor)
    assert (review.id, review.message_id) == (result.review_id, result.message_id)
    assert (review.received_at, review.due_at, review.policy) == (THANKSGIVING_EVE, DUE, "opt_out")
    assert state(core, actor) == REVOKED
    check = core.policy.check(actor, NUMBER, "sms", "marketing", THANKSGIVING_EVE + HOUR)
    assert ("O3", "consent_revoked") in blocking(check)
    [revocation] = [r for r in core.consent.records(actor, NUMBER) if r.action == "revoke"]
    assert revocation.method == "review_default"
    # Resolving it either way closes the item; the opt-out already applied stays.
    resolved = core.inbound.resolve(actor, review.id, "not_opt_out")
    assert (resolved.status, resolved.resolution) == ("resolved", "not_opt_out")
    assert core.inbound.reviews(actor) == [] and state(core, actor) == REVOKED


def test_O2_under_the_hold_policy_a_review_revokes_only_when_resolved_as_opt_out(
    core: Phonelist, actor: Actor, subscribed: None
) -> None:
    grant(core, actor, OTHER, at=AT - HOUR)
    with sibling(core, review_policy="hold") as held:
        first = held.inbound.handle(actor, NUMBER, AMBIGUOUS[0], at=THANKSGIVING_EVE)
        second = held.inbound.handle(actor, OTHER, AMBIGUOUS[1], at=THANKSGIVING_EVE)
        for result in (first, second):
            assert result.actions == ("review_opened",) and "held for review" in result.note
        assert {r.policy for r in held.inbound.reviews(actor)} == {"hold"}
        assert state(held, actor, NUMBER) == state(held, actor, OTHER) == GRANTED
        assert held.gateway.sent == []  # no opt-out confirmation for what is not an opt-out
        later = THANKSGIVING_EVE + HOUR
        assert held.policy.check(actor, NUMBER, "sms", "marketing", later).decision.allowed
        assert first.review_id is not None and second.review_id is not None
        held.inbound.resolve(actor, first.review_id, "opt_out")
        held.inbound.resolve(actor, second.review_id, "not_opt_out")
        assert state(held, actor, NUMBER) == REVOKED
        assert state(held, actor, OTHER) == GRANTED
        check = held.policy.check(actor, NUMBER, "sms", "marketing", dt.datetime.now(dt.UTC))
        assert ("O3", "consent_revoked") in blocking(check)
        assert held.inbound.reviews(actor) == []


# -- O3, O4 ---------------------------------------------------------------------------------------


def test_O3_a_revocation_stops_every_channel_purpose_and_sender(
    core: Phonelist, actor: Actor
) -> None:
    disclose(core, actor)
    for sender in SENDERS:
        grant(core, actor, at=AT - HOUR, sender=sender)
    for channel, purpose in PAIRS:
        assert core.policy.check(
            actor, NUMBER, channel, purpose, LATER, sender=SENDERS[1]
        ).decision.allowed
    core.inbound.handle(actor, NUMBER, "STOP", to=SENDERS[0], at=AT)
    for sender in (*SENDERS, None):
        for channel, purpose in PAIRS:
            check = core.policy.check(actor, NUMBER, channel, purpose, LATER, sender=sender)
            assert ("O3", "consent_revoked") in blocking(check), (channel, purpose, sender)
    # Emergency alerts need no consent (C1) and are not consent-based: still allowed.
    assert core.policy.check(actor, NUMBER, "sms", "emergency", LATER).decision.allowed


def test_O4_the_opt_out_is_committed_before_the_reply_is_sent(
    core: Phonelist, actor: Actor, subscribed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict[tuple[str, str], str]] = []
    send = core.gateway.send

    def watching(message: Outbound) -> SendResult:
        seen.append(state(core, actor))  # another session: it sees committed rows only
        return send(message)

    monkeypatch.setattr(core.gateway, "send", watching)
    core.gateway.fail_with = "30003"  # the provider is down
    result = core.inbound.handle(actor, NUMBER, "STOP", at=AT)
    assert seen == [REVOKED]
    assert "revoked" in result.actions and core.gateway.sent == []
    assert state(core, actor) == REVOKED
    assert not core.policy.check(actor, NUMBER, "sms", "marketing", LATER).decision.allowed
    with core.store.read() as session:
        rows = session.scalars(select(Message).order_by(Message.direction)).all()
        assert [(m.direction, m.kind, m.status, m.error) for m in rows] == [
            ("in", "reply:opt_out", "received", None),
            ("out", "opt_out_confirmation", "failed", "30003"),
        ]
        assert rows[0].id == result.message_id
    # The failed confirmation never reached the person: the next STOP gets one (O5).
    core.gateway.fail_with = None
    again = core.inbound.handle(actor, NUMBER, "STOP", at=AT + dt.timedelta(minutes=2))
    assert len(again.replies) == 1 and replies_to(core, NUMBER, "opt_out_confirmation")


# -- O5 -------------------------------------------------------------------------------------------


def test_O5_one_confirmation_without_marketing_and_none_again_inside_the_window(
    core: Phonelist, actor: Actor, subscribed: None
) -> None:
    window = dt.timedelta(hours=core.settings.optout_confirmation_window_hours)
    first = core.inbound.handle(actor, NUMBER, "STOP", at=AT)
    [confirmation] = replies_to(core, NUMBER)
    assert first.replies == (confirmation,) and no_marketing(confirmation)
    assert core.settings.program_name in confirmation and "START" in confirmation
    with core.store.read() as session:
        sent = session.scalars(select(Message).where(Message.direction == "out")).one()
        assert (sent.kind, sent.status, sent.at) == ("opt_out_confirmation", "sent", AT)
    again = core.inbound.handle(actor, NUMBER, "stop", at=AT + window - dt.timedelta(seconds=1))
    assert again.replies == () and "no second confirmation" in again.note
    assert "revoked" in again.actions and len(replies_to(core, NUMBER)) == 1
    after = core.inbound.handle(actor, NUMBER, "STOP", at=AT + window + dt.timedelta(seconds=1))
    assert after.replies == (confirmation,) and len(replies_to(core, NUMBER)) == 2


# -- O6 -------------------------------------------------------------------------------------------


def test_O6_help_is_answered_whatever_the_subscription(core: Phonelist, actor: Actor) -> None:
    disclose(core, actor)
    grant(core, actor, NUMBER, at=AT - HOUR)  # subscribed
    grant(core, actor, OTHER, at=AT - HOUR)
    core.inbound.handle(actor, OTHER, "STOP", at=AT - dt.timedelta(minutes=30))  # opted out
    never = "+12025550199"
    for number in (never, NUMBER, OTHER):
        before = state(core, actor, number)
        result = core.inbound.handle(actor, number, "HELP", at=AT)
        assert result.classification.kind is Reply.HELP
        [answer] = replies_to(core, number, "help")
        assert result.replies == (answer,) and no_marketing(answer)
        for part in (core.settings.program_name, core.settings.support_contact, "STOP"):
            assert part in answer
        assert state(core, actor, number) == before  # HELP changes nothing


def test_O6_start_after_stop_restores_exactly_what_was_granted(
    core: Phonelist, actor: Actor
) -> None:
    disclose(core, actor)
    grant(core, actor, pairs=[("sms", "marketing"), ("voice", "informational")], at=AT - HOUR)
    core.inbound.handle(actor, NUMBER, "STOP", at=AT)
    assert state(core, actor) == REVOKED
    result = core.inbound.handle(actor, NUMBER, "START", at=AT + HOUR)
    assert "resubscribed" in result.actions
    assert state(core, actor) == {
        ("sms", "marketing"): "granted",
        ("sms", "informational"): "revoked",
        ("voice", "marketing"): "revoked",
        ("voice", "informational"): "granted",
    }
    [confirmation] = replies_to(core, NUMBER, "opt_in_confirmation")
    settings = core.settings
    for part in (settings.program_name, settings.message_frequency, "HELP", "STOP"):
        assert part in confirmation
    assert "Msg & data rates may apply" in confirmation and no_marketing(confirmation)
    check = core.policy.check(actor, NUMBER, "sms", "marketing", AT + 2 * HOUR)
    assert check.decision.allowed  # written consent restored, with its disclosure
    restored = [r for r in core.consent.records(actor, NUMBER) if r.recorded_at == AT + HOUR]
    assert {(r.channel, r.purpose, r.method) for r in restored} == {
        ("sms", "marketing", "keyword"),
        ("voice", "informational", "keyword"),
    }
    assert all(r.evidence["message_id"] == result.message_id for r in restored)


def test_O6_start_with_nothing_to_restore_grants_nothing(core: Phonelist, actor: Actor) -> None:
    result = core.inbound.handle(actor, NUMBER, "START", at=AT)
    assert "resubscribed" not in result.actions and state(core, actor) == {}
    assert replies_to(core, NUMBER, "help")  # says there is nothing to restart


@pytest.mark.parametrize("keyword", ["JOIN", "Deals"])
def test_O6_a_keyword_program_grants_with_its_disclosure(
    core: Phonelist, actor: Actor, keyword: str
) -> None:
    shown = disclose(core, actor, name="deals-terms")
    programs = {
        keyword.upper(): {
            "purposes": ["marketing", "informational"],
            "disclosure": "deals-terms",
            "list": "weekly-deals",
        }
    }
    with sibling(core, keyword_programs=programs) as listening:
        result = listening.inbound.handle(actor, NUMBER, keyword, at=AT)
        assert result.classification.kind is Reply.OPT_IN and "granted" in result.actions
        [confirmation] = replies_to(listening, NUMBER, "opt_in_confirmation")
        assert "Msg & data rates may apply" in confirmation
    assert state(core, actor) == {
        ("sms", "marketing"): "granted",
        ("sms", "informational"): "granted",
    }
    for record in core.consent.records(actor, NUMBER):
        assert (record.method, record.written, record.disclosure_id) == ("keyword", True, shown.id)
        assert record.evidence["program"] == "weekly-deals"
        assert record.evidence_ref == f"message:{result.message_id}"
    assert core.policy.check(actor, NUMBER, "sms", "marketing", LATER).decision.allowed


# -- O8 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["voice_agent", "voice_keypress"])
def test_O8_a_voice_opt_out_is_recorded_like_an_sms_keyword(
    core: Phonelist, actor: Actor, subscribed: None, method: str
) -> None:
    grant(core, actor, OTHER, at=AT - HOUR)
    core.consent.apply(
        actor,
        Revoke(NUMBER, method, affirmative_action="said 'take me off your list' on the call"),
        now=AT,
    )
    core.inbound.handle(actor, OTHER, "STOP", at=AT)
    voice, sms = core.consent.records(actor, NUMBER)[-1], core.consent.records(actor, OTHER)[-1]
    shape = ("action", "channel", "purpose", "scope", "recorded_at")
    assert [getattr(voice, f) for f in shape] == [getattr(sms, f) for f in shape]
    assert state(core, actor, NUMBER) == state(core, actor, OTHER) == REVOKED
    check = core.policy.check(actor, NUMBER, "sms", "marketing", LATER)
    assert ("O3", "consent_revoked") in blocking(check)


def test_O8_a_later_explicit_opt_in_is_the_only_way_back(core: Phonelist, actor: Actor) -> None:
    disclose(core, actor)
    grant(core, actor, pairs=[("sms", "marketing")], at=AT - HOUR)
    core.consent.apply(actor, Revoke(NUMBER, "voice_agent"), now=AT)
    # A grant dated before the opt-out (a late import, a stale form) does not undo it.
    core.consent.apply(
        actor,
        Grant(NUMBER, "sms", "marketing", "web_form", occurred_at=AT - HOUR, disclosure="web"),
        now=AT + HOUR,
    )
    assert state(core, actor)[("sms", "marketing")] == "revoked"
    grant(core, actor, pairs=[("sms", "marketing")], at=AT + 2 * HOUR)
    assert state(core, actor)[("sms", "marketing")] == "granted"
