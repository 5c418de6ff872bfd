"""Reading pages the way a browser would: forms, their CSRF token, the session cookie."""

from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser
from typing import Any

from tests.api.client import TestClient
from tests.conftest import OWNER_PASSWORD

COOKIE = "phonelist_session"


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(browser: TestClient, password: str = OWNER_PASSWORD) -> str:
    """Sign in as the owner; returns the CSRF token of the signed-in session."""
    token = csrf_of(browser.get("/signin").text)
    response = browser.post(
        "/signin", data={"username": "owner", "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    return csrf_of(browser.get("/contacts").text)


def session_data(cookie: str) -> dict[str, Any]:
    """The payload of a Starlette session cookie (signed, not encrypted)."""
    payload = cookie.split(".", 1)[0]
    data: dict[str, Any] = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    return data


class Controls(HTMLParser):
    """Collects form controls and the ids that <label for=...> names."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.labelled: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "label" and attributes.get("for"):
            self.labelled.add(str(attributes["for"]))
        if tag in ("input", "select", "textarea") and attributes.get("type") != "hidden":
            self.controls.append(attributes)
