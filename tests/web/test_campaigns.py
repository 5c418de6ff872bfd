"""The campaign pages: compose with the server's character and segment counter, the audience
preview with its exclusions, approve, launch, pause, resume, cancel and the live progress;
who may do what, and the CSRF token every form and script must carry."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from phonelist import Phonelist
from phonelist.campaigns import Draft
from phonelist.campaigns.plan import content_rules
from phonelist.config import Settings
from phonelist.content.rules import finish
from phonelist.security.permissions import Role
from tests.api.client import TestClient
from tests.campaigns.support import body_of, disclose, outbox, person
from tests.conftest import OWNER_PASSWORD
from tests.web.helpers import csrf_of

PASSWORD = "a long password for the campaign pages"
COUNT = "/web/api/campaigns/count"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Marketing to more than one contact needs approval, so a small audience shows the flow."""
    return settings.model_copy(update={"campaign_approval_threshold": 1})


def sign_in_as(client: TestClient, core: Phonelist, role: Role) -> str:
    """Sign in as a user of ``role`` (the owner exists); returns the session's CSRF token."""
    username, password = "owner", OWNER_PASSWORD
    if role != Role.OWNER:
        username, password = f"{role.value}-1", PASSWORD
        core.users.create(core.cli_actor(), username, password, role)
    token = csrf_of(client.get("/signin").text)
    response = client.post(
        "/signin", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/campaigns").text)


def world(core: Phonelist) -> dict[str, str]:
    """Contacts of the list "audience": two that get the message, and three exclusions."""
    disclose(core)
    core.suppressions.add(core.cli_actor(), "+351912000003")
    return {
        "ana": person(core, "+351912000001", first_name="Ana"),
        "rui": person(core, "+351912000002", first_name="Rui"),
        "suppressed": person(core, "+351912000003"),
        "no_consent": person(core, "+351912000004", consent=()),
        "no_number": person(core, None, first_name="Nobody"),
    }


def form(**fields: str) -> dict[str, str]:
    base = {
        "name": "Opening hours",
        "body": "Hi {first_name|there}, we open at 9 tomorrow.",
        "purpose": "informational",
        "audience_kind": "list",
        "audience": "audience",
        "schedule_kind": "now",
        "senders": "",
        "rate_limit": "",
    }
    return {**base, **fields}


def created(core: Phonelist, **fields: Any) -> str:
    draft = Draft(
        **{
            "name": "Opening hours",
            "body": "Hi {first_name|there}, we open at 9.",
            "purpose": "informational",
            "audience_kind": "list",
            "audience": "audience",
            **fields,
        }
    )
    return core.campaigns.create(core.cli_actor(), draft).id


def status_of(core: Phonelist, campaign_id: str) -> str:
    return core.campaigns.get(core.cli_actor(), campaign_id).status


# -- pages and sessions ------------------------------------------------------------------------
def test_pages_need_a_session(client: TestClient, core: Phonelist) -> None:
    world(core)
    campaign_id = created(core)
    for path in ("/campaigns", "/campaigns/new", f"/campaigns/{campaign_id}"):
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/signin"
    assert client.get(f"/web/api/campaigns/{campaign_id}/stats").status_code == 401
    assert client.post(COUNT, json={"body": "Hi"}).status_code == 401


def test_compose_save_and_preview_with_every_exclusion(client: TestClient, core: Phonelist) -> None:
    world(core)
    token = sign_in_as(client, core, Role.OWNER)

    page = client.get("/campaigns/new")
    assert page.status_code == 200
    assert 'id="body-count"' in page.text
    saved = client.post("/campaigns/new", data={**form(), "csrf_token": token})
    assert saved.status_code == 303
    location = saved.headers["location"]
    campaign_id = location.rsplit("/", 1)[1]
    shown = client.get(location)
    assert "saved as a draft" in shown.text
    assert "Not previewed yet" in shown.text

    preview = client.post(f"{location}/preview", data={"csrf_token": token})

    assert preview.status_code == 200
    counts = dict(re.findall(r'data-preview="(\w+)">([\d.]+)<', preview.text))
    assert float(counts.pop("cost")) >= 0
    assert counts == {"audience": "5", "send": "2", "deferred": "0", "excluded": "3"}
    rows = dict(
        re.findall(
            r'data-exclusion="(\w+)"[^>]*>\s*<th[^>]*>.*?</th>\s*<td>(\d+)</td>', preview.text
        )
    )
    assert rows["suppressed"] == "1"
    assert rows["no_consent"] == "1"
    assert rows["no_number"] == "1"
    assert rows["quiet_hours"] == "0"
    assert "Hi Ana, we open at 9 tomorrow." in preview.text  # a sample, rendered
    assert "+351912000001" in preview.text
    # the counts (never a message) are kept on the campaign and shown after a reload
    again = client.get(f"/campaigns/{campaign_id}")
    assert 'data-preview="excluded">3<' in again.text
    assert "Hi Ana" not in again.text


def test_the_list_shows_status_and_progress(client: TestClient, core: Phonelist) -> None:
    world(core)
    launched = created(core, name="Launched one")
    core.campaigns.launch(core.cli_actor(), launched)
    created(core, name="Still a draft")
    sign_in_as(client, core, Role.VIEWER)

    page = client.get("/campaigns")

    assert page.status_code == 200
    assert '<span class="badge status-sending">sending</span>' in page.text
    assert '<span class="badge status-draft">draft</span>' in page.text
    assert "0 of 2 processed" in page.text  # two queued, none sent yet
    assert "New campaign" not in page.text  # a viewer may not compose


# -- the counter -------------------------------------------------------------------------------
def test_the_counter_is_the_servers_count(client: TestClient, core: Phonelist) -> None:
    token = sign_in_as(client, core, Role.EDITOR)
    headers = {"X-CSRF-Token": token}

    plain = client.post(COUNT, json={"body": "Hi {first_name|there}"}, headers=headers).json()
    emoji = client.post(COUNT, json={"body": "Hi there 😀"}, headers=headers).json()
    long = client.post(COUNT, json={"body": "a" * 161}, headers=headers).json()
    marketing = client.post(
        COUNT, json={"body": "Our June offer", "purpose": "marketing"}, headers=headers
    ).json()

    assert plain["ok"] and plain["encoding"] == "GSM-7"
    assert (plain["characters"], plain["segments"]) == (len("Hi there"), 1)
    assert plain["placeholders"] == ["first_name"]
    assert emoji["encoding"] == "UCS-2"
    assert emoji["non_gsm"] == ["😀"]
    assert emoji["units"] == len("Hi there ") + 2  # a surrogate pair
    assert (long["encoding"], long["segments"]) == ("GSM-7", 2)
    expected = finish("Our June offer", purpose="marketing", rules=content_rules(core.settings))
    assert marketing["added"] == ["opt_out_footer"]
    assert marketing["appended"] == content_rules(core.settings).footer_text()
    assert marketing["characters"] == expected.count.characters
    assert marketing["segments"] == expected.count.segments


def test_what_the_counter_says_is_what_a_launch_queues(client: TestClient, core: Phonelist) -> None:
    world(core)
    token = sign_in_as(client, core, Role.EDITOR)
    body = "We open at 9 tomorrow 😀 " + "and close late, " * 4

    counted = client.post(COUNT, json={"body": body}, headers={"X-CSRF-Token": token}).json()
    campaign_id = created(core, body=body)
    core.campaigns.launch(core.cli_actor(), campaign_id)

    queued = outbox(core, campaign_id)
    assert len(queued) == 2
    assert (counted["encoding"], counted["segments"]) == ("UCS-2", 2)
    for message in queued:
        assert (message.encoding, message.segments) == (counted["encoding"], counted["segments"])
        assert len(body_of(core, message)) == counted["characters"]


def test_the_counter_points_at_a_template_error(client: TestClient, core: Phonelist) -> None:
    token = sign_in_as(client, core, Role.EDITOR)

    answer = client.post(
        COUNT, json={"body": "Hi {frist_name}"}, headers={"X-CSRF-Token": token}
    ).json()

    assert answer["ok"] is False
    assert answer["error"]["position"] == 4
    assert "at character 5" in answer["error"]["message"]


def test_the_counter_needs_the_csrf_header_and_campaigns_manage(
    client: TestClient, core: Phonelist
) -> None:
    token = sign_in_as(client, core, Role.AGENT)

    missing = client.post(COUNT, json={"body": "Hi"})
    wrong = client.post(COUNT, json={"body": "Hi"}, headers={"X-CSRF-Token": "x" + token})
    agent = client.post(COUNT, json={"body": "Hi"}, headers={"X-CSRF-Token": token})

    assert missing.status_code == 403
    assert missing.json()["error"]["code"] == "csrf_failed"
    assert wrong.status_code == 403
    assert agent.status_code == 403
    assert agent.json()["error"]["details"]["permission"] == "campaigns.manage"


# -- errors next to the field ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"body": "Hi {frist_name}"}, "body", "at character 5"),
        ({"name": "x" * 101}, "name", "the name must be"),
        ({"audience_kind": "segment", "audience": "nope"}, "audience", "nope"),
        ({"schedule_kind": "utc", "send_at": "tomorrow"}, "send_at", "date and time"),
        ({"schedule_kind": "local", "local_date": "2026-12-01"}, "local_time", "HH:MM"),
        ({"rate_limit": "fast"}, "rate_limit", "must be a number"),
    ],
)
def test_a_refused_draft_is_shown_with_the_error_under_its_field(
    client: TestClient, core: Phonelist, fields: dict[str, str], field: str, text: str
) -> None:
    world(core)
    token = sign_in_as(client, core, Role.EDITOR)

    response = client.post("/campaigns/new", data={**form(**fields), "csrf_token": token})

    assert response.status_code in (404, 422)
    error = re.search(
        rf'<p class="error" id="{field}-error" role="alert">([^<]*)</p>', response.text
    )
    assert error, response.text
    assert text in error.group(1)
    assert re.search(rf'aria-invalid="true" aria-describedby="[^"]*{field}-error"', response.text)
    assert core.campaigns.all(core.cli_actor()) == []
    if "body" in fields:
        assert "Hi {frist_name}" in response.text  # what was typed is kept
        assert response.text.count("at character 5") == 1  # not again by the counter


