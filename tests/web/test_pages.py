"""The web pages: signing in and out, CSRF, the contact list, and what every page is sent with."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from phonelist import Phonelist
from phonelist.clock import utcnow
from phonelist.contacts.commands import CreateContact
from phonelist.contacts.schemas import ContactIn
from phonelist.store.models import AuditEvent, User
from tests.api.client import TestClient, client_for
from tests.web.helpers import COOKIE, Controls, csrf_of, session_data, sign_in


def add(core: Phonelist, **data: Any) -> str:
    contact = core.contacts.apply(core.cli_actor(), CreateContact(ContactIn.model_validate(data)))
    assert contact is not None
    return contact.id


def audit_events(core: Phonelist) -> int:
    with core.store.read() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_home_goes_to_the_dashboard_or_the_sign_in_form(client: TestClient) -> None:
    response = client.get("/")

    assert response.status_code == 303
    assert response.headers["location"] == "/signin"
    sign_in(client)
    assert client.get("/").headers["location"] == "/dashboard"


def test_contacts_need_a_session(client: TestClient) -> None:
    response = client.get("/contacts")

    assert response.status_code == 303
    assert response.headers["location"] == "/signin"


def test_signing_in_shows_the_contacts(client: TestClient, core: Phonelist) -> None:
    add(core, display_name="Ana Sousa", phones=["+351 912 345 678"], tags=["vip"])

    sign_in(client)
    page = client.get("/contacts")

    assert page.status_code == 200
    assert "Ana Sousa" in page.text
    assert "+351912345678" in page.text
    assert "vip" in page.text
    assert "Signed in as <strong>owner</strong>" in page.text


def test_wrong_password_is_401_with_the_reason_next_to_the_form(client: TestClient) -> None:
    token = csrf_of(client.get("/signin").text)

    response = client.post(
        "/signin", data={"username": "owner", "password": "wrong", "csrf_token": token}
    )

    assert response.status_code == 401
    assert "wrong username or password" in response.text
    assert 'value="owner"' in response.text  # the username is kept, the password is not
    assert client.get("/contacts").status_code == 303


def test_unknown_user_gets_the_same_answer(client: TestClient) -> None:
    token = csrf_of(client.get("/signin").text)

    response = client.post(
        "/signin", data={"username": "nobody", "password": "x", "csrf_token": token}
    )

    assert response.status_code == 401
    assert "wrong username or password" in response.text


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_sign_in_without_the_csrf_token_is_refused_and_does_nothing(
    client: TestClient, core: Phonelist, token: str | None
) -> None:
    client.get("/signin")
    before = audit_events(core)
    form = {"username": "owner", "password": "correct horse battery staple"}
    if token is not None:
        form["csrf_token"] = token

    response = client.post("/signin", data=form)

    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    assert audit_events(core) == before  # not even a failed sign-in was recorded
    assert client.get("/contacts").status_code == 303


def test_sign_out_without_the_csrf_token_is_refused(client: TestClient) -> None:
    sign_in(client)

    response = client.post("/signout", data={})

    assert response.status_code == 403
    assert client.get("/contacts").status_code == 200


def test_sign_out_ends_the_session(client: TestClient) -> None:
    token = sign_in(client)

    response = client.post("/signout", data={"csrf_token": token})

    assert response.status_code == 303
    assert response.headers["location"] == "/signin"
    assert client.get("/contacts").status_code == 303


def test_signing_in_starts_a_new_session(client: TestClient, core: Phonelist) -> None:
    client.get("/signin")
    planted = client.cookies[COOKIE]  # what an attacker could have planted in the client
    before = session_data(planted)

    sign_in(client)

    after = session_data(client.cookies[COOKIE])
    assert after["sid"] != before["sid"]
    assert after["csrf"] != before["csrf"]
    assert after["user"]["role"] == "owner"
    with client_for(core) as attacker:
        attacker.follow_redirects = False
        attacker.cookies.set(COOKIE, planted)
        assert attacker.get("/contacts").status_code == 303


def test_session_cookie_is_http_only_and_same_site(client: TestClient) -> None:
    response = client.get("/signin")

    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie


def test_secure_cookies_add_hsts_and_the_secure_flag(core: Phonelist) -> None:
    secure = dataclasses.replace(
        core, settings=core.settings.model_copy(update={"secure_cookies": True})
    )
    with client_for(secure) as client:
        response = client.get("/signin")

    assert "secure" in response.headers["set-cookie"].lower()
    assert response.headers["strict-transport-security"].startswith("max-age=")


@pytest.mark.parametrize(
    "path",
    ["/signin", "/contacts", "/healthz", "/api/v1/contacts", "/nowhere", "/static/style.css"],
)
def test_security_headers_are_on_every_response(client: TestClient, path: str) -> None:
    response = client.get(path)

    assert response.headers["content-security-policy"] == (
        "default-src 'self'; frame-ancestors 'none'; form-action 'self'; "
        "base-uri 'none'; object-src 'none'"
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in response.headers


def test_pages_with_personal_data_are_not_cached(client: TestClient) -> None:
    sign_in(client)

    assert client.get("/contacts").headers["cache-control"] == "no-store"


def test_pages_have_no_inline_style_or_script(client: TestClient, core: Phonelist) -> None:
    add(core, display_name="Ana")
    sign_in(client)

    for page in (client.get("/contacts").text, client.get("/signin").text):
        assert re.search(r"<script(?![^>]*\bsrc=)", page) is None  # only <script src=...>
        assert "style=" not in page
        assert "<style" not in page


def test_names_are_escaped(client: TestClient, core: Phonelist) -> None:
    add(core, display_name="<script>alert('x')</script>", tags=['"><img src=x>'])
    sign_in(client)

    page = client.get("/contacts").text

    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "<img" not in page


def test_every_form_control_has_a_label(client: TestClient) -> None:
    signin_page = client.get("/signin").text
    sign_in(client)
    contacts_page = client.get("/contacts").text

    for html in (signin_page, contacts_page):
        parser = Controls()
        parser.feed(html)
        assert parser.controls
        for control in parser.controls:
            assert control.get("id") in parser.labelled, control


@pytest.mark.parametrize("query", ["+351 912 345 678", "ana@example.org", "sousa"])
def test_search_finds_by_number_email_or_name(
    client: TestClient, core: Phonelist, query: str
) -> None:
    add(core, display_name="Ana Sousa", phones=["+351912345678"], emails=["ana@example.org"])
    add(core, display_name="Bruno Lima")
    sign_in(client)

    page = client.get("/contacts", params={"q": query})

    assert page.status_code == 200
    assert "Ana Sousa" in page.text
    assert "Bruno Lima" not in page.text


def test_a_bad_search_is_explained_next_to_the_box(client: TestClient) -> None:
    sign_in(client)

    page = client.get("/contacts", params={"q": "x" * 201})

    assert page.status_code == 422
    assert 'id="q-error"' in page.text
    assert "1 to 200 characters" in page.text


def test_pages_follow_the_cursor(client: TestClient, core: Phonelist) -> None:
    for i in range(55):
        add(core, display_name=f"Person {i:02d}")
    sign_in(client)

    first = client.get("/contacts").text
    assert "Person 00" in first and "Person 49" in first and "Person 50" not in first
    link = first.split('rel="next" href="', 1)[1].split('"', 1)[0]
    second = client.get(link.replace("&amp;", "&")).text

    assert "Person 50" in second and "Person 54" in second and "Person 49" not in second
    assert 'rel="next"' not in second
    assert 'href="/contacts">First page' in second


def test_an_unknown_page_is_an_html_error_for_pages(client: TestClient) -> None:
    response = client.put("/signin")

    assert response.status_code == 405
    assert "text/html" in response.headers["content-type"]


def test_a_disabled_user_is_signed_out_at_once(client: TestClient, core: Phonelist) -> None:
    sign_in(client)
    assert client.get("/contacts", follow_redirects=False).status_code == 200
    with core.store.write() as session:
        for user in session.scalars(select(User)):
            user.disabled_at = utcnow()
    response = client.get("/contacts", follow_redirects=False)
    assert response.status_code in (302, 303, 307)
    assert "/signin" in response.headers["location"]
