"""Approval, launch into the outbox (idempotent), schedules across DST, pause, cancel, emergency."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, select, update

from phonelist import Phonelist
from phonelist.audit import AuditFilter
from phonelist.campaigns import campaign_key
from phonelist.consent.commands import Revoke
from phonelist.errors import Conflict, PermissionDenied, ValidationError
from phonelist.security.permissions import Actor, Role
from phonelist.store.consent_models import Message
from phonelist.store.models import PhoneNumber
from tests.campaigns.support import (
    ADMIN,
    AT,
    EDITOR,
    actor,
    body_of,
    disclose,
    draft,
    outbox,
    person,
    service,
)

UTC = dt.UTC


@pytest.fixture
def three(core: Phonelist) -> list[str]:
    disclose(core)
    return [
        person(core, "+12025550101", first_name="Ana"),
        person(core, "+12025550102", first_name="Rui"),
        person(core, "+12025550103", consent=()),  # excluded: no consent
    ]


def test_marketing_above_the_threshold_needs_approval(core: Phonelist, three: list[str]) -> None:
    campaigns = service(core, campaign_approval_threshold=2)
    created = campaigns.create(EDITOR, draft(), now=AT)
    assert campaigns.preview(EDITOR, created.id, now=AT).summary["needs_approval"] is True
    launched = campaigns.launch(EDITOR, created.id, now=AT)
    assert (launched.status, launched.needs_approval, launched.queued) == (
        "awaiting_approval",
        True,
        0,
    )
    assert outbox(core, created.id) == []
    with pytest.raises(Conflict, match="needs approval"):
        campaigns.launch(EDITOR, created.id, now=AT)
    with pytest.raises(PermissionDenied):  # editors may not approve
        campaigns.approve(EDITOR, created.id, now=AT)
    approved = campaigns.approve(ADMIN, created.id, now=AT)
    assert (approved.status, approved.approved_by) == ("approved", "user:admin-1")
    launched = campaigns.launch(EDITOR, created.id, now=AT)
    assert (launched.status, launched.enqueued, launched.queued) == ("sending", 2, 2)
    events = core.audit.events(
        core.cli_actor(), AuditFilter(subject_id=created.id), limit=100
    ).items
    actions = [e.action for e in events]
    assert {"campaign.create", "campaign.submit", "campaign.approve", "campaign.launch"} <= set(
        actions
    )


def test_below_the_threshold_or_informational_needs_none(core: Phonelist, three: list[str]) -> None:
    campaigns = service(core, campaign_approval_threshold=3)
    small = campaigns.create(EDITOR, draft(), now=AT)
    assert campaigns.launch(EDITOR, small.id, now=AT).status == "sending"
    strict = service(core, campaign_approval_threshold=0)
    info = strict.create(EDITOR, draft(purpose="informational"), now=AT)
    assert strict.launch(EDITOR, info.id, now=AT).status == "sending"


def test_creators_cannot_approve_their_own_unless_owner(core: Phonelist, three: list[str]) -> None:
    campaigns = service(core, campaign_approval_threshold=0)
    mine = campaigns.create(ADMIN, draft(), now=AT)
    with pytest.raises(PermissionDenied, match="creator"):
        campaigns.approve(ADMIN, mine.id, now=AT)
    owner = actor(Role.OWNER, "boss")
    own = campaigns.create(owner, draft(), now=AT)
    assert campaigns.approve(owner, own.id, now=AT).status == "approved"
    # A change voids the approval.
    changed = campaigns.update(owner, own.id, draft(body="New text {first_name|}"), now=AT)
    assert (changed.status, changed.approved_by) == ("draft", None)


def test_launching_twice_queues_each_recipient_once(core: Phonelist, three: list[str]) -> None:
    campaigns = service(core)
    created = campaigns.create(EDITOR, draft(), now=AT)
    first = campaigns.launch(EDITOR, created.id, now=AT)
    assert (first.enqueued, first.queued) == (2, 2)
    again = campaigns.launch(EDITOR, created.id, now=AT)
    assert (again.enqueued, again.queued, again.status) == (0, 2, "sending")
    rows = outbox(core, created.id)
    assert len(rows) == 2
    assert {r.idempotency_key for r in rows} == {
        campaign_key(created.id, three[0]),
        campaign_key(created.id, three[1]),
    }
    assert {r.status for r in rows} == {"queued"}
    assert all(r.kind == "campaign" and r.purpose == "marketing" for r in rows)
    assert body_of(core, rows[0]).startswith("Hi Ana, ")
    # A crash that lost one row: the next launch adds exactly that one.
    with core.store.write() as session:
        session.execute(delete(Message).where(Message.id == rows[0].id))
    healed = campaigns.launch(EDITOR, created.id, now=AT)
    assert (healed.enqueued, healed.queued) == (1, 2)


def test_senders_are_assigned_and_stable(core: Phonelist, three: list[str]) -> None:
    campaigns = service(core)
    senders = ["+12025559001", "+12025559002"]
    created = campaigns.create(EDITOR, draft(senders=senders, rate_limit=5.0), now=AT)
    assert created.rate_limit == 5.0
    campaigns.launch(EDITOR, created.id, now=AT)
    first = {r.contact_id: r.sender for r in outbox(core, created.id)}
    assert set(first.values()) <= set(senders)
    other = campaigns.create(EDITOR, draft(senders=senders), now=AT)
    campaigns.launch(EDITOR, other.id, now=AT)
    assert {r.contact_id: r.sender for r in outbox(core, other.id)} == first


def test_a_utc_schedule_queues_for_its_instant(core: Phonelist, three: list[str]) -> None:
    campaigns = service(core)
    when = AT + dt.timedelta(days=1)
    created = campaigns.create(EDITOR, draft(schedule_kind="utc", send_at=when), now=AT)
    campaigns.launch(EDITOR, created.id, now=AT)
    assert {r.not_before for r in outbox(core, created.id)} == {when}
    with pytest.raises(ValidationError):
        campaigns.create(EDITOR, draft(schedule_kind="utc"), now=AT)


@pytest.mark.parametrize(
    ("day", "new_york", "phoenix"),
    [
        # The US spring-forward Sunday: 08:05 EDT is 12:05 UTC; Arizona keeps MST (UTC-7).
        (dt.date(2026, 3, 8), dt.datetime(2026, 3, 8, 12, 5, tzinfo=UTC),
         dt.datetime(2026, 3, 8, 15, 5, tzinfo=UTC)),
        # The day before, New York is still on EST (UTC-5).
        (dt.date(2026, 3, 7), dt.datetime(2026, 3, 7, 13, 5, tzinfo=UTC),
         dt.datetime(2026, 3, 7, 15, 5, tzinfo=UTC)),
        # Fall back: 08:05 EST again.
        (dt.date(2026, 11, 1), dt.datetime(2026, 11, 1, 13, 5, tzinfo=UTC),
         dt.datetime(2026, 11, 1, 15, 5, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_a_local_schedule_fires_at_each_recipients_0805_across_dst(
    core: Phonelist, day: dt.date, new_york: dt.datetime, phoenix: dt.datetime
) -> None:
    disclose(core)
    dc = person(core, "+12025550101")  # zone from the number: America/New_York
    az = person(core, "+16025550102", time_zone="America/Phoenix")  # the contact's own zone
    campaigns = service(core)
    created = campaigns.create(
        EDITOR,
        draft(schedule_kind="local", local_date=day, local_time="08:05"),
        now=dt.datetime(2026, 3, 1, tzinfo=UTC),
    )
    launched = campaigns.launch(EDITOR, created.id, now=dt.datetime(2026, 3, 1, tzinfo=UTC))
    assert launched.preview["send"] == 2  # 08:05 is inside the marketing window in both (H2)
    due = {r.contact_id: r.not_before for r in outbox(core, created.id)}
    assert due == {dc: new_york, az: phoenix}


def test_a_local_schedule_without_a_zone_is_excluded(core: Phonelist) -> None:
    disclose(core)
    person(core, "+12025550101")
    with core.store.write() as session:
        session.execute(update(PhoneNumber).values(time_zones=None))
    campaigns = service(core)
    created = campaigns.create(
        EDITOR,
        draft(purpose="informational", schedule_kind="local",
              local_date=dt.date(2026, 6, 11), local_time="09:00"),
        now=AT,
    )  # fmt: skip
    summary = campaigns.preview(EDITOR, created.id, now=AT).summary
    assert summary["exclusions"]["no_time_zone"] == 1
    with pytest.raises(ValidationError, match="HH:MM"):
        campaigns.update(EDITOR, created.id, draft(local_time="9am"), now=AT)


def test_pause_resume_and_cancel(core: Phonelist, three: list[str]) -> None:
    campaigns = service(core)
    created = campaigns.create(EDITOR, draft(), now=AT)
    with pytest.raises(Conflict):
        campaigns.pause(EDITOR, created.id, now=AT)  # a draft is not sending
    campaigns.launch(EDITOR, created.id, now=AT)
    assert campaigns.pause(EDITOR, created.id, now=AT).status == "paused"
    assert {r.status for r in outbox(core, created.id)} == {"queued"}  # they wait
    with pytest.raises(Conflict, match="resume"):
        campaigns.launch(EDITOR, created.id, now=AT)
    assert campaigns.resume(EDITOR, created.id, now=AT).status == "sending"
    with core.store.write() as session:  # one went out meanwhile
        sent = session.scalars(select(Message).where(Message.campaign_id == created.id)).first()
        assert sent is not None
        sent.status = "sent"
    cancelled = campaigns.cancel(EDITOR, created.id, now=AT)
    assert cancelled.status == "cancelled"
    states = sorted(r.status for r in outbox(core, created.id))
    assert states == ["cancelled", "sent"]
    with pytest.raises(Conflict):
        campaigns.launch(EDITOR, created.id, now=AT)
    with pytest.raises(Conflict):
        campaigns.update(EDITOR, created.id, draft(name="again"), now=AT)


def test_emergency_needs_the_permission_and_a_reason(core: Phonelist) -> None:
    disclose(core)
    unconsented = person(core, "+12025550101", consent=())
    night = person(core, "+12025550102", consent=(), time_zone="Pacific/Honolulu")
    person(core, "+12025550103", consent=())
    core.suppressions.add(core.cli_actor(), "+12025550103")
    campaigns = service(core)
    alert = draft(purpose="emergency", body="Flood warning: leave the lower town now.")
    with pytest.raises(PermissionDenied, match=r"campaigns\.emergency"):
        campaigns.create(EDITOR, alert, now=AT)
    with pytest.raises(ValidationError, match="emergency_reason"):
        campaigns.create(ADMIN, alert, now=AT)
    created = campaigns.create(
        ADMIN, draft(purpose="emergency", body=alert.body, emergency_reason="flood"), now=AT
    )
    with pytest.raises(PermissionDenied):
        campaigns.launch(EDITOR, created.id, now=AT)
    with pytest.raises(PermissionDenied, match=r"campaigns\.emergency"):
        # Nor may an editor make it an ordinary campaign, and then launch that.
        campaigns.update(EDITOR, created.id, draft(purpose="informational"), now=AT)
    launched = campaigns.launch(ADMIN, created.id, now=AT)
    # No consent needed and no quiet hours (C1, H2); the internal list still holds (D1).
    assert launched.preview["send"] == 2
    assert launched.preview["exclusions"]["suppressed"] == 1
    rows = outbox(core, created.id)
    assert {r.contact_id for r in rows} == {unconsented, night}
    assert body_of(core, rows[0]) == "Flood warning: leave the lower town now."  # no footer
    events = core.audit.events(
        core.cli_actor(), AuditFilter(subject_id=created.id), limit=100
    ).items
    launch = next(e for e in events if e.action == "campaign.emergency_launch")
    assert launch.detail["emergency"] is True
    assert "flood" not in str([e.detail for e in events])  # ids and counts only


def test_other_roles_and_workspaces(core: Phonelist, three: list[str]) -> None:
    campaigns = service(core)
    with pytest.raises(PermissionDenied):
        campaigns.create(actor(Role.AGENT), draft(), now=AT)
    with pytest.raises(PermissionDenied):
        campaigns.create(actor(Role.VIEWER), draft(), now=AT)
    created = campaigns.create(EDITOR, draft(), now=AT)
    assert [c.id for c in campaigns.all(actor(Role.VIEWER))] == [created.id]
    stranger = Actor(workspace_id=2, role=Role.OWNER, kind="user", ref="x")
    with pytest.raises(Exception, match="no campaign"):
        campaigns.get(stranger, created.id)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"rate_limit": 0.0}, "rate_limit"),
        ({"channel": "voice"}, "channel"),
        ({"purpose": "sales"}, "purpose"),
        ({"audience_kind": "tag"}, "audience_kind"),
        ({"name": " "}, "name"),
        ({"senders": ["x" * 40]}, "senders"),
        ({"schedule_kind": "local", "local_date": dt.date(2026, 7, 1)}, "local_time"),
        ({"schedule_kind": "utc", "send_at": dt.datetime(2026, 7, 1, 9, 0)}, "send_at"),
    ],
)
def test_a_bad_draft_names_its_field(
    core: Phonelist, three: list[str], fields: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        service(core).create(EDITOR, draft(**fields), now=AT)
    assert refused.value.field == field


def test_an_opt_out_after_the_preview_is_honoured_at_launch(
    core: Phonelist, three: list[str]
) -> None:
    campaigns = service(core)
    created = campaigns.create(EDITOR, draft(), now=AT)
    assert campaigns.preview(EDITOR, created.id, now=AT).summary["send"] == 2
    core.consent.apply(core.cli_actor(), Revoke("+12025550101", "agent"), AT)
    launched = campaigns.launch(EDITOR, created.id, now=AT)
    assert launched.queued == 1
    assert [r.contact_id for r in outbox(core, created.id)] == [three[1]]


def test_a_sender_without_replies_gives_another_opt_out_route(
    core: Phonelist, three: list[str]
) -> None:
    one_way = {"one_way_senders": ["+12025559001"]}
    blind = service(core, **one_way)
    created = blind.create(EDITOR, draft(senders=["+12025559001"]), now=AT)
    with pytest.raises(ValidationError, match="opt_out_route"):
        blind.preview(EDITOR, created.id, now=AT)
    routed = service(core, **one_way, opt_out_route="https://acme.example/stop")
    sample = routed.preview(EDITOR, created.id, now=AT).samples[0]
    assert sample.added == ["opt_out_footer", "no_reply_notice"]
    assert sample.text.endswith("To opt out: https://acme.example/stop")
