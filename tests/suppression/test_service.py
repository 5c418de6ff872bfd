"""The do-not-contact list (D1) and provider and carrier signals (O7), through the store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from phonelist import Phonelist, ValidationError
from phonelist.errors import NotFound
from phonelist.security.permissions import Actor
from phonelist.store.models import AuditEvent, Suppression
from tests.consent.support import AT, NUMBER, OTHER, PAIRS, blocking, disclose, grant, state

HOUR = dt.timedelta(hours=1)
LATER = AT + HOUR
PURPOSES = ("marketing", "informational")


def rows(core: Phonelist) -> int:
    with core.store.read() as session:
        return int(session.scalar(select(func.count()).select_from(Suppression)) or 0)


# -- D1 -------------------------------------------------------------------------------------------


def test_D1_add_records_date_source_and_reason(core: Phonelist, actor: Actor) -> None:
    added = core.suppressions.add(
        actor, "(202) 555-0143", source="call centre", reason="asked on the phone", at=AT
    )
    assert (added.e164, added.kind, added.source, added.reason) == (
        NUMBER,
        "internal_dnc",
        "call centre",
        "asked on the phone",
    )
    assert (added.created_at, added.created_by, added.active) == (AT, actor.label, True)
    # Adding it again while it is active keeps the one entry.
    again = core.suppressions.add(actor, NUMBER, source="web", at=LATER)
    assert again.id == added.id and rows(core) == 1
    assert [e.id for e in core.suppressions.entries(actor)] == [added.id]
    assert core.suppressions.entries(actor, kind="provider_opt_out") == []
    with core.store.read() as session:
        [event] = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "suppression.add")
        ).all()
        assert event.subject_id == added.id
    with pytest.raises(ValidationError) as caught:
        core.suppressions.add(actor, OTHER, kind="vip")
    assert caught.value.field == "kind"


def test_D1_lift_keeps_the_history(core: Phonelist, actor: Actor) -> None:
    first = core.suppressions.add(actor, NUMBER, reason="complaint", at=AT)
    with pytest.raises(ValidationError):
        core.suppressions.lift(actor, first.id, "  ")
    lifted = core.suppressions.lift(actor, first.id, "asked to hear from us again")
    assert lifted.lifted_at is not None and lifted.lifted_by == actor.label
    assert not lifted.active and lifted.reason == "complaint"
    assert core.suppressions.lift(actor, first.id, "again") == lifted  # lifting twice: no change
    assert core.suppressions.entries(actor) == []
    assert [e.id for e in core.suppressions.entries(actor, include_lifted=True)] == [first.id]
    second = core.suppressions.add(actor, NUMBER, reason="second complaint", at=LATER)
    assert second.id != first.id and rows(core) == 2  # nothing deleted, nothing overwritten
    history = core.suppressions.show(actor, NUMBER)
    assert [(h.id, h.reason, h.active) for h in history] == [
        (first.id, "complaint", False),
        (second.id, "second complaint", True),
    ]
    with pytest.raises(NotFound):
        core.suppressions.lift(actor, "01NOSUCHSUPPRESSION0000000", "why")


def test_D1_an_erasure_cannot_be_lifted(core: Phonelist, actor: Actor) -> None:
    erased = core.suppressions.add(actor, NUMBER, kind="erased", reason="P2 request", at=AT)
    with pytest.raises(ValidationError) as caught:
        core.suppressions.lift(actor, erased.id, "changed my mind")
    assert caught.value.code == "not_liftable"
    [entry] = core.suppressions.show(actor, NUMBER)
    assert entry.active and rows(core) == 1


@pytest.mark.parametrize("purpose", PURPOSES)
def test_D1_an_internal_list_number_is_blocked_whatever_consent_says(
    core: Phonelist, actor: Actor, purpose: str
) -> None:
    disclose(core, actor)
    grant(core, actor, at=AT - HOUR)
    assert core.policy.check(actor, NUMBER, "sms", purpose, LATER).decision.allowed
    entry = core.suppressions.add(actor, NUMBER, reason="complaint", at=AT)
    for channel in ("sms", "voice"):
        check = core.policy.check(actor, NUMBER, channel, purpose, LATER)
        assert ("D1", "internal_dnc") in blocking(check)
        assert check.decision.next_allowed_at is None  # time does not lift it
    assert state(core, actor) == dict.fromkeys(PAIRS, "granted")  # consent itself is untouched
    core.suppressions.lift(actor, entry.id, "asked to hear from us again")
    assert core.policy.check(actor, NUMBER, "sms", purpose, LATER).decision.allowed


def test_D1_emergency_honours_the_list_unless_overridden(core: Phonelist, actor: Actor) -> None:
    core.suppressions.add(actor, NUMBER, at=AT)
    check = core.policy.check(actor, NUMBER, "sms", "emergency", LATER)
    assert ("D1", "internal_dnc") in blocking(check)
    override = core.policy.check(actor, NUMBER, "sms", "emergency", LATER, emergency_override=True)
    assert override.decision.allowed
    assert "internal_dnc_overridden" in {r.code for r in override.decision.reasons}


# -- O7 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["21610", " 21610\n"])
def test_O7_provider_opt_out_suppresses_and_revokes(
    core: Phonelist, actor: Actor, code: str
) -> None:
    disclose(core, actor)
    grant(core, actor, at=AT - HOUR)
    entry = core.suppressions.provider_signal(actor, "202-555-0143", code, at=AT)
    assert entry is not None
    assert (entry.e164, entry.kind, entry.created_at) == (NUMBER, "provider_opt_out", AT)
    assert "21610" in (entry.source or "")
    assert state(core, actor) == dict.fromkeys(PAIRS, "revoked")
    [revocation] = [r for r in core.consent.records(actor, NUMBER) if r.action == "revoke"]
    assert (revocation.method, revocation.scope, revocation.occurred_at) == ("provider", "all", AT)
    for channel, purpose in PAIRS:
        check = core.policy.check(actor, NUMBER, channel, purpose, LATER)
        assert {("O7", "provider_opt_out"), ("O3", "consent_revoked")} <= blocking(check)


def test_O7_an_unrelated_provider_error_does_nothing(core: Phonelist, actor: Actor) -> None:
    disclose(core, actor)
    grant(core, actor, at=AT - HOUR)
    for code in ("30003", "21211", "216100", ""):
        assert core.suppressions.provider_signal(actor, NUMBER, code, at=AT) is None, code
    assert rows(core) == 0 and state(core, actor) == dict.fromkeys(PAIRS, "granted")
    assert core.policy.check(actor, NUMBER, "sms", "marketing", LATER).decision.allowed


def test_O7_a_carrier_deactivation_file_suppresses_each_number(
    core: Phonelist, actor: Actor, tmp_path: Path
) -> None:
    path = tmp_path / "deactivated-2026-06-01.txt"
    path.write_text(
        "# carrier deactivations\n+12025550143,2026-06-01\n\n(202) 555-0144\n", encoding="utf-8"
    )
    assert core.suppressions.import_deactivations(actor, path) == 2
    first, second = (core.suppressions.show(actor, n) for n in (NUMBER, OTHER))
    assert [(e.kind, e.source) for e in first + second] == [
        ("carrier_deactivated", path.name),
        ("carrier_deactivated", path.name),
    ]
    assert first[0].created_at == dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    for number in (NUMBER, OTHER):
        for purpose in (*PURPOSES, "emergency"):
            check = core.policy.check(actor, number, "sms", purpose, LATER)
            assert ("O7", "carrier_deactivated") in blocking(check)
    # Importing the file again adds nothing: the entries are already active.
    assert core.suppressions.import_deactivations(actor, path, source="again") == 2
    assert rows(core) == 2


def test_O7_a_bad_deactivation_line_imports_nothing(
    core: Phonelist, actor: Actor, tmp_path: Path
) -> None:
    path = tmp_path / "deactivated.txt"
    path.write_text("+12025550143\nnot a number\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        core.suppressions.import_deactivations(actor, path)
    assert "line 2" in caught.value.message
    assert rows(core) == 0
