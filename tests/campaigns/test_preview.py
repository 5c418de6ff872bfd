"""A campaign's preview: the audience, a count for every exclusion, the message and its cost."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from phonelist import Phonelist
from phonelist.campaigns import EXCLUSIONS
from phonelist.errors import NotFound, ValidationError
from phonelist.security.permissions import Role
from tests.campaigns.support import (
    AGENT,
    AT,
    EDITOR,
    actor,
    disclose,
    draft,
    line_check,
    person,
    register,
    sent_before,
    service,
    set_number,
)


@pytest.fixture
def world(core: Phonelist, tmp_path: Path) -> dict[str, str]:
    """One contact of the list "audience" for each outcome of a marketing campaign at AT."""
    disclose(core)
    core.suppressions.add(core.cli_actor(), "+12025550103")
    register(core, "+12025550104", tmp_path)
    sent_before(core, "+13015550106", 3)
    ids = {
        "send": person(core, "+12025550101", first_name="Ana"),
        "no_consent": person(core, "+12025550102", consent=()),
        "suppressed": person(core, "+12025550103"),
        "registry": person(core, "+12025550104", consent=()),
        # 06:00 in Honolulu: outside the [08:00, 21:00) window, deferred to 08:00 there.
        "quiet_hours": person(core, "+12025550105", time_zone="Pacific/Honolulu"),
        # Maryland: at most 3 marketing messages in 24 h (H4).
        "frequency_cap": person(core, "+13015550106"),
        "invalid_number": person(core, "+12025550107"),
        "landline": person(core, "+12025550108"),
        "landline_checked": person(core, "+12025550109"),
        "no_number": person(core, None, first_name="Nobody"),
        "elsewhere": person(core, "+12025550110", lists=("other",)),
    }
    set_number(core, "+12025550107", validity="invalid")
    set_number(core, "+12025550108", number_type="fixed_line")
    line_check(core, "+12025550109", "fixed_line")
    return ids


def test_every_exclusion_is_counted(core: Phonelist, world: dict[str, str]) -> None:
    campaigns = service(core)
    created = campaigns.create(EDITOR, draft(), now=AT)
    preview = campaigns.preview(EDITOR, created.id, now=AT)
    summary = preview.summary
    assert summary["audience"] == 10  # "elsewhere" is not on the list
    assert summary["send"] == 1
    assert summary["deferred"] == 2  # quiet hours and the cap
    assert summary["excluded"] == 7
    assert summary["exclusions"] == {
        "no_number": 1,
        "invalid_number": 1,
        "landline": 2,
        "suppressed": 1,
        "registry": 1,
        "no_consent": 1,
        "no_time_zone": 0,
        "quiet_hours": 1,
        "frequency_cap": 1,
        "other": 0,
    }
    assert set(summary["exclusions"]) == set(EXCLUSIONS)
    # Deferred to 08:00 in Honolulu (18:00 UTC), and until the oldest of the 3 sends is 24 h old.
    quiet = summary["deferred_until"]["quiet_hours"]
    assert quiet["first"] == dt.datetime(2026, 6, 10, 18, 0, tzinfo=dt.UTC).isoformat()
    cap = summary["deferred_until"]["frequency_cap"]
    assert cap["first"] == (AT + dt.timedelta(hours=21)).isoformat()
    assert summary["reasons"]["internal_dnc"] == 1
    assert summary["reasons"]["dnc_registered"] == 1
    assert summary["needs_approval"] is False
    # The stored preview holds counts only, never a rendered message.
    assert core.campaigns.get(EDITOR, created.id).preview == summary
    assert "samples" not in summary


def test_the_message_is_rendered_finished_and_priced(
    core: Phonelist, world: dict[str, str]
) -> None:
    campaigns = service(core, sms_price_per_segment={"US": 0.01, "default": 0.5})
    created = campaigns.create(EDITOR, draft(), now=AT)
    preview = campaigns.preview(EDITOR, created.id, now=AT)
    first = preview.samples[0]
    assert first.contact_id == world["send"]
    # M1: the marketing footer names the brand and the opt-out.
    assert first.text == (
        "Hi Ana, our June offer is here.\nphonelist messages: Reply STOP to opt out"
    )
    assert first.added == ["opt_out_footer"]
    assert (first.encoding, first.segments) == ("GSM-7", 1)
    assert first.cost == pytest.approx(0.01)
    assert first.to == "+12025550101"
    # Sent and deferred messages are priced: 3 of them, one segment each, to US numbers.
    assert preview.summary["message"]["segments"] == 3
    assert preview.summary["cost"] == pytest.approx(0.03)
    assert preview.summary["message"]["encodings"] == {"GSM-7": 3}
    # Those without a first name get the default.
    texts = {s.contact_id: s.text for s in preview.samples}
    assert texts[world["quiet_hours"]].startswith("Hi there, ")


def test_ucs2_and_segments(core: Phonelist, world: dict[str, str]) -> None:
    campaigns = service(core)
    body = "Olá {first_name|amigo}! " + "x" * 80  # "á" forces UCS-2: 70, then 67 per segment
    created = campaigns.create(EDITOR, draft(body=body, purpose="informational"), now=AT)
    sample = campaigns.preview_contact(EDITOR, created.id, world["send"], now=AT)
    assert sample.encoding == "UCS-2"
    assert sample.text == "Olá Ana! " + "x" * 80  # informational: no footer
    assert sample.segments == 2
    assert sample.outcome == "send"


def test_preview_for_one_contact(core: Phonelist, world: dict[str, str]) -> None:
    campaigns = service(core)
    created = campaigns.create(EDITOR, draft(), now=AT)
    blocked = campaigns.preview_contact(EDITOR, created.id, world["suppressed"], now=AT)
    assert (blocked.outcome, blocked.category, blocked.text) == ("excluded", "suppressed", "")
    assert any(r["code"] == "internal_dnc" for r in blocked.reasons)
    later = campaigns.preview_contact(EDITOR, created.id, world["quiet_hours"], now=AT)
    assert later.outcome == "deferred"
    assert later.not_before == dt.datetime(2026, 6, 10, 18, 0, tzinfo=dt.UTC)
    assert later.text.startswith("Hi there")
    outside = campaigns.preview_contact(EDITOR, created.id, world["elsewhere"], now=AT)
    assert outside.in_audience is False
    with pytest.raises(NotFound):
        campaigns.preview_contact(EDITOR, created.id, "01ARZ3NDEKTSV4RRFFQ69G5FAV", now=AT)


def test_agents_see_masked_numbers_and_cannot_preview(
    core: Phonelist, world: dict[str, str]
) -> None:
    campaigns = service(core)
    created = campaigns.create(EDITOR, draft(), now=AT)
    with pytest.raises(Exception, match=r"campaigns\.manage"):
        campaigns.preview(AGENT, created.id, now=AT)
    owner_view = campaigns.preview(actor(Role.OWNER), created.id, now=AT)
    assert owner_view.samples[0].to == "+12025550101"


def test_the_template_is_checked_against_the_custom_fields(core: Phonelist) -> None:
    disclose(core)
    person(core, "+12025550101")
    campaigns = service(core)
    with pytest.raises(ValidationError, match="no custom field 'plan'"):
        campaigns.create(EDITOR, draft(body="Your {custom.plan} plan"), now=AT)
    core.fields.define(core.cli_actor(), "plan", "text")
    created = campaigns.create(EDITOR, draft(body="Your {custom.plan|basic} plan"), now=AT)
    assert created.status == "draft"


def test_custom_fields_render_and_missing_values_are_counted(core: Phonelist) -> None:
    disclose(core)
    core.fields.define(core.cli_actor(), "plan", "text")
    gold = person(core, "+12025550101", custom={"plan": "gold"})
    person(core, "+12025550102")
    campaigns = service(core)
    created = campaigns.create(
        EDITOR, draft(body="Your {custom.plan} plan renews soon.", purpose="informational"),
        now=AT,
    )  # fmt: skip
    preview = campaigns.preview(EDITOR, created.id, now=AT)
    texts = {s.contact_id: s.text for s in preview.samples}
    assert texts[gold] == "Your gold plan renews soon."
    assert preview.summary["message"]["missing_fields"] == {"custom.plan": 1}


@pytest.mark.parametrize(
    ("kind", "audience"),
    [("segment", "DC"), ("query", 'list = "audience" AND status = lead'), ("list", "audience")],
)
def test_every_kind_of_audience(core: Phonelist, kind: str, audience: str) -> None:
    disclose(core)
    person(core, "+12025550101")
    person(core, "+12025550102", lists=("other",))
    core.segments.save(core.cli_actor(), "DC", 'list = "audience"')
    campaigns = service(core)
    created = campaigns.create(
        EDITOR, draft(audience_kind=kind, audience=audience, purpose="informational"), now=AT
    )
    assert campaigns.preview(EDITOR, created.id, now=AT).summary["audience"] == 1
    missing = "nothing = like it" if kind == "query" else "nothing-like-it"
    with pytest.raises(NotFound if kind != "query" else ValidationError):
        campaigns.create(EDITOR, draft(audience_kind=kind, audience=missing), now=AT)