# -- who may do what ---------------------------------------------------------------------------
@pytest.mark.parametrize("role", [Role.VIEWER, Role.AGENT])
def test_readers_see_campaigns_but_cannot_compose_or_act(
    client: TestClient, core: Phonelist, role: Role
) -> None:
    world(core)
    campaign_id = created(core)
    token = sign_in_as(client, core, role)

    detail = client.get(f"/campaigns/{campaign_id}")
    compose = client.get("/campaigns/new")
    edit = client.get(f"/campaigns/{campaign_id}/edit")
    posted = client.post("/campaigns/new", data={**form(), "csrf_token": token})
    launch = client.post(f"/campaigns/{campaign_id}/launch", data={"csrf_token": token})
    preview = client.post(f"/campaigns/{campaign_id}/preview", data={"csrf_token": token})

    assert detail.status_code == 200
    assert "Launch" not in detail.text and "Preview audience" not in detail.text
    assert compose.status_code == edit.status_code == 403
    assert "campaigns.manage" in compose.text
    assert posted.status_code == launch.status_code == preview.status_code == 403
    assert status_of(core, campaign_id) == "draft"
    assert len(core.campaigns.all(core.cli_actor())) == 1


def test_emergency_fields_only_for_roles_that_may_send_one(
    client: TestClient, core: Phonelist
) -> None:
    world(core)
    token = sign_in_as(client, core, Role.EDITOR)

    page = client.get("/campaigns/new")
    refused = client.post(
        "/campaigns/new",
        data={**form(purpose="emergency", emergency_reason="Flood"), "csrf_token": token},
    )

    assert 'value="emergency"' not in page.text
    assert 'id="emergency_reason"' not in page.text
    assert refused.status_code == 403
    assert "campaigns.emergency" in refused.text
    assert core.campaigns.all(core.cli_actor()) == []


