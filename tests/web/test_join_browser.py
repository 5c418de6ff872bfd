"""The public opt-in form in a real browser, with the SMS side at the local fake Twilio.

A person signs up through /join/..., the double opt-in request goes out through the Twilio
gateway (to the fake), the person's YES comes back through phonelist's own signed webhook,
and the contact's consent timeline shows the request and the grant; a STOP through the same
webhook then shows the revocation. Screenshots: join, join-confirm, preferences.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from phonelist import Phonelist, Settings
from phonelist.api.app import create_app
from phonelist.consent.forms import FormIn, FormService
from phonelist.web.pumping import Limits, PumpingGuard
from tests.fakes.twilio_server import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, serve, serve_asgi
from tests.web.conftest import LiveApp

pytestmark = pytest.mark.browser

OUR_NUMBER = "+12025550000"
PERSON = "+12025550188"
TEXT = (
    "By ticking the box I agree to receive automated marketing text messages from Corner "
    "Shop at the number given. Consent is not a condition of purchase."
)


class _Late:
    """The served ASGI app, set once the core exists (the core needs the server's URL)."""

    app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with serve() as running:
        yield running


@pytest.fixture
def live_app(core: Phonelist, settings: Settings, fake: FakeTwilio) -> Iterator[LiveApp]:
    """The app with the Twilio gateway at the fake, served on 127.0.0.1 (overrides conftest)."""
    late = _Late()
    with serve_asgi(late) as base:
        configured = settings.model_copy(
            update={
                "public_url": base,  # the webhook signatures cover this address
                "program_name": "Corner Shop",
                "gateway": {
                    "kind": "twilio",
                    "twilio_account_sid": ACCOUNT_SID,
                    "twilio_auth_token": AUTH_TOKEN,
                    "twilio_from": OUR_NUMBER,
                    "twilio_base_url": fake.base_url,
                },
            }
        )
        with Phonelist.open(configured) as wired:
            app = create_app(wired)
            # A browser fills the form faster than a person: no minimum time here.
            app.state.join_guard = PumpingGuard(b"browser", Limits(min_fill_seconds=0))
            late.app = app
            yield LiveApp(core=wired, url=base)


def _form(core: Phonelist) -> None:
    actor = core.cli_actor()
    core.consent.add_disclosure(
        actor, "shop-sms", TEXT, automated_marketing=True, not_condition_of_purchase=True
    )
    FormService(core.consent, core.contacts).save(
        actor,
        FormIn(
            slug="corner-shop",
            title="Corner Shop deals by text",
            list_name="Deals",
            disclosure_name="shop-sms",
            allowed_countries=("US",),
        ),
    )


def test_opt_in_through_the_form_confirmed_by_a_yes_then_a_stop(
    page: Any,
    live_app: LiveApp,
    fake: FakeTwilio,
    sign_in: Callable[..., Any],
    shot: Callable[..., Path],
    assert_labelled: Callable[[Any], None],
    console_errors: list[str],
) -> None:
    core = live_app.core
    _form(core)
    page.goto("/join/corner-shop")
    assert_labelled(page)
    box = page.get_by_label("I agree to receive recurring automated text messages")
    assert not box.is_checked()  # C4: never pre-checked
    page.get_by_label("Mobile number").fill("(202) 555-0188")
    page.get_by_label("Your name").fill("Ana Lima")
    shot(page, "join", phone=True)
    # Without the box ticked, nothing happens but an error next to the box.
    page.get_by_role("button", name="Sign up").click()
    page.get_by_role("alert").filter(has_text="Tick the box").wait_for()
    assert fake.messages == []
    [refused] = console_errors  # chromium logs the 422 answer: expected here
    assert "status of 422" in refused
    console_errors.clear()
    page.get_by_label("I agree to receive recurring automated text messages").check()
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(re.compile(r"/join/corner-shop/confirm\?t="))
    assert_labelled(page)
    shot(page, "join-confirm")
    [request] = [m for m in fake.messages if m.to == PERSON]
    assert "Reply YES" in request.body and "enter code" in request.body
    confirm_url = page.url

    # The person replies YES: the fake posts the signed webhook to phonelist.
    answer = fake.send_inbound(f"{live_app.url}/webhooks/twilio/inbound", PERSON, OUR_NUMBER, "YES")
    assert answer.status_code == 200, answer.text
    page.goto(confirm_url)
    page.get_by_text("You are signed up").wait_for()

    contact = core.contacts.search(core.cli_actor(), PERSON).items[0]
    sign_in(page, "owner")
    page.goto(f"/contacts/{contact.id}")
    timeline = page.locator("#consent")
    timeline.get_by_text("granted").first.wait_for()
    events = timeline.locator("ol.timeline > li")
    assert events.count() >= 2
    heads = " ".join(events.locator(".event-head").all_inner_texts())
    assert "request" in heads and "grant" in heads and "double_opt_in" in heads
    for summary in timeline.locator("summary").all():
        summary.click()  # open every record's evidence
    assert "/join/corner-shop" in timeline.inner_text()  # the source URL, as evidence

    # STOP through the same webhook: the timeline shows the revocation.
    stop = fake.send_inbound(f"{live_app.url}/webhooks/twilio/inbound", PERSON, OUR_NUMBER, "STOP")
    assert stop.status_code == 200
    page.reload()
    timeline.get_by_text("revoked").first.wait_for()
    assert "revoke" in " ".join(events.locator(".event-head").all_inner_texts())

    # The preference page (C6): one field, one button.
    page.goto("/join/corner-shop/preferences")
    assert_labelled(page)
    shot(page, "preferences", phone=True)
    page.get_by_label("Mobile number").fill(PERSON)
    page.get_by_role("button", name="Stop all messages").click()
    page.get_by_text("will get no more messages").wait_for()


def test_an_admin_makes_a_form_on_the_settings_page(
    page: Any,
    live_app: LiveApp,
    sign_in: Callable[..., Any],
    shot: Callable[..., Path],
    assert_labelled: Callable[[Any], None],
) -> None:
    sign_in(page, "admin")
    page.goto("/settings/forms")
    assert_labelled(page)
    page.get_by_label("Address: /join/…").fill("spring-deals")
    page.get_by_label("Title shown on the form").fill("Spring deals by text")
    page.get_by_label("List people join").fill("Spring")
    page.get_by_label("Consent text name").fill("spring-sms")
    page.get_by_label("Consent text (a change is saved as a new version)").fill(TEXT)
    page.get_by_label("Allowed countries (ISO codes)").fill("US, CA")
    page.get_by_label("Sites that may embed the form (one origin a line)").fill(
        "https://shop.example.com"
    )
    page.get_by_role("button", name="Create form").click()
    page.get_by_role("heading", name="Form /join/spring-deals").wait_for()
    assert_labelled(page)
    shot(page, "settings-forms")
    texts = live_app.core.consent.disclosures(live_app.core.cli_actor())
    assert [(t.name, t.version, t.automated_marketing) for t in texts] == [("spring-sms", 1, True)]
    page.goto("/join/spring-deals")
    page.get_by_text(TEXT).wait_for()
