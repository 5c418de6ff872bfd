"""Retention (COMPLIANCE.md P3): settings, what is due, and what a purge removes and keeps."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select, update

from phonelist import Phonelist
from phonelist.clock import utcnow
from phonelist.consent.commands import Grant, Revoke
from phonelist.contacts import ContactIn, CreateContact
from phonelist.contacts.schemas import validate_input
from phonelist.errors import PermissionDenied, ValidationError
from phonelist.ids import new_id
from phonelist.privacy.retention import CONSENT_EVIDENCE_MINIMUM_DAYS, FIELDS, RetentionService
from phonelist.privacy.retention_due import consent_evidence_due, inactive_contacts
from phonelist.privacy.schedule import RetentionScheduler, run_scheduled_purge
from phonelist.security.permissions import Actor, Role
from phonelist.store.consent_models import Message
from phonelist.store.models import (
    AuditEvent,
    ConsentRecord,
    Contact,
    ImportJob,
    ImportReject,
    LineLookup,
    Note,
)

UTC = dt.UTC
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAY = dt.timedelta(days=1)
SECOND = dt.timedelta(seconds=1)


def ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def contact(core: Phonelist, actor: Actor, number: str, when: dt.datetime, **times: Any) -> str:
    """A contact with one number whose timestamps all say ``when`` (or ``times``)."""
    data = {"display_name": f"Person {number[-4:]}", "phones": [{"number": number}]}
    out = core.contacts.apply(actor, CreateContact(validate_input(ContactIn, data)))
    assert out is not None
    with core.store.write() as session:
        session.execute(
            update(Contact)
            .where(Contact.id == out.id)
            .values(created_at=when, updated_at=when, **times)
        )
    return out.id


# -- settings -------------------------------------------------------------------------------------
def test_defaults_are_documented_and_set_overrides(core: Phonelist, actor: Actor) -> None:
    rules = {r.field: r for r in core.retention.rules(actor)}
    assert set(rules) == set(FIELDS)
    assert rules["consent_evidence"].days == CONSENT_EVIDENCE_MINIMUM_DAYS == 1826
    assert rules["inactive_contacts"].days == 0 and rules["inactive_contacts"].source == "default"
    changed = core.retention.set(actor, "inactive_contacts", 730, now=NOW)
    assert changed.days == 730 and changed.source == "set"
    assert {r.field: r.days for r in core.retention.rules(actor)}["inactive_contacts"] == 730
    with core.store.read() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "retention.set")
        ).one()
    assert event.subject_id == "inactive_contacts" and event.detail == {"days": 730}


def test_consent_evidence_below_five_years_is_refused(core: Phonelist, actor: Actor) -> None:
    with pytest.raises(ValidationError) as refused:
        core.retention.set(actor, "consent_evidence", 1825, now=NOW)
    assert refused.value.code == "retention_too_short" and "5 years" in refused.value.message
    assert core.retention.set(actor, "consent_evidence", 1826, now=NOW).days == 1826
    assert core.retention.set(actor, "consent_evidence", 0, now=NOW).days == 0  # never purged
    with pytest.raises(ValidationError):
        core.retention.set(actor, "birthdays", 30, now=NOW)
    with pytest.raises(ValidationError):
        core.retention.set(actor, "notes", -1, now=NOW)


@pytest.mark.parametrize("role", [Role.EDITOR, Role.AGENT, Role.VIEWER])
def test_only_privacy_managers_may_change_or_run_retention(
    core: Phonelist, actor: Actor, role: Role
) -> None:
    other = Actor(actor.workspace_id, role, "user", "someone")
    with pytest.raises(PermissionDenied):
        core.retention.rules(other)
    with pytest.raises(PermissionDenied):
        core.retention.set(other, "notes", 30, now=NOW)
    with pytest.raises(PermissionDenied):
        core.retention.run(other, dry_run=True, now=NOW)


# -- what is due ----------------------------------------------------------------------------------
def test_inactive_contacts_just_inside_and_just_outside(core: Phonelist, actor: Actor) -> None:
    cutoff = ago(365)
    outside = contact(core, actor, "+12025550101", cutoff - SECOND)
    inside = contact(core, actor, "+12025550102", cutoff + SECOND)
    bought = contact(core, actor, "+12025550103", ago(900), last_purchase_at=ago(10))
    inquired = contact(core, actor, "+12025550104", ago(900), last_inquiry_at=ago(10))
    contacted = contact(core, actor, "+12025550105", ago(900), last_contacted_at=ago(10))
    old_purchase = contact(core, actor, "+12025550106", ago(900), last_purchase_at=ago(800))
    texted = contact(core, actor, "+12025550107", ago(900))
    core.inbound.handle(actor, "+12025550107", "hello", at=ago(30))
    asked = contact(core, actor, "+12025550108", ago(900))
    core.privacy_requests.add(actor, "access", contact_id=asked, now=NOW)
    with core.store.read() as session:
        due = inactive_contacts(session, actor.workspace_id, cutoff, ago(1826))
    assert set(due) == {outside, old_purchase}
    assert not {inside, bought, inquired, contacted, texted, asked} & set(due)


def test_inactive_contacts_keep_young_consent_evidence(core: Phonelist, actor: Actor) -> None:
    """A contact whose number has a consent record inside the evidence period is not due."""
    quiet = contact(core, actor, "+12025550111", ago(3000))
    evidenced = contact(core, actor, "+12025550112", ago(3000))
    core.consent.apply(actor, Revoke("+12025550112", "agent"), now=ago(1000))
    with core.store.read() as session:
        assert set(inactive_contacts(session, 1, ago(365), ago(1826))) == {quiet}
        assert set(inactive_contacts(session, 1, ago(365), ago(900))) == {quiet, evidenced}
        assert set(inactive_contacts(session, 1, ago(365), None)) == {quiet}  # kept forever


def test_consent_evidence_due(core: Phonelist, actor: Actor) -> None:
    years = 1826
    in_force = "+12025550121"  # granted 6 years ago, never revoked: its proof stays
    revoked = "+12025550122"  # revoked 6 years ago
    recent = "+12025550123"  # revoked 4 years ago
    messaged = "+12025550124"  # revoked 6 years ago, wrote to us a year ago
    edge = "+12025550125"  # last record just outside the period
    # In time order: the ledger's recording times never go backwards.
    core.consent.apply(actor, Grant(revoked, "sms", "informational", "verbal"), now=ago(2300))
    core.consent.apply(actor, Grant(in_force, "sms", "informational", "verbal"), now=ago(2200))
    core.consent.apply(actor, Revoke(revoked, "agent"), now=ago(2200))
    core.consent.apply(actor, Revoke(messaged, "agent"), now=ago(2200))
    core.consent.apply(actor, Revoke(edge, "agent"), now=ago(years) - SECOND)
    core.consent.apply(actor, Revoke(recent, "agent"), now=ago(1500))
    core.inbound.handle(actor, messaged, "who is this?", at=ago(365))
    index = {n: core.keyring.blind_index("phone", n) for n in (revoked, edge, recent)}
    with core.store.read() as session:
        due = consent_evidence_due(session, actor.workspace_id, ago(years), NOW)
    assert set(due) == {index[revoked], index[edge]}
    core.consent.apply(actor, Revoke("+12025550126", "agent"), now=ago(years) + SECOND)
    with core.store.read() as session:
        assert len(consent_evidence_due(session, actor.workspace_id, ago(years), NOW)) == 2


# -- the purge ------------------------------------------------------------------------------------
def _data(core: Phonelist, actor: Actor) -> dict[str, Any]:
    """Old and young notes, messages, import rejects and line checks."""
    person = contact(core, actor, "+12025550131", NOW, last_contacted_at=NOW)
    number = "+12025550131"
    index = core.keyring.blind_index("phone", number)
    with core.store.write() as session:
        for body, when in [("old note", ago(400)), ("young note", ago(10))]:
            nid = new_id()
            sealed = core.keyring.encrypt(body, table="notes", column="body", row_id=nid)
            session.add(
                Note(
                    id=nid,
                    contact_id=person,
                    workspace_id=1,
                    body_enc=sealed,
                    author="cli:test",
                    created_at=when,
                )
            )
        for when, direction, kind, status in [
            (ago(800), "out", "campaign", "delivered"),  # wiped (message_bodies 730)
            (ago(700), "out", "campaign", "sent"),  # young
            (ago(800), "out", "opt_out_confirmation", "sent"),  # evidence: kept
            (ago(800), "in", "reply:other", "received"),  # evidence: kept
            (ago(800), "out", "campaign", "queued"),  # not sent yet: kept
        ]:
            mid = new_id()
            session.add(
                Message(
                    id=mid,
                    workspace_id=1,
                    direction=direction,
                    e164_index=index,
                    e164_enc=core.keyring.encrypt(
                        number, table="messages", column="e164", row_id=mid
                    ),
                    channel="sms",
                    kind=kind,
                    body_enc=core.keyring.encrypt(
                        "hi", table="messages", column="body", row_id=mid
                    ),
                    at=when,
                    status=status,
                )
            )
        for job_id, finished in [(new_id(), ago(100)), (new_id(), ago(10)), (new_id(), None)]:
            session.add(
                ImportJob(
                    id=job_id,
                    workspace_id=1,
                    actor="cli:test",
                    file_name="people.csv",
                    file_sha256="0" * 64,
                    file_size=10,
                    format="csv",
                    options={},
                    status="done" if finished else "running",
                    counts={},
                    started_at=ago(200),
                    updated_at=ago(200),
                    finished_at=finished,
                )
            )
            session.flush()
            for row in (2, 3):
                session.add(
                    ImportReject(
                        job_id=job_id,
                        row_number=row,
                        column="phone",
                        raw_enc=b"sealed",
                        reason="invalid_number",
                        message="not a number",
                    )
                )
        for n, when in [(b"a", ago(400)), (b"b", ago(300))]:
            session.add(
                LineLookup(
                    workspace_id=1,
                    e164_index=n * 16,
                    provider="fake",
                    checked_at=when,
                )
            )
    return {"person": person}


def _snapshot(core: Phonelist) -> dict[str, int]:
    with core.store.read() as session:
        return {
            "notes": session.scalar(select(func.count()).select_from(Note)) or 0,
            "bodies": session.scalar(
                select(func.count()).select_from(Message).where(Message.body_enc.is_not(None))
            )
            or 0,
            "rejects": session.scalar(select(func.count()).select_from(ImportReject)) or 0,
            "checks": session.scalar(select(func.count()).select_from(LineLookup)) or 0,
            "events": session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
            "messages": session.scalar(select(func.count()).select_from(Message)) or 0,
        }


def test_dry_run_counts_and_writes_nothing_then_the_run_purges(
    core: Phonelist, actor: Actor
) -> None:
    _data(core, actor)
    core.retention.set(actor, "notes", 365, now=NOW)
    before = _snapshot(core)
    seen: list[tuple[str, int]] = []
    dry = core.retention.run(
        actor, dry_run=True, now=NOW, progress=lambda f, n: seen.append((f, n))
    )
    expected = {
        "inactive_contacts": 0,
        "notes": 1,
        "message_bodies": 1,
        "import_rejects": 2,
        "line_checks": 1,
        "consent_evidence": 0,
        "consent_evidence_messages": 0,
    }
    assert dry.counts == expected and dry.dry_run
    assert [f for f, _ in seen] == list(FIELDS)
    assert _snapshot(core) == before  # nothing written, no audit event either
    done = core.retention.run(actor, now=NOW)
    assert done.counts == expected
    after = _snapshot(core)
    assert after == {
        "notes": before["notes"] - 1,
        "bodies": before["bodies"] - 1,
        "rejects": before["rejects"] - 2,
        "checks": before["checks"] - 1,
        "events": before["events"] + 1,
        "messages": before["messages"],  # the rows stay: caps count them
    }
    with core.store.read() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "retention.purge")
        ).one()
        assert [n.created_at for n in session.scalars(select(Note))] == [ago(10)]
    assert event.detail["counts"] == expected
    assert core.retention.last_run(actor) is not None
    again = core.retention.run(actor, now=NOW)
    assert set(again.counts.values()) == {0}


def test_consent_evidence_purge_redacts_and_the_chain_still_verifies(
    core: Phonelist, actor: Actor
) -> None:
    old = "+12025550141"
    core.consent.apply(
        actor, Grant(old, "sms", "informational", "verbal", ip="203.0.113.9"), now=ago(2300)
    )
    core.consent.apply(actor, Revoke(old, "agent"), now=ago(2200))
    core.inbound.handle(actor, old, "STOP", at=ago(2200))  # evidence message, and a reply out
    core.consent.apply(actor, Grant("+12025550142", "sms", "informational", "verbal"), now=ago(10))
    dry = core.retention.run(actor, dry_run=True, now=NOW)
    assert dry.counts["consent_evidence"] == 3  # grant, revoke, and the STOP's revocation
    assert dry.counts["consent_evidence_messages"] == 2
    report = core.retention.run(actor, now=NOW)
    assert report.counts["consent_evidence"] == 3
    index = core.keyring.blind_index("phone", old)
    with core.store.read() as session:
        rows = session.scalars(select(ConsentRecord).where(ConsentRecord.e164_index == index)).all()
        assert rows and all(
            r.erased_at == NOW and r.e164_enc is None and r.ip_enc is None for r in rows
        )
        bodies = session.scalars(select(Message.body_enc).where(Message.e164_index == index)).all()
        assert bodies and set(bodies) == {None}
        assert core.consent.ledger.verify(session, actor.workspace_id).ok
        young = session.scalars(
            select(ConsentRecord).where(ConsentRecord.e164_index != index)
        ).one()
        assert young.erased_at is None and young.e164_enc is not None
    assert core.retention.run(actor, now=NOW).counts["consent_evidence"] == 0


def test_inactive_contacts_are_erased_through_the_erasure(core: Phonelist, actor: Actor) -> None:
    gone = contact(core, actor, "+12025550151", ago(800))
    kept = contact(core, actor, "+12025550152", ago(100))
    core.retention.set(actor, "inactive_contacts", 365, now=NOW)
    assert core.retention.run(actor, dry_run=True, now=NOW).counts["inactive_contacts"] == 1
    assert core.retention.run(actor, now=NOW).counts["inactive_contacts"] == 1
    with core.store.read() as session:
        assert session.get(Contact, gone) is None
        assert session.get(Contact, kept) is not None
        erased = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "privacy.erase")
        ).one()
    assert erased.subject_id == gone and erased.detail["reason"] == "retention"


def test_without_the_erasure_inactive_contacts_are_only_counted(
    core: Phonelist, actor: Actor
) -> None:
    gone = contact(core, actor, "+12025550161", ago(800))
    core.retention.set(actor, "inactive_contacts", 365, now=NOW)
    service = RetentionService(core.store, core.consent.ledger, None)
    report = service.run(actor, now=NOW)
    assert report.counts["inactive_contacts"] == 0 and "inactive_contacts" in report.skipped
    with core.store.read() as session:
        assert session.get(Contact, gone) is not None


def test_the_schedule_purges_once_per_interval(core: Phonelist, actor: Actor) -> None:
    system = Phonelist.system_actor("retention")
    service = core.retention
    start = utcnow()
    assert run_scheduled_purge(service, system, now=start, interval_hours=0) is None  # off
    first = run_scheduled_purge(service, system, now=start, interval_hours=24)
    assert first is not None and not first.dry_run
    assert run_scheduled_purge(service, system, now=start, interval_hours=24) is None
    later = start + dt.timedelta(hours=25)
    assert run_scheduled_purge(service, system, now=later, interval_hours=24) is not None
    scheduler = RetentionScheduler(service, system, interval_hours=24)
    scheduler.tick()  # the last purge is recent (audit time is the wall clock): nothing to do
    with core.store.read() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "retention.purge")
        ).all()
    assert len(events) == 2 and {e.actor for e in events} == {"system:retention"}