def test_an_admin_composes_an_emergency(client: TestClient, core: Phonelist) -> None:
    world(core)
    token = sign_in_as(client, core, Role.ADMIN)

    page = client.get("/campaigns/new")
    no_reason = client.post(
        "/campaigns/new", data={**form(purpose="emergency"), "csrf_token": token}
    )
    saved = client.post(
        "/campaigns/new",
        data={**form(purpose="emergency", emergency_reason="Flood warning"), "csrf_token": token},
    )

    assert 'id="emergency_reason"' in page.text
    assert no_reason.status_code == 422
    assert 'id="emergency_reason-error"' in no_reason.text
    assert saved.status_code == 303
    (campaign,) = core.campaigns.all(core.cli_actor())
    assert (campaign.purpose, campaign.emergency_reason) == ("emergency", "Flood warning")


def test_approval_by_another_user_then_launch(client: TestClient, core: Phonelist) -> None:
    world(core)
    token = sign_in_as(client, core, Role.EDITOR)
    saved = client.post("/campaigns/new", data={**form(purpose="marketing"), "csrf_token": token})
    location = saved.headers["location"]

    submitted = client.post(f"{location}/launch", data={"csrf_token": token})
    assert submitted.status_code == 303
    waiting = client.get(location)
    assert "awaiting approval" in waiting.text
    assert "needs approval" in waiting.text
    assert ">Approve<" not in waiting.text  # editors may not approve
    own = client.post(f"{location}/approve", data={"csrf_token": token})
    assert own.status_code == 403

    client.post("/signout", data={"csrf_token": token})
    admin = sign_in_as(client, core, Role.ADMIN)
    assert ">Approve<" in client.get(location).text
    approved = client.post(f"{location}/approve", data={"csrf_token": admin})
    assert approved.status_code == 303
    assert "is approved" in client.get(location).text

    launched = client.post(f"{location}/launch", data={"csrf_token": admin})
    assert launched.status_code == 303
    campaign_id = location.rsplit("/", 1)[1]
    assert status_of(core, campaign_id) == "sending"


