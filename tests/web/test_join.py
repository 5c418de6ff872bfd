"""The public opt-in form (/join/...), its confirmation and preference pages, and its settings.

C4: an unticked box subscribes nobody and sends nothing. C3: nothing is granted until the code
(or YES) arrives; a wrong code is refused and counted; an expired request is refused. C6: the
preference page opts out in one step. Every POST needs its token, and only /join/* may be
framed, from the form's own origins.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from sqlalchemy import update

from phonelist import Phonelist
from phonelist.consent.evidence import build_evidence, current_state
from phonelist.consent.forms import MAX_CODE_ATTEMPTS, FormIn, FormOut, FormService
from phonelist.store.consent_models import ConsentRequest
from phonelist.web.pumping import Limits, PumpingGuard
from tests.api.client import TestClient
from tests.web.helpers import csrf_of, sign_in

NUMBER = "+12025550142"
TEXT = (
    "By ticking the box I agree to receive automated marketing text messages from Corner "
    "Shop at the number given. Consent is not a condition of purchase."
)


def make_form(core: Phonelist, **changes: object) -> FormOut:
    actor = core.cli_actor()
    core.consent.add_disclosure(
        actor, "shop-sms", TEXT, automated_marketing=True, not_condition_of_purchase=True
    )
    data = FormIn(
        slug="corner-shop",
        title="Corner Shop deals by text",
        list_name="Deals",
        disclosure_name="shop-sms",
        allowed_countries=("US", "CA"),
        embed_origins=("https://shop.example.com",),
    )
    data = dataclasses.replace(data, **changes)  # type: ignore[arg-type]
    return FormService(core.consent, core.contacts).save(actor, data)


@pytest.fixture
def form(core: Phonelist) -> FormOut:
    return make_form(core)


@pytest.fixture
def public(client: TestClient) -> TestClient:
    """The client with no minimum fill time (a test fills a form faster than a person)."""
    client.app.state.join_guard = PumpingGuard(b"test", Limits(min_fill_seconds=0))  # type: ignore[attr-defined]
    return client


def submit(client: TestClient, *, agree: bool = True, number: str = NUMBER, **extra: str):  # type: ignore[no-untyped-def]
    page = client.get("/join/corner-shop")
    assert page.status_code == 200, page.text
    data = {"csrf_token": csrf_of(page.text), "number": number, "name": "Ana", **extra}
    if agree:
        data["agree"] = "yes"
    return client.post("/join/corner-shop", data=data)


def sent_code(core: Phonelist, number: str = NUMBER) -> str:
    [body] = [m.body for m in core.gateway.sent if m.to == number and m.kind == "double_opt_in"]  # type: ignore[attr-defined]
    match = re.search(r"code (\d{6})", body)
    assert match, body
    return match.group(1)


def marketing(core: Phonelist, number: str = NUMBER) -> str:
    state = current_state(core.consent, core.cli_actor(), number)
    value = state.get(("sms", "marketing"))
    return value.status if value else "unknown"


# -- the form page -----------------------------------------------------------------------------
def test_the_form_shows_the_versioned_text_an_unchecked_box_and_the_disclosures(
    public: TestClient, form: FormOut
) -> None:
    page = public.get("/join/corner-shop")
    assert page.status_code == 200
    html = page.text
    assert TEXT in html and "shop-sms v1" in html
    box = re.search(r'<input id="agree"[^>]*>', html)
    assert box and "checked" not in box.group(0)  # C4: never pre-checked
    for words in (
        "Msg &amp; data rates may apply",
        "Reply HELP for help",
        "STOP to cancel",
        "Consent is not a condition of purchase",
        "Msg frequency varies",
    ):
        assert words in html
    assert "set-cookie" not in page.headers  # a public page sets no cookie


def test_an_unticked_box_is_refused_and_nothing_is_stored_or_sent(
    core: Phonelist, public: TestClient, form: FormOut
) -> None:
    answer = submit(public, agree=False)
    assert answer.status_code == 422
    assert "Tick the box" in answer.text
    assert core.gateway.sent == []  # type: ignore[attr-defined]
    assert marketing(core) == "unknown"


def test_the_code_confirms_and_nothing_is_granted_before(
    core: Phonelist, public: TestClient, form: FormOut
) -> None:
    answer = submit(public)
    assert answer.status_code == 303
    confirm_url = answer.headers["location"]
    assert confirm_url.startswith("/join/corner-shop/confirm?t=")
    assert marketing(core) == "pending"  # C3: not active before the confirmation
    code = sent_code(core)
    page = public.get(confirm_url)
    assert "reply YES" in page.text
    wrong = "000000" if code != "000000" else "111111"
    refused = public.post(
        "/join/corner-shop/confirm",
        data={"csrf_token": csrf_of(page.text), "t": confirm_url.split("t=")[1], "code": wrong},
    )
    assert refused.status_code == 422 and "not right" in refused.text
    assert marketing(core) == "pending"
    done = public.post(
        "/join/corner-shop/confirm",
        data={"csrf_token": csrf_of(page.text), "t": confirm_url.split("t=")[1], "code": code},
    )
    assert done.status_code == 303
    assert "You are signed up" in public.get(confirm_url).text
    assert marketing(core) == "granted"
    record = core.consent.records(core.cli_actor(), NUMBER)[-1]
    assert (record.method, record.evidence["form_id"], record.disclosure_version) == (
        "double_opt_in",
        form.id,
        "shop-sms@1",
    )
    assert record.written  # C1: the text says automated marketing, not a condition of purchase
    # C2: the request record holds the evidence of the web step: form, page, IP, browser.
    pack = build_evidence(core.consent, core.cli_actor(), NUMBER, dt.datetime.now(dt.UTC))
    [asked] = [r for r in pack["records"] if r["action"] == "request"]
    assert asked["form_id"] == form.id
    assert asked["source_url"].endswith("/join/corner-shop")
    assert asked["ip"] == "testclient" and asked["user_agent"] == "testclient"
    assert asked["disclosure_text"] == TEXT
    # The contact exists, in the form's list.
    contact = core.contacts.search(core.cli_actor(), NUMBER).items[0]
    assert "Deals" in contact.lists


def test_too_many_wrong_codes_lock_the_code(
    core: Phonelist, public: TestClient, form: FormOut
) -> None:
    submitted = submit(public)
    ticket = submitted.headers["location"].split("t=")[1]
    code = sent_code(core)
    wrong = "000000" if code != "000000" else "111111"
    forms = FormService(core.consent, core.contacts)
    request_id = core.consent.records(core.cli_actor(), NUMBER)[-1].evidence["request_id"]
    for _ in range(MAX_CODE_ATTEMPTS):
        with pytest.raises(Exception, match="not right"):
            forms.confirm_code(form, request_id, wrong)
    with pytest.raises(Exception, match="too many wrong codes"):
        forms.confirm_code(form, request_id, code)
    assert marketing(core) == "pending"
    assert ticket


def test_an_expired_request_is_refused(core: Phonelist, public: TestClient, form: FormOut) -> None:
    submitted = submit(public)
    code = sent_code(core)
    with core.store.write() as session:
        session.execute(
            update(ConsentRequest).values(
                expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
            )
        )
    url = submitted.headers["location"]
    page = public.get(url)
    assert "expired" in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is None  # no code field for an expired request
    forms = FormService(core.consent, core.contacts)
    request_id = core.consent.records(core.cli_actor(), NUMBER)[-1].evidence["request_id"]
    with pytest.raises(Exception, match="expired"):
        forms.confirm_code(form, request_id, code)
    assert marketing(core) == "pending"


def test_numbers_of_other_countries_are_refused_before_anything_is_sent(
    core: Phonelist, public: TestClient, form: FormOut
) -> None:
    answer = submit(public, number="+447400123456")
    assert answer.status_code == 422
    assert "only accepts numbers from: US, CA" in answer.text
    assert core.gateway.sent == []  # type: ignore[attr-defined]


def test_a_number_gets_at_most_three_requests_a_day(
    core: Phonelist, public: TestClient, form: FormOut
) -> None:
    limits = Limits(min_fill_seconds=0, challenge_after=100)
    public.app.state.join_guard = PumpingGuard(b"test", limits)  # type: ignore[attr-defined]
    for _ in range(3):
        assert submit(public).status_code == 303
    refused = submit(public)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert len([m for m in core.gateway.sent if m.kind == "double_opt_in"]) == 3  # type: ignore[attr-defined]


def test_after_three_attempts_an_ip_must_answer_a_question(
    core: Phonelist, public: TestClient, form: FormOut
) -> None:
    for i in range(3):
        submit(public, agree=False, number=f"+1202555015{i}")
    page = public.get("/join/corner-shop")
    question = re.search(r"What is (\d) plus (\d)\?", page.text)
    assert question, "no challenge after three attempts"
    data = {"csrf_token": csrf_of(page.text), "number": NUMBER, "agree": "yes", "answer": "99"}
    assert public.post("/join/corner-shop", data=data).status_code == 422
    assert core.gateway.sent == []  # type: ignore[attr-defined]
    page = public.get("/join/corner-shop")
    question = re.search(r"What is (\d) plus (\d)\?", page.text)
    assert question
    right = str(int(question.group(1)) + int(question.group(2)))
    data = {"csrf_token": csrf_of(page.text), "number": NUMBER, "agree": "yes", "answer": right}
    assert public.post("/join/corner-shop", data=data).status_code == 303


def test_the_honeypot_and_a_form_filled_too_fast_send_nothing(
    core: Phonelist, client: TestClient, form: FormOut
) -> None:
    client.app.state.join_guard = PumpingGuard(b"t", Limits(min_fill_seconds=3600))  # type: ignore[attr-defined]
    too_fast = submit(client)
    assert too_fast.status_code == 422 and "answer the question" in too_fast.text
    client.app.state.join_guard = PumpingGuard(b"t", Limits(min_fill_seconds=0))  # type: ignore[attr-defined]
    trapped = submit(client, website="http://spam.example")
    assert trapped.status_code == 400
    assert core.gateway.sent == []  # type: ignore[attr-defined]


# -- CSRF and framing ----------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["", "/confirm", "/preferences"])
def test_every_public_post_needs_its_token(
    core: Phonelist, public: TestClient, form: FormOut, path: str
) -> None:
    data = {"number": NUMBER, "agree": "yes", "code": "123456", "t": "x"}
    if path == "/confirm":
        submitted = submit(public)
        data["t"] = submitted.headers["location"].split("t=")[1]
        core.gateway.sent.clear()  # type: ignore[attr-defined]
    missing = public.post(f"/join/corner-shop{path}", data=data)
    assert missing.status_code == 403
    forged = public.post(f"/join/corner-shop{path}", data={**data, "csrf_token": "forged"})
    assert forged.status_code == 403
    assert core.gateway.sent == []  # type: ignore[attr-defined]


def test_a_token_for_another_step_or_address_is_refused(
    core: Phonelist, public: TestClient, form: FormOut
) -> None:
    prefs = csrf_of(public.get("/join/corner-shop/preferences").text)
    data = {"csrf_token": prefs, "number": NUMBER, "agree": "yes"}
    assert public.post("/join/corner-shop", data=data).status_code == 403
    token = csrf_of(public.get("/join/corner-shop").text)
    other = TestClient(public.app, client=("203.0.113.9", 50000))
    other.follow_redirects = False
    data = {"csrf_token": token, "number": NUMBER, "agree": "yes"}
    assert other.post("/join/corner-shop", data=data).status_code == 403


def test_only_join_pages_may_be_framed_and_only_by_the_forms_origins(
    public: TestClient, form: FormOut
) -> None:
    page = public.get("/join/corner-shop")
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'self' https://shop.example.com" in csp
    assert "x-frame-options" not in page.headers
    assert "x-phonelist-frame-ancestors" not in page.headers
    signin = public.get("/signin")
    assert "frame-ancestors 'none'" in signin.headers["content-security-policy"]
    assert signin.headers["x-frame-options"] == "DENY"
    missing = public.get("/join/no-such-form")
    assert missing.status_code == 404
    assert "frame-ancestors 'none'" in missing.headers["content-security-policy"]


# -- the preference page (C6) ------------------------------------------------------------
def test_the_preference_page_opts_out_in_one_step(
    core: Phonelist, public: TestClient, form: FormOut
) -> None:
    submit(public)
    FormService(core.consent, core.contacts).confirm_code(
        form,
        core.consent.records(core.cli_actor(), NUMBER)[-1].evidence["request_id"],
        sent_code(core),
    )
    assert marketing(core) == "granted"
    page = public.get("/join/corner-shop/preferences")
    done = public.post(
        "/join/corner-shop/preferences",
        data={"csrf_token": csrf_of(page.text), "number": "(202) 555-0142"},
    )
    assert done.status_code == 200 and "no more messages" in done.text
    assert marketing(core) == "revoked"
    record = core.consent.records(core.cli_actor(), NUMBER)[-1]
    assert (record.action, record.method, record.evidence_ref) == (
        "revoke",
        "web",
        f"optin_form:{form.id}",
    )


def test_a_closed_or_unknown_form_is_not_found(core: Phonelist, public: TestClient) -> None:
    make_form(core, active=False)
    assert public.get("/join/corner-shop").status_code == 404
    assert public.get("/join/NOT a slug").status_code == 404


# -- settings ------------------------------------------------------------------------------------
def test_settings_create_a_form_and_a_changed_text_is_a_new_version(
    core: Phonelist, client: TestClient
) -> None:
    csrf = sign_in(client)
    page = client.get("/settings/forms")
    assert page.status_code == 200
    fields = {
        "csrf_token": csrf,
        "slug": "school-news",
        "title": "School news",
        "list_name": "Parents",
        "disclosure_name": "school",
        "disclosure_text": "I agree to automated texts. Not a condition of purchase.",
        "automated_marketing": "yes",
        "not_condition_of_purchase": "yes",
        "purposes": ["informational"],
        "countries": "us, pt",
        "origins": "https://school.example.org",
        "active": "yes",
    }
    created = client.post("/settings/forms", data=fields)
    assert created.status_code == 303, created.text
    edit_url = created.headers["location"]
    forms = FormService(core.consent, core.contacts).forms(core.cli_actor())
    assert [(f.slug, f.allowed_countries, f.purposes) for f in forms] == [
        ("school-news", ("US", "PT"), ("informational",))
    ]
    assert client.get(edit_url).status_code == 200
    same = client.post(edit_url, data=fields)
    assert same.status_code == 303
    assert [d.version for d in core.consent.disclosures(core.cli_actor())] == [1]
    changed = client.post(edit_url, data={**fields, "disclosure_text": "New words."})
    assert changed.status_code == 303
    assert [d.version for d in core.consent.disclosures(core.cli_actor())] == [1, 2]
    bad = client.post(edit_url, data={**fields, "origins": "javascript:alert(1)"})
    assert bad.status_code == 422 and "is not an origin" in bad.text
    for path in ("/settings/forms", edit_url, "/settings/consent-texts"):
        no_csrf = client.post(path, data={**fields, "csrf_token": "", "name": "x", "text": "y"})
        assert no_csrf.status_code == 403, path
    added = client.post(
        "/settings/consent-texts", data={"csrf_token": csrf, "name": "school", "text": "Third."}
    )
    assert added.status_code == 303
    assert [d.version for d in core.consent.disclosures(core.cli_actor())] == [1, 2, 3]


def test_settings_need_consent_manage(core: Phonelist, client: TestClient) -> None:
    assert client.get("/settings/forms").status_code == 303  # sign in first
    from phonelist.security.permissions import Role

    core.users.create(core.cli_actor(), "ed", "an editor's long password", Role.EDITOR)
    token = csrf_of(client.get("/signin").text)
    client.post(
        "/signin",
        data={"username": "ed", "password": "an editor's long password", "csrf_token": token},
    )
    assert client.get("/settings/forms").status_code == 403
