"""Settings, in chromium: users and roles, API tokens, backups, and the read-only configuration."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from phonelist.errors import AuthenticationError
from phonelist.security.permissions import Role
from tests.web.conftest import PASSWORD, LiveApp

pytestmark = pytest.mark.browser

Check = Callable[[Any], None]


def roles(live_app: LiveApp) -> dict[str, str]:
    core = live_app.core
    return {user.username: user.role for user in core.users.all(core.cli_actor())}


def accept_dialogs(page: Any) -> None:
    """Forms with data-confirm ask first; Playwright dismisses dialogs unless told otherwise."""
    page.on("dialog", lambda dialog: dialog.accept())


def test_the_overview_shows_the_gateway_and_rule_packs_but_no_secrets(
    page: Any,
    live_app: LiveApp,
    sign_in: Callable[..., Any],
    shot: Callable[..., Any],
    assert_labelled: Check,
) -> None:
    sign_in(page, "owner")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()

    assert page.locator("#gateway-kind").inner_text() == live_app.core.gateway.name
    assert page.locator("#rules-version").inner_text() == live_app.core.rules.version
    assert "twilio_auth_token" not in page.content()
    subnav = page.get_by_role("navigation", name="Settings")
    assert subnav.get_by_role("link").all_inner_texts() == [
        "Overview",
        "Users and roles",
        "API tokens",
        "Backups",
        "Consent texts and forms",
    ]
    assert_labelled(page)
    shot(page, "settings")


def test_an_owner_adds_a_user_changes_their_role_and_resets_their_password(
    page: Any,
    live_app: LiveApp,
    sign_in: Callable[..., Any],
    shot: Callable[..., Any],
    assert_labelled: Check,
) -> None:
    accept_dialogs(page)
    sign_in(page, "owner")
    page.goto("/settings/users")
    assert_labelled(page)

    add = page.locator("form[action='/settings/users']")
    add.get_by_label("Username").fill("carla")
    add.get_by_label("Password").fill("carla's first password")
    add.get_by_label("Role").select_option("agent")
    add.get_by_role("button", name="Add user").click()

    assert page.get_by_role("status").inner_text() == "User carla added as agent."
    assert roles(live_app)["carla"] == "agent"

    page.get_by_label("Role of carla").select_option("editor")
    page.get_by_role("row", name="carla").get_by_role("button", name="Change").click()
    assert roles(live_app)["carla"] == "editor"

    page.get_by_label("New password for carla").fill("carla's second password")
    page.get_by_role("row", name="carla").get_by_role("button", name="Reset").click()
    assert "Password of carla reset" in page.get_by_role("status").inner_text()
    core = live_app.core
    with pytest.raises(AuthenticationError):
        core.users.sign_in(1, "carla", "carla's first password")
    assert core.users.sign_in(1, "carla", "carla's second password").role == Role.EDITOR
    assert_labelled(page)
    shot(page, "settings-users")


def test_a_refused_user_is_explained_under_its_field(
    page: Any, live_app: LiveApp, sign_in: Callable[..., Any], console_errors: list[str]
) -> None:
    sign_in(page, "owner", username="dora")
    page.goto("/settings/users")

    add = page.locator("form[action='/settings/users']")
    add.get_by_label("Username").fill("dora")  # taken
    add.get_by_label("Password").fill("some long password")
    add.get_by_role("button", name="Add user").click()

    field = page.locator("#new-username")
    assert field.get_attribute("aria-invalid") == "true"
    assert "already exists" in page.locator("#new-username-error").inner_text()
    assert field.input_value() == "dora"
    assert [e for e in console_errors if "status of 409" in e]
    console_errors.clear()


def test_an_admin_may_not_make_owners_or_reset_passwords(
    page: Any, live_app: LiveApp, sign_in: Callable[..., Any]
) -> None:
    sign_in(page, "admin")
    page.goto("/settings/users")

    options = page.locator("#new-role option").all_inner_texts()
    assert options == ["viewer", "agent", "editor", "admin"]
    assert page.get_by_role("columnheader", name="Reset password").count() == 0
    assert page.get_by_role("button", name="Back up now").count() == 0


def test_a_token_is_shown_once_works_and_can_be_revoked(
    page: Any,
    live_app: LiveApp,
    sign_in: Callable[..., Any],
    shot: Callable[..., Any],
    assert_labelled: Check,
) -> None:
    accept_dialogs(page)
    sign_in(page, "owner")
    page.goto("/settings/tokens")
    assert_labelled(page)

    page.get_by_label("Name").fill("shop website")
    page.get_by_label("Role").select_option("editor")
    page.get_by_label("Expires after").select_option("30")
    page.get_by_role("button", name="Create token").click()

    secret = page.locator("#new-token").inner_text()
    assert live_app.core.tokens.authenticate(secret).role == Role.EDITOR
    assert_labelled(page)
    shot(page, "settings-tokens")
    page.goto("/settings/tokens")
    assert secret not in page.content()  # shown once
    assert page.locator("#new-token").count() == 0

    page.get_by_role("button", name="Revoke shop website").click()

    assert page.get_by_role("status").inner_text() == "Token shop website revoked."
    with pytest.raises(AuthenticationError):
        live_app.core.tokens.authenticate(secret)


def test_an_owner_backs_up_now_and_sees_it_listed(
    page: Any, live_app: LiveApp, sign_in: Callable[..., Any], assert_labelled: Check
) -> None:
    sign_in(page, "owner")
    page.goto("/settings/backups")
    assert "No backups yet." in page.content()

    page.get_by_role("button", name="Back up now").click()

    [made] = live_app.core.backups.list_backups()
    assert made.path.name in page.get_by_role("table").inner_text()
    assert f"Backup {made.path.name} made." == page.get_by_role("status").inner_text()
    assert_labelled(page)


def test_a_viewer_is_refused_the_users_page(
    page: Any, sign_in: Callable[..., Any], console_errors: list[str]
) -> None:
    sign_in(page, "viewer")
    page.goto("/settings/users")

    assert page.get_by_role("heading", name="Error 403").is_visible()
    assert [e for e in console_errors if "status of 403" in e]
    console_errors.clear()
    page.goto("/settings")
    assert page.get_by_role("link", name="Users and roles").count() == 0


def test_the_password_used_by_the_fixture_is_long_enough() -> None:
    assert len(PASSWORD) >= 12
