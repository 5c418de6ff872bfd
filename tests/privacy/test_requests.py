"""The privacy request register (COMPLIANCE.md P4): due dates, extensions, overdue, permissions."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from phonelist import Phonelist
from phonelist.contacts import ContactIn, CreateContact
from phonelist.contacts.schemas import validate_input
from phonelist.errors import Conflict, NotFound, PermissionDenied, ValidationError
from phonelist.privacy.requests import add_months, due_date
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor, Role
from phonelist.store.models import AuditEvent
from phonelist.store.privacy_models import PrivacyRequest

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
DAY = dt.timedelta(days=1)
NUMBER = "+12025550143"
NOTE = "Asked by letter; answer to ana@example.org"


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("received", "months", "due"),
    [
        (at(2026, 1, 15, 9), 0, at(2026, 2, 15, 9)),
        (at(2026, 1, 31, 9), 0, at(2026, 2, 28, 9)),  # clamped to the end of February
        (at(2028, 1, 31, 9), 0, at(2028, 2, 29, 9)),  # a leap year
        (at(2026, 3, 31), 0, at(2026, 4, 30)),
        (at(2026, 12, 31, 23, 59), 0, at(2027, 1, 31, 23, 59)),  # over the year end
        (at(2026, 1, 31), 1, at(2026, 3, 31)),  # extension counts from receipt, not the due day
        (at(2026, 1, 31), 2, at(2026, 4, 30)),
        (at(2026, 11, 30), 2, at(2027, 2, 28)),
    ],
)
def test_due_date_is_a_calendar_month_clamped(
    received: dt.datetime, months: int, due: dt.datetime
) -> None:
    assert due_date(received, months) == due


@given(
    received=st.datetimes(
        min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    extension=st.integers(min_value=0, max_value=2),
)
def test_due_date_properties(received: dt.datetime, extension: int) -> None:
    due = due_date(received, extension)
    months = (due.year - received.year) * 12 + due.month - received.month
    assert months == 1 + extension  # always the calendar month(s) after
    assert due.day == received.day or (due.day < received.day and (due + DAY).day == 1)
    assert due.time() == received.time()
    if extension:  # each month of extension moves the due date by a whole calendar month
        assert dt.timedelta(days=28) <= due - due_date(received, extension - 1)
    assert dt.timedelta(days=28) <= due_date(received) - received <= dt.timedelta(days=31)


def test_add_months_keeps_the_time_of_day() -> None:
    assert add_months(at(2026, 5, 31, 17, 45), 1) == at(2026, 6, 30, 17, 45)
    assert add_months(at(2026, 5, 31), 12) == at(2027, 5, 31)


def _contact(core: Phonelist, actor: Actor) -> str:
    data = {"display_name": "Ana", "phones": [{"number": NUMBER}]}
    out = core.contacts.apply(actor, CreateContact(validate_input(ContactIn, data)))
    assert out is not None
    return out.id


def test_add_stores_no_number_and_seals_the_note(core: Phonelist, actor: Actor) -> None:
    contact_id = _contact(core, actor)
    out = core.privacy_requests.add(
        actor,
        "erasure",
        contact_id=contact_id,
        number=NUMBER,
        note=NOTE,
        received_at=at(2026, 1, 31, 10),
        now=NOW,
    )
    assert out.kind == "erasure" and out.status == "open"
    assert out.due_at == at(2026, 2, 28, 10)
    assert out.note == NOTE
    assert out.number_index == core.keyring.blind_index("phone", NUMBER).hex()
    with core.store.read() as session:
        row = session.get(PrivacyRequest, out.id)
        assert row is not None and row.note_enc is not None
        assert NOTE.encode() not in row.note_enc
        assert NUMBER.encode() not in row.note_enc
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "privacy.request_open")
        ).one()
    assert event.subject_id == out.id
    assert event.detail == {
        "kind": "erasure",
        "contact_id": contact_id,
        "due_at": "2026-02-28T10:00:00Z",
    }
    assert NUMBER not in str(event.detail) and "ana@" not in str(event.detail)
    by_number = core.privacy_requests.add(actor, "access", number=NUMBER, now=NOW)
    assert by_number.contact_id == contact_id  # linked to the contact owning the number
    unknown = core.privacy_requests.add(actor, "access", number="+12025550199", now=NOW)
    assert unknown.contact_id is None


def test_add_refuses_bad_input(core: Phonelist, actor: Actor) -> None:
    with pytest.raises(ValidationError) as kind:
        core.privacy_requests.add(actor, "complaint", number=NUMBER, now=NOW)
    assert kind.value.field == "kind"
    with pytest.raises(ValidationError) as subject:
        core.privacy_requests.add(actor, "access", now=NOW)
    assert subject.value.field == "contact"
    with pytest.raises(NotFound):
        core.privacy_requests.add(actor, "access", contact_id="01ARZ3NDEKTSV4RRFFQ69G5FAV", now=NOW)
    with pytest.raises(ValidationError):
        core.privacy_requests.add(
            actor, "access", number=NUMBER, received_at=NOW + dt.timedelta(days=1), now=NOW
        )
    with pytest.raises(ValidationError):
        core.privacy_requests.add(actor, "access", number="not a number", now=NOW)


def test_extension_moves_the_due_date_up_to_two_months(core: Phonelist, actor: Actor) -> None:
    out = core.privacy_requests.add(
        actor, "access", number=NUMBER, received_at=at(2026, 1, 31), now=NOW
    )
    with pytest.raises(ValidationError):
        core.privacy_requests.extend(actor, out.id, 1, "  ", now=NOW)  # a reason is required
    once = core.privacy_requests.extend(actor, out.id, 1, "many requests", now=NOW)
    assert once.status == "extended" and once.due_at == at(2026, 3, 31)
    with pytest.raises(ValidationError) as too_long:
        core.privacy_requests.extend(actor, out.id, 2, "still complex", now=NOW)
    assert too_long.value.field == "months"
    twice = core.privacy_requests.extend(actor, out.id, 1, "complex", now=NOW)
    assert twice.due_at == at(2026, 4, 30) and twice.extended_months == 2
    assert twice.extension_reason == "complex"
    with core.store.read() as session:
        details = [
            e.detail
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.action == "privacy.request_extend")
            )
        ]
    assert [d["extended_months"] for d in details] == [1, 2]


def test_overdue_listing_and_days_left(core: Phonelist, actor: Actor) -> None:
    late = core.privacy_requests.add(
        actor, "access", number=NUMBER, received_at=at(2026, 1, 5), now=NOW
    )
    soon = core.privacy_requests.add(
        actor, "rectification", number=NUMBER, received_at=at(2026, 2, 20), now=NOW
    )
    closed = core.privacy_requests.add(
        actor, "objection", number=NUMBER, received_at=at(2026, 1, 1), now=NOW
    )
    core.privacy_requests.close(actor, closed.id, "done", "stopped marketing", now=NOW)
    listed = core.privacy_requests.list_requests(actor, now=NOW)
    assert [r.id for r in listed] == [closed.id, late.id, soon.id]  # soonest due first
    by_id = {r.id: r for r in listed}
    assert by_id[late.id].overdue and by_id[late.id].days_left == -33  # due 5 Feb
    assert not by_id[soon.id].overdue and by_id[soon.id].days_left == 10  # due 20 Mar
    assert not by_id[closed.id].overdue and by_id[closed.id].days_left is None
    overdue = core.privacy_requests.list_requests(actor, overdue=True, now=NOW)
    assert [r.id for r in overdue] == [late.id]
    # On the due instant it is not yet late; a second after, it is.
    due = by_id[soon.id].due_at
    assert not core.privacy_requests.get(actor, soon.id, now=due).overdue
    assert core.privacy_requests.get(actor, soon.id, now=due + dt.timedelta(seconds=1)).overdue
    open_ = core.privacy_requests.list_requests(actor, status="open", now=NOW)
    assert {r.id for r in open_} == {late.id, soon.id}
    with pytest.raises(ValidationError):
        core.privacy_requests.list_requests(actor, status="lost", now=NOW)


def test_close(core: Phonelist, actor: Actor) -> None:
    out = core.privacy_requests.add(
        actor, "erasure", number=NUMBER, received_at=at(2026, 1, 5), now=NOW
    )
    with pytest.raises(ValidationError):
        core.privacy_requests.close(actor, out.id, "refused", now=NOW)  # a refusal says why
    with pytest.raises(ValidationError):
        core.privacy_requests.close(actor, out.id, "lost", now=NOW)
    done = core.privacy_requests.close(actor, out.id, "done", "erased", now=NOW)
    assert done.status == "done" and done.closed_at == NOW and done.outcome == "erased"
    assert done.handled_by == actor.label
    with pytest.raises(Conflict):
        core.privacy_requests.close(actor, out.id, "done", now=NOW)
    with pytest.raises(Conflict):
        core.privacy_requests.extend(actor, out.id, 1, "late", now=NOW)
    with core.store.read() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "privacy.request_close")
        ).one()
        row = session.get(PrivacyRequest, out.id)
        assert row is not None and row.outcome_enc is not None and b"erased" not in row.outcome_enc
    assert event.detail == {"status": "done", "late": True}


@pytest.mark.parametrize("role", [Role.EDITOR, Role.AGENT, Role.VIEWER])
def test_only_privacy_managers_may_use_the_register(
    core: Phonelist, actor: Actor, role: Role
) -> None:
    out = core.privacy_requests.add(actor, "access", number=NUMBER, now=NOW)
    other = Actor(actor.workspace_id, role, "user", "someone")
    service = core.privacy_requests
    calls = [
        lambda: service.add(other, "access", number=NUMBER, now=NOW),
        lambda: service.list_requests(other, now=NOW),
        lambda: service.get(other, out.id, now=NOW),
        lambda: service.extend(other, out.id, 1, "busy", now=NOW),
        lambda: service.close(other, out.id, "done", now=NOW),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    admin = Actor(actor.workspace_id, Role.ADMIN, "user", "admin")
    assert service.get(admin, out.id, now=NOW).status == "open"


def test_another_workspace_cannot_see_a_request(core: Phonelist, actor: Actor) -> None:
    out = core.privacy_requests.add(actor, "access", number=NUMBER, now=NOW)
    stranger = Actor(actor.workspace_id + 1, Role.OWNER, "user", "elsewhere")
    with pytest.raises(NotFound):
        core.privacy_requests.get(stranger, out.id, now=NOW)
    assert core.privacy_requests.list_requests(stranger, now=NOW) == []


def test_key_rotation_reseals_the_note_and_outcome(core: Phonelist, actor: Actor) -> None:
    out = core.privacy_requests.add(actor, "access", number=NUMBER, note=NOTE, now=NOW)
    core.privacy_requests.close(actor, out.id, "done", "sent the export", now=NOW)
    with core.store.read() as session:
        row = session.get(PrivacyRequest, out.id)
        assert row is not None and row.note_enc is not None
        old_key = Keyring.key_id_of(row.note_enc)
    report = core.rotation().run(actor)
    assert report.active_key != old_key
    with core.store.read() as session:
        row = session.get(PrivacyRequest, out.id)
        assert row is not None and row.note_enc is not None and row.outcome_enc is not None
        assert Keyring.key_id_of(row.note_enc) == Keyring.key_id_of(row.outcome_enc)
        assert Keyring.key_id_of(row.note_enc) == report.active_key
    shown = core.privacy_requests.get(actor, out.id, now=NOW)
    assert shown.note == NOTE and shown.outcome == "sent the export"
