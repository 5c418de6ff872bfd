"""The sign-in form: the optional code field, the per-address throttle, ended sessions."""

from __future__ import annotations

import pyotp

from phonelist import Phonelist
from phonelist.security.permissions import Role
from phonelist.web.throttle import SignInThrottle
from tests.api.client import TestClient
from tests.conftest import OWNER_PASSWORD
from tests.web.helpers import Controls, csrf_of

PASSWORD = "a long enough password"


def post_sign_in(client: TestClient, username: str, password: str, code: str = "") -> int:
    token = csrf_of(client.get("/signin").text)
    data = {"username": username, "password": password, "code": code, "csrf_token": token}
    return client.post("/signin", data=data).status_code


def test_the_form_has_an_optional_labelled_code_field(client: TestClient) -> None:
    parser = Controls()
    parser.feed(client.get("/signin").text)

    code = next(c for c in parser.controls if c.get("name") == "code")
    assert code.get("id") in parser.labelled
    assert code.get("autocomplete") == "one-time-code"
    assert code.get("inputmode") == "numeric"
    assert "required" not in code


def test_a_user_with_totp_signs_in_with_the_code(client: TestClient, core: Phonelist) -> None:
    actor = core.cli_actor()
    core.users.create(actor, "ana", PASSWORD, Role.EDITOR)
    setup = core.users.totp_enable(actor, "ana")
    generator = pyotp.TOTP(setup.secret)
    core.users.totp_confirm(actor, "ana", generator.now())

    assert post_sign_in(client, "ana", PASSWORD) == 401
    assert post_sign_in(client, "ana", PASSWORD, generator.now()) == 303
    assert "Signed in as <strong>ana</strong>" in client.get("/contacts").text


def test_the_code_field_still_needs_the_csrf_token(client: TestClient) -> None:
    client.get("/signin")
    response = client.post(
        "/signin", data={"username": "owner", "password": OWNER_PASSWORD, "code": "123456"}
    )

    assert response.status_code == 403
    assert client.get("/contacts").status_code == 303


def test_too_many_attempts_from_one_address_get_429(client: TestClient) -> None:
    now = [1000.0]
    throttle = SignInThrottle(limit=3, window=60, clock=lambda: now[0])
    client.app.state.sign_in_throttle = throttle  # type: ignore[attr-defined]

    statuses = [post_sign_in(client, f"user{i}", "wrong password!") for i in range(3)]
    token = csrf_of(client.get("/signin").text)
    refused = client.post(
        "/signin", data={"username": "owner", "password": OWNER_PASSWORD, "csrf_token": token}
    )

    assert statuses == [401, 401, 401]
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    assert "Too many sign-in attempts" in refused.text
    assert client.get("/contacts").status_code == 303  # the right password did not get in
    now[0] += 61
    assert post_sign_in(client, "owner", OWNER_PASSWORD) == 303


def test_the_window_slides() -> None:
    now = [0.0]
    throttle = SignInThrottle(limit=2, window=10, clock=lambda: now[0])

    assert throttle.hit("a") is None
    now[0] = 5
    assert throttle.hit("a") is None
    assert throttle.hit("b") is None  # per address
    now[0] = 8
    assert throttle.hit("a") == 2
    now[0] = 10.5
    assert throttle.hit("a") is None  # the first attempt has left the window


def test_a_password_reset_ends_the_users_sessions(client: TestClient, core: Phonelist) -> None:
    core.users.create(core.cli_actor(), "ana", PASSWORD, Role.EDITOR)
    assert post_sign_in(client, "ana", PASSWORD) == 303
    assert client.get("/contacts").status_code == 200

    core.users.reset_password(core.cli_actor(), "ana", "a brand new password")

    assert client.get("/contacts").status_code == 303
    assert post_sign_in(client, "ana", "a brand new password") == 303
    assert client.get("/contacts").status_code == 200
