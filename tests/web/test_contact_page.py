"""One contact's page: what each role sees and may do, CSRF on every form, export and erase.

The person (tests/privacy/support.py) has two numbers, consent given on one and withdrawn on
the other, a STOP and its reply, a suppression, a note with markup, and a name with a script.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from phonelist import Phonelist
from phonelist.consent.commands import Grant
from phonelist.contacts.commands import CreateContact
from phonelist.contacts.schemas import ContactIn
from phonelist.errors import NotFound
from phonelist.security.permissions import Role
from tests.api.client import TestClient
from tests.privacy.support import AGENT, FIRST, IP, NOTE, SECOND, person
from tests.web.helpers import Controls, csrf_of
from tests.web.test_contacts import sign_in_as

GONE = "01ARZ3NDEKTSV4RRFFQ69G5FAV"


@pytest.fixture
def contact_id(core: Phonelist) -> str:
    return person(core, core.cli_actor())


def exists(core: Phonelist, contact_id: str) -> bool:
    try:
        core.contacts.get(core.cli_actor(), contact_id)
    except NotFound:
        return False
    return True


def test_the_owner_sees_every_part(client: TestClient, core: Phonelist, contact_id: str) -> None:
    sign_in_as(client, core, Role.OWNER)

    page = client.get(f"/contacts/{contact_id}")

    assert page.status_code == 200
    text = page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script>alert" not in text
    # numbers with their validation details
    assert FIRST in text and SECOND in text and "(202) 555-0143" in text
    assert "fixed_line_or_mobile" in text and "America/New_York" in text
    # the consent timeline with its evidence, oldest first
    assert 'id="consent-h"' in text
    grant = text.index("ticked the box")
    assert "https://acme.example/join" in text
    assert "I agree to receive automated marketing texts" in text
    assert "revoke" in text[grant:]
    assert "Suppressed" in text
    assert "/evidence?format=json" in text
    assert IP not in text and AGENT not in text  # those are in the proof pack only
    # the conversation: the STOP and its reply
    assert 'id="conversation-h"' in text and "STOP" in text
    # notes (escaped), the form, the audit trail and privacy
    assert "Called on Tuesday &amp; asked about the &lt;b&gt;gold&lt;/b&gt; plan" in text
    assert 'action="/contacts/' in text and 'name="body"' in text
    assert 'id="audit-h"' in text and "contact.create" in text
    assert f"/contacts/{contact_id}/export?format=html" in text
    assert f'href="/contacts/{contact_id}/erase"' in text
    assert page.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("role", "notes", "audit", "privacy"),
    [
        (Role.VIEWER, False, False, False),
        (Role.AGENT, True, False, False),
        (Role.EDITOR, True, False, False),
        (Role.ADMIN, True, True, True),
    ],
)
def test_each_role_sees_what_the_matrix_says(
    client: TestClient,
    core: Phonelist,
    contact_id: str,
    role: Role,
    notes: bool,
    audit: bool,
    privacy: bool,
) -> None:
    sign_in_as(client, core, role)

    text = client.get(f"/contacts/{contact_id}").text

    assert ('name="body"' in text) is notes
    assert ('id="audit-h"' in text) is audit
    assert ('id="privacy-h"' in text) is privacy
    assert 'id="conversation-h"' in text  # every role reads messages


def test_an_agent_sees_masked_numbers_and_the_consent_timeline(
    client: TestClient, core: Phonelist, contact_id: str
) -> None:
    sign_in_as(client, core, Role.AGENT)

    text = client.get(f"/contacts/{contact_id}").text

    assert "Numbers are masked for your role." in text
    for number in (FIRST, SECOND):
        assert number not in text and number[2:] not in text and number[-7:] not in text
    assert "143" in text  # the masked number keeps its last digits
    assert "ticked the box" in text  # the ledger, read by the phone row, never by the number
    assert "revoke" in text and "/evidence?" not in text  # no proof pack: it holds the number


def test_an_agent_gets_no_proof_pack(client: TestClient, core: Phonelist, contact_id: str) -> None:
    sign_in_as(client, core, Role.AGENT)
    phone_id = core.contacts.get(core.cli_actor(), contact_id).phones[0].id

    response = client.get(f"/contacts/{contact_id}/numbers/{phone_id}/evidence")

    assert response.status_code == 403


@pytest.mark.parametrize(("role", "opened"), [(Role.OWNER, True), (Role.EDITOR, False)])
def test_the_proof_pack_opens_ip_and_browser_for_consent_managers_only(
    client: TestClient, core: Phonelist, contact_id: str, role: Role, opened: bool
) -> None:
    sign_in_as(client, core, role)
    phone_id = core.contacts.get(core.cli_actor(), contact_id).phones[0].id

    response = client.get(f"/contacts/{contact_id}/numbers/{phone_id}/evidence")
    markdown = client.get(
        f"/contacts/{contact_id}/numbers/{phone_id}/evidence", params={"format": "markdown"}
    )

    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    pack = response.json()
    assert pack["number"] == FIRST
    grant = pack["records"][0]
    assert grant["affirmative_action"] == "ticked the box"
    assert (grant["ip"] == IP) is opened and (grant["user_agent"] == AGENT) is opened
    assert markdown.headers["content-type"].startswith("text/markdown")


def test_an_unknown_contact_or_number_is_a_404_page(
    client: TestClient, core: Phonelist, contact_id: str
) -> None:
    sign_in_as(client, core, Role.OWNER)

    missing = client.get(f"/contacts/{GONE}")
    bad_phone = client.get(f"/contacts/{contact_id}/numbers/{GONE}/evidence")

    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
    assert bad_phone.status_code == 404


def test_the_page_needs_a_session(client: TestClient, contact_id: str) -> None:
    response = client.get(f"/contacts/{contact_id}")

    assert response.status_code == 303
    assert response.headers["location"] == "/signin"


def test_every_control_on_the_page_has_a_label(
    client: TestClient, core: Phonelist, contact_id: str
) -> None:
    sign_in_as(client, core, Role.OWNER)
    pages = [client.get(f"/contacts/{contact_id}").text]
    pages.append(client.get(f"/contacts/{contact_id}/erase").text)

    for html in pages:
        parser = Controls()
        parser.feed(html)
        assert parser.controls
        for control in parser.controls:
            assert control.get("id") in parser.labelled, control


# -- notes ----------------------------------------------------------------------------------------
def test_adding_a_note(client: TestClient, core: Phonelist, contact_id: str) -> None:
    token = sign_in_as(client, core, Role.AGENT)

    response = client.post(
        f"/contacts/{contact_id}/notes", data={"csrf_token": token, "body": "Asked for a call"}
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/contacts/{contact_id}#notes"
    notes = [n.body for n in core.contacts.get(core.cli_actor(), contact_id).notes]
    assert "Asked for a call" in notes
    assert "Asked for a call" in client.get(f"/contacts/{contact_id}").text


def test_an_empty_note_is_explained_under_the_field(
    client: TestClient, core: Phonelist, contact_id: str
) -> None:
    token = sign_in_as(client, core, Role.EDITOR)

    response = client.post(f"/contacts/{contact_id}/notes", data={"csrf_token": token, "body": ""})

    assert response.status_code == 422
    assert 'id="note-error"' in response.text and "write the note first" in response.text
    assert [n.body for n in core.contacts.get(core.cli_actor(), contact_id).notes] == [NOTE]


def test_a_viewer_cannot_add_a_note(client: TestClient, core: Phonelist, contact_id: str) -> None:
    token = sign_in_as(client, core, Role.VIEWER)

    response = client.post(f"/contacts/{contact_id}/notes", data={"csrf_token": token, "body": "x"})

    assert response.status_code == 403
    assert [n.body for n in core.contacts.get(core.cli_actor(), contact_id).notes] == [NOTE]


# -- a one-to-one message --------------------------------------------------------------------------
def test_a_message_the_policy_refuses_is_explained_and_not_queued(
    client: TestClient, core: Phonelist, contact_id: str
) -> None:
    token = sign_in_as(client, core, Role.EDITOR)  # the person texted STOP: everything revoked
    before = len(core.conversations.conversation(core.cli_actor(), contact_id))

    response = client.post(
        f"/contacts/{contact_id}/messages",
        data={"csrf_token": token, "body": "Your order is ready", "purpose": "informational"},
    )

    assert response.status_code == 409
    assert 'id="message-error"' in response.text
    assert "the policy does not allow this message now" in response.text
    assert "Your order is ready</textarea>" in response.text  # the draft is kept
    assert len(core.conversations.conversation(core.cli_actor(), contact_id)) == before


def test_an_agent_sends_a_message_when_the_policy_allows(
    client: TestClient, core: Phonelist
) -> None:
    actor = core.cli_actor()
    out = core.contacts.apply(
        actor, CreateContact(ContactIn.model_validate({"first_name": "Rui", "phones": [FIRST]}))
    )
    assert out is not None
    core.consent.apply(actor, Grant(FIRST, "sms", "informational", "verbal"))
    token = sign_in_as(client, core, Role.AGENT)
    form = {"csrf_token": token, "body": "Hello {first_name}", "defer": "yes", "key": "k1"}

    response = client.post(f"/contacts/{out.id}/messages", data=form)
    again = client.post(f"/contacts/{out.id}/messages", data=form)  # a double click

    assert response.status_code == 303 and again.status_code == 303
    assert response.headers["location"] == f"/contacts/{out.id}#conversation"
    thread = core.conversations.conversation(actor, out.id)
    assert [m.body for m in thread if m.kind == "direct"] == ["Hello Rui"]
    assert "The message is queued" in client.get(f"/contacts/{out.id}").text


def test_a_viewer_cannot_send(client: TestClient, core: Phonelist, contact_id: str) -> None:
    token = sign_in_as(client, core, Role.VIEWER)

    page = client.get(f"/contacts/{contact_id}").text
    response = client.post(
        f"/contacts/{contact_id}/messages", data={"csrf_token": token, "body": "Hi"}
    )

    assert 'name="purpose"' not in page
    assert response.status_code == 403


# -- privacy --------------------------------------------------------------------------------------
def test_an_admin_downloads_the_export(
    client: TestClient, core: Phonelist, contact_id: str
) -> None:
    sign_in_as(client, core, Role.ADMIN)

    as_json = client.get(f"/contacts/{contact_id}/export")
    as_html = client.get(f"/contacts/{contact_id}/export", params={"format": "html"})

    assert as_json.status_code == 200
    assert as_json.headers["content-disposition"].startswith("attachment;")
    data = json.loads(as_json.text)
    assert data["subject"] == {"type": "contact", "id": contact_id}
    assert {n["number"] for n in data["numbers"]} == {FIRST, SECOND}
    assert as_html.headers["content-type"].startswith("text/html")
    assert as_html.headers["content-disposition"].endswith('.html"')


@pytest.mark.parametrize("role", [Role.VIEWER, Role.AGENT, Role.EDITOR])
def test_only_privacy_managers_export_or_erase(
    client: TestClient, core: Phonelist, contact_id: str, role: Role
) -> None:
    token = sign_in_as(client, core, role)

    export = client.get(f"/contacts/{contact_id}/export")
    form = client.get(f"/contacts/{contact_id}/erase")
    erase = client.post(
        f"/contacts/{contact_id}/erase", data={"csrf_token": token, "confirm": "yes"}
    )

    assert (export.status_code, form.status_code, erase.status_code) == (403, 403, 403)
    assert exists(core, contact_id)


def test_an_admin_erases_after_confirming(
    client: TestClient, core: Phonelist, contact_id: str
) -> None:
    sign_in_as(client, core, Role.ADMIN)

    form = client.get(f"/contacts/{contact_id}/erase")
    token = csrf_of(form.text)
    unconfirmed = client.post(f"/contacts/{contact_id}/erase", data={"csrf_token": token})

    assert form.status_code == 200 and "cannot be undone" in form.text
    assert unconfirmed.status_code == 422 and 'id="erase-error"' in unconfirmed.text
    assert exists(core, contact_id)

    erased = client.post(
        f"/contacts/{contact_id}/erase",
        data={"csrf_token": token, "confirm": "yes", "reason": "request"},
    )

    assert erased.status_code == 303
    assert erased.headers["location"] == "/contacts?done=erased&n=1"
    assert not exists(core, contact_id)
    assert any(s.active for s in core.suppressions.show(core.cli_actor(), FIRST))
    assert "The contact was erased" in client.get(erased.headers["location"]).text


# -- CSRF on every form ---------------------------------------------------------------------------
@pytest.mark.parametrize("token", [None, "forged"])
@pytest.mark.parametrize("form", ["notes", "erase", "messages"])
def test_every_post_needs_its_csrf_token(
    client: TestClient, core: Phonelist, contact_id: str, token: str | None, form: str
) -> None:
    sign_in_as(client, core, Role.OWNER)
    data = {"body": "a note", "confirm": "yes", "reason": "request", "defer": "yes"}
    if token is not None:
        data["csrf_token"] = token

    response = client.post(f"/contacts/{contact_id}/{form}", data=data)

    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    assert exists(core, contact_id)
    assert [n.body for n in core.contacts.get(core.cli_actor(), contact_id).notes] == [NOTE]


# -- in the browser -------------------------------------------------------------------------------
@pytest.mark.browser
def test_in_the_browser_the_consent_timeline_with_its_evidence(
    page: Any, live_app: Any, sign_in: Any, shot: Any, assert_labelled: Any
) -> None:
    contact_id = person(live_app.core, live_app.core.cli_actor())
    sign_in(page, "owner")
    page.goto("/contacts")
    page.get_by_role("link", name="<script>alert(1)</script>").click()
    page.wait_for_url(f"**/contacts/{contact_id}")

    consent = page.get_by_label(f"Consent of {FIRST}")
    events = consent.locator("ol.timeline > li")
    assert events.count() == 2  # the web-form grant, then the STOP
    assert "grant sms · marketing" in events.nth(0).inner_text()
    assert "revoke" in events.nth(1).inner_text()
    assert "revoked" in consent.locator(".consent-state").inner_text()
    events.nth(0).get_by_text("Evidence").click()
    evidence = events.nth(0).locator("dl")
    assert "ticked the box" in evidence.inner_text()
    assert "https://acme.example/join" in evidence.inner_text()
    assert "I agree to receive automated marketing texts" in evidence.inner_text()
    assert page.locator("#conversation .message").count() >= 2
    assert "contact.create" in page.locator("#audit").inner_text()
    assert_labelled(page)
    shot(page, "contact")

    page.get_by_label("Add a note").fill("Wants the gold plan after all")
    page.get_by_role("button", name="Add note").click()
    page.locator("#notes").get_by_text("Wants the gold plan after all").wait_for()


@pytest.mark.browser
def test_in_the_browser_an_agent_sees_masked_numbers(
    page: Any, live_app: Any, sign_in: Any, assert_labelled: Any
) -> None:
    contact_id = person(live_app.core, live_app.core.cli_actor())
    sign_in(page, "agent")
    page.goto(f"/contacts/{contact_id}")

    numbers = page.locator("#numbers table").inner_text()
    assert "Numbers are masked for your role." in page.locator("#numbers").inner_text()
    assert "143" in numbers and "144" in numbers
    content = page.content()
    assert FIRST not in content and SECOND not in content and "555-0143" not in content
    assert page.locator("#privacy").count() == 0 and page.locator("#audit").count() == 0
    assert_labelled(page)


@pytest.mark.browser
def test_in_the_browser_an_admin_erases_a_person(
    page: Any, live_app: Any, sign_in: Any, assert_labelled: Any
) -> None:
    core = live_app.core
    contact_id = person(core, core.cli_actor())
    sign_in(page, "admin")
    page.goto(f"/contacts/{contact_id}")

    page.get_by_role("link", name="Erase this person…").click()
    page.wait_for_url(f"**/contacts/{contact_id}/erase")
    assert_labelled(page)
    page.get_by_label("Why").select_option("request")
    page.get_by_label("cannot be undone").check()
    page.get_by_role("button", name="Erase for good").click()

    page.wait_for_url("**/contacts?done=erased&n=1")
    assert "The contact was erased" in page.get_by_role("status").inner_text()
    assert not exists(core, contact_id)
    assert any(s.active for s in core.suppressions.show(core.cli_actor(), FIRST))