def test_launch_pause_resume_cancel_and_live_stats(client: TestClient, core: Phonelist) -> None:
    world(core)
    campaign_id = created(core)
    token = sign_in_as(client, core, Role.EDITOR)
    url = f"/campaigns/{campaign_id}"

    assert client.post(f"{url}/launch", data={"csrf_token": token}).status_code == 303
    page = client.get(url)
    stats = client.get(f"/web/api/campaigns/{campaign_id}/stats").json()
    assert 'data-live="true"' in page.text
    assert "messages are in the outbox" in page.text
    assert stats["status"] == "sending"
    assert stats["by_state"]["queued"] == 2 and stats["waiting"] == 2
    assert '<dd data-stat="queued">2</dd>' in page.text

    assert client.post(f"{url}/pause", data={"csrf_token": token}).status_code == 303
    assert status_of(core, campaign_id) == "paused"
    assert ">Resume<" in client.get(url).text
    assert client.post(f"{url}/resume", data={"csrf_token": token}).status_code == 303
    assert status_of(core, campaign_id) == "sending"
    assert client.post(f"{url}/cancel", data={"csrf_token": token}).status_code == 303

    after = client.get(f"/web/api/campaigns/{campaign_id}/stats").json()
    assert after["status"] == "cancelled"
    assert after["by_state"]["cancelled"] == 2
    assert 'data-live="true"' not in client.get(url).text


def test_a_step_the_campaign_cannot_take_is_shown_on_its_page(
    client: TestClient, core: Phonelist
) -> None:
    world(core)
    campaign_id = created(core)
    token = sign_in_as(client, core, Role.EDITOR)

    response = client.post(f"/campaigns/{campaign_id}/pause", data={"csrf_token": token})

    assert response.status_code == 409
    assert 'id="campaign-error"' in response.text
    assert "a draft campaign cannot be paused" in response.text


