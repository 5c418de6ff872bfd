"""Fixtures for the web pages: an HTTP client, and a real browser (Debian's chromium).

``client`` is a browser-like HTTP client (cookies kept, redirects not followed) over a fresh
SQLite core. The browser fixtures (``live_app``, ``browser``, ``page``, ``sign_in``, ``shot``,
``assert_labelled``) drive chromium through Playwright against the app served by uvicorn;
tests that use them are marked ``@pytest.mark.browser``. The pages are a face: the core they
call runs on both backends in the service tests, so the pages are tested on SQLite only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from phonelist import Phonelist
from phonelist.api.app import create_app
from phonelist.security.permissions import Role
from tests.api.client import TestClient, client_for
from tests.fakes.twilio_server import serve_asgi

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "test-artifacts" / "ui"
CHROMIUM = os.environ.get("PHONELIST_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "a long test password for the browser"
VIEWPORT = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def client(core: Phonelist) -> Iterator[TestClient]:
    with client_for(core) as opened:
        opened.follow_redirects = False
        yield opened


# -- the real browser -------------------------------------------------------------------------


@dataclass
class LiveApp:
    """The app served on 127.0.0.1: ``url`` is its base URL (no trailing slash)."""

    core: Phonelist
    url: str

    def user(self, role: Role | str = Role.OWNER, username: str | None = None) -> str:
        """Create a user with ``role`` and the password :data:`PASSWORD`; returns the username."""
        role = Role(role)
        username = username or f"{role.value}-user"
        self.core.users.create(self.core.cli_actor(), username, PASSWORD, role)
        return username


@pytest.fixture
def live_app(core: Phonelist) -> Iterator[LiveApp]:
    with serve_asgi(create_app(core)) as url:
        yield LiveApp(core=core, url=url)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no chromium at {CHROMIUM}: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def console_errors() -> list[str]:
    """The console and page errors of ``page``, checked at the test's end.

    A test that expects one (chromium logs "Failed to load resource" for a 403 page) removes
    it from this list, after asserting it is there.
    """
    return []


@pytest.fixture
def page(browser: Any, live_app: LiveApp, console_errors: list[str]) -> Iterator[Any]:
    """A fresh page at 1280x800 whose base URL is the live app (``page.goto("/dashboard")``).

    Any console error or uncaught page error fails the test at its end, so a page that works
    but logs an error (a CSP violation, a 404 for a script) does not pass.
    """
    context = browser.new_context(base_url=live_app.url, viewport=VIEWPORT)
    context.set_default_timeout(10_000)
    opened = context.new_page()
    errors = console_errors
    opened.on(
        "console",
        lambda message: (
            errors.append(f"console: {message.text} at {message.location}")
            if message.type == "error"
            else None
        ),
    )
    opened.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    try:
        yield opened
    finally:
        context.close()
    assert not errors, "\n".join(errors)


@pytest.fixture
def sign_in(live_app: LiveApp) -> Callable[..., Any]:
    """``sign_in(page, role="owner", *, username=None, code=None) -> page``.

    Creates the user (unless ``username`` names an existing one, whose password must be
    :data:`PASSWORD`), signs in through the form and waits for the dashboard.
    """

    def signing_in(
        page: Any,
        role: Role | str = Role.OWNER,
        *,
        username: str | None = None,
        code: str | None = None,
    ) -> Any:
        if username is None or not _exists(live_app.core, username):
            username = live_app.user(role, username)
        page.goto("/signin")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        if code is not None:
            page.get_by_label("Authentication code").fill(code)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/dashboard")
        return page

    return signing_in


def _exists(core: Phonelist, username: str) -> bool:
    return any(user.username == username for user in core.users.all(core.cli_actor()))


@pytest.fixture
def shot() -> Callable[..., Path]:
    """``shot(page, name, *, phone=False) -> path``: test-artifacts/ui/<name>.png.

    The viewport only (1280x800, or 375 px wide with ``phone=True``), to keep the PNGs small.
    """

    def taking(page: Any, name: str, *, phone: bool = False) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        if phone:
            page.set_viewport_size(PHONE)
        page.screenshot(path=str(path))
        if phone:
            page.set_viewport_size(VIEWPORT)
        return path

    return taking


# Every visible form control needs a name from a <label>, aria-label or aria-labelledby.
_UNLABELLED = """() => {
  const controls = document.querySelectorAll(
    'input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset]),'
    + 'select, textarea');
  const missing = [];
  for (const el of controls) {
    const labelled = (el.labels && el.labels.length > 0)
      || (el.getAttribute('aria-label') || '').trim() !== ''
      || (el.getAttribute('aria-labelledby') || '').split(/\\s+/).some(
           (id) => id && document.getElementById(id)
                   && document.getElementById(id).textContent.trim() !== '');
    if (!labelled) missing.push(el.outerHTML.slice(0, 200));
  }
  return missing;
}"""


def _assert_labelled(page: Any) -> None:
    missing = page.evaluate(_UNLABELLED)
    assert missing == [], f"form controls without a label on {page.url}: {missing}"


@pytest.fixture
def assert_labelled() -> Callable[[Any], None]:
    """``assert_labelled(page)``: every input, select and textarea has an accessible label."""
    return _assert_labelled