def test_edit_keeps_the_values_and_saves_a_change(client: TestClient, core: Phonelist) -> None:
    world(core)
    campaign_id = created(
        core, schedule_kind="local", local_date=dt.date(2026, 12, 1), local_time="09:30"
    )
    token = sign_in_as(client, core, Role.EDITOR)

    page = client.get(f"/campaigns/{campaign_id}/edit")
    assert 'value="2026-12-01"' in page.text and 'value="09:30"' in page.text
    assert 'id="schedule_kind_local" name="schedule_kind" value="local" checked' in page.text

    saved = client.post(
        f"/campaigns/{campaign_id}/edit",
        data={
            **form(name="Opening hours, again", senders="+15550001, +15550002"),
            "csrf_token": token,
        },
    )

    assert saved.status_code == 303
    campaign = core.campaigns.get(core.cli_actor(), campaign_id)
    assert campaign.name == "Opening hours, again"
    assert campaign.schedule_kind == "now" and campaign.local_date is None
    assert campaign.senders == ["+15550001", "+15550002"]


def test_a_sending_campaign_cannot_be_edited(client: TestClient, core: Phonelist) -> None:
    world(core)
    campaign_id = created(core)
    core.campaigns.launch(core.cli_actor(), campaign_id)
    token = sign_in_as(client, core, Role.EDITOR)

    response = client.post(
        f"/campaigns/{campaign_id}/edit", data={**form(name="Changed"), "csrf_token": token}
    )

    assert response.status_code == 409
    assert "cannot be changed" in response.text
    assert core.campaigns.get(core.cli_actor(), campaign_id).name == "Opening hours"


# -- CSRF --------------------------------------------------------------------------------------
@pytest.mark.parametrize("step", ["preview", "launch", "cancel", "edit"])
def test_a_form_without_its_csrf_token_is_refused(
    client: TestClient, core: Phonelist, step: str
) -> None:
    world(core)
    campaign_id = created(core)
    sign_in_as(client, core, Role.OWNER)

    response = client.post(f"/campaigns/{campaign_id}/{step}", data=form(name="Changed"))

    assert response.status_code == 403
    assert "did not come from this site" in response.text
    campaign = core.campaigns.get(core.cli_actor(), campaign_id)
    assert (campaign.status, campaign.name, campaign.preview) == ("draft", "Opening hours", {})


def test_a_new_campaign_without_its_csrf_token_is_refused(
    client: TestClient, core: Phonelist
) -> None:
    sign_in_as(client, core, Role.OWNER)

    response = client.post("/campaigns/new", data={**form(), "csrf_token": "forged"})

    assert response.status_code == 403
    assert core.campaigns.all(core.cli_actor()) == []


def test_an_unknown_campaign_is_a_404_page(client: TestClient, core: Phonelist) -> None:
    sign_in_as(client, core, Role.OWNER)

    response = client.get("/campaigns/01ARZ3NDEKTSV4RRFFQ69G5FAV")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert client.get("/web/api/campaigns/01ARZ3NDEKTSV4RRFFQ69G5FAV/stats").status_code == 404


# -- in the browser ----------------------------------------------------------------------------
@pytest.mark.browser
def test_composing_and_previewing_a_campaign(
    page: Any,
    live_app: Any,
    sign_in: Any,
    shot: Any,
    assert_labelled: Any,
) -> None:
    from playwright.sync_api import expect

    world(live_app.core)
    sign_in(page, "editor")
    page.goto("/campaigns")
    page.get_by_role("link", name="New campaign").click()
    page.wait_for_url("**/campaigns/new")
    assert_labelled(page)
    counter = page.locator("#body-count")
    encoding = counter.locator('[data-count="encoding"]')
    characters = counter.locator('[data-count="characters"]')
    segments = counter.locator('[data-count="segments"]')

    page.get_by_label("Name", exact=True).fill("Opening hours")
    body = page.get_by_label("Message", exact=True)
    body.fill("Hi {first_name|there}, we open at 9 tomorrow.")
    expect(characters).to_have_text(str(len("Hi there, we open at 9 tomorrow.")))
    expect(encoding).to_have_text("GSM-7")
    expect(segments).to_have_text("1")

    body.press("End")
    body.press_sequentially(" See you! 😀")
    expect(encoding).to_have_text("UCS-2")
    expect(counter.locator(".why-ucs2")).to_be_visible()
    expect(counter.locator('[data-count="non_gsm_list"]')).to_have_text("😀")

    body.fill("Hi {frist_name}")  # a typo in a placeholder: the error points at it
    expect(page.locator("#body-live-error")).to_contain_text("at character 5")
    body.fill("Hi {first_name|there}, we open at 9 tomorrow. See you! 😀")
    expect(page.locator("#body-live-error")).to_be_hidden()
    expect(encoding).to_have_text("UCS-2")

    page.get_by_label("Purpose").select_option("marketing")  # marketing adds the footer
    expect(counter.locator('[data-count="appended_text"]')).to_have_text(
        content_rules(live_app.core.settings).footer_text()
    )
    page.get_by_label("Purpose").select_option("informational")
    expect(counter.locator('[data-count="appended"]')).to_be_hidden()
    page.get_by_label("A list").check()
    page.get_by_label("Segment name, list name or query").fill("audience")
    expect(page.get_by_label("Send at (UTC)")).to_be_hidden()  # only for "At a time (UTC)"
    page.get_by_label("At a time (UTC)").check()
    expect(page.get_by_label("Send at (UTC)")).to_be_visible()
    page.get_by_label("Now", exact=True).check()
    page.get_by_role("heading", name="New campaign").evaluate("el => el.scrollIntoView()")
    shot(page, "campaign-compose")

    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r".*/campaigns/[0-9A-Z]+$"))
    expect(page.get_by_text("saved as a draft")).to_be_visible()
    page.get_by_role("button", name="Preview audience").click()
    page.wait_for_url("**/preview")

    table = page.locator("table.exclusions")
    expect(page.locator('[data-preview="audience"]')).to_have_text("5")
    expect(page.locator('[data-preview="send"]')).to_have_text("2")
    expect(table.locator('tr[data-exclusion="suppressed"] td').first).to_have_text("1")
    expect(table.locator('tr[data-exclusion="no_consent"] td').first).to_have_text("1")
    expect(table.locator('tr[data-exclusion="no_number"] td').first).to_have_text("1")
    expect(page.get_by_text("Hi Ana, we open at 9 tomorrow. See you! 😀")).to_be_visible()
    assert_labelled(page)
    page.locator("#preview-heading").evaluate("el => el.scrollIntoView()")
    shot(page, "campaign-preview")
    for path in (page.url.removesuffix("/preview"), "/campaigns/new", "/campaigns"):
        page.goto(path)
        page.set_viewport_size({"width": 375, "height": 740})
        fits = "document.documentElement.scrollWidth <= window.innerWidth"
        assert page.evaluate(fits), f"{path} is wider than a 375 px phone"
        page.set_viewport_size({"width": 1280, "height": 800})


def test_an_editor_cannot_edit_an_emergency_campaign(client: TestClient, core: Phonelist) -> None:
    world(core)
    campaign_id = created(core, purpose="emergency", emergency_reason="Flood warning")
    token = sign_in_as(client, core, Role.EDITOR)

    page = client.get(f"/campaigns/{campaign_id}/edit")
    posted = client.post(
        f"/campaigns/{campaign_id}/edit", data={**form(name="Changed"), "csrf_token": token}
    )

    assert page.status_code == posted.status_code == 403
    assert "campaigns.emergency" in page.text
    campaign = core.campaigns.get(core.cli_actor(), campaign_id)
    assert (campaign.name, campaign.purpose) == ("Opening hours", "emergency")
