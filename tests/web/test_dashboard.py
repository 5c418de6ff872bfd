"""The dashboard, in chromium: the counts come from the core, and each role sees its cards."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from phonelist.clock import utcnow
from phonelist.consent.commands import Grant, Revoke
from phonelist.contacts.commands import CreateContact
from phonelist.contacts.schemas import ContactIn
from phonelist.web.dashboard import ALL_CONTACTS, sendable_query
from tests.web.conftest import LiveApp

pytestmark = pytest.mark.browser

NUMBERS = ["+12025550143", "+12025550144", "+12025550145"]


def fill(live_app: LiveApp, tmp_path: Path) -> None:
    """Three contacts, one opted out this week, registry data for 202, and a backup."""
    core, actor = live_app.core, live_app.core.cli_actor()
    for i, number in enumerate(NUMBERS):
        data = {"display_name": f"Person {i}", "phones": [number]}
        core.contacts.apply(actor, CreateContact(ContactIn.model_validate(data)))
    core.consent.apply(actor, Grant(NUMBERS[0], "sms", "informational", "verbal"))
    core.consent.apply(actor, Revoke(NUMBERS[1], "web"))
    registry = tmp_path / "202.txt"
    registry.write_text("2025550199\n", encoding="utf-8")
    core.registries.import_file(actor, registry, registry_date=utcnow().date() - dt.timedelta(40))
    core.backups.create(actor, now=utcnow())


def test_the_owner_sees_every_card_with_the_cores_numbers(
    page: Any,
    live_app: LiveApp,
    sign_in: Callable[..., Any],
    shot: Callable[..., Any],
    assert_labelled: Callable[[Any], None],
    tmp_path: Path,
) -> None:
    fill(live_app, tmp_path)
    core, actor = live_app.core, live_app.core.cli_actor()

    sign_in(page, "owner")

    assert page.locator("#contact-count").inner_text() == "3"
    assert core.segments.count(actor, ALL_CONTACTS).count == 3
    for purpose in ("marketing", "informational", "emergency"):
        shown = int(page.locator(f"#sendable-{purpose}").inner_text().replace(",", ""))
        assert shown == core.segments.count(actor, sendable_query(purpose)).count
    assert page.locator("#sendable-marketing").inner_text() == "0"  # nobody gave consent to it
    assert page.locator("#opt-outs").inner_text() == "1"
    registry = page.get_by_role("table").filter(has_text="Area code")
    assert "202" in registry.inner_text()
    assert "stale" in registry.inner_text()  # 40 days old: D3 blocks marketing to 202
    backup = page.locator("section", has=page.get_by_role("heading", name="Last backup"))
    assert "less than an hour ago" in backup.inner_text()
    assert "recent" in backup.inner_text()
    assert_labelled(page)
    shot(page, "dashboard")


def test_an_agent_sees_no_audit_or_backup_cards(
    page: Any, live_app: LiveApp, sign_in: Callable[..., Any]
) -> None:
    sign_in(page, "agent")

    assert page.locator("#contact-count").inner_text() == "0"
    assert page.locator("#opt-outs").count() == 0
    assert page.get_by_role("heading", name="Last backup").count() == 0
    assert page.get_by_role("heading", name="Do-not-call registries").is_visible()
    assert "No registry data imported yet" in page.content()


def test_without_backups_the_card_says_none_yet(page: Any, sign_in: Callable[..., Any]) -> None:
    sign_in(page, "admin")

    backup = page.locator("section", has=page.get_by_role("heading", name="Last backup"))
    assert "none yet" in backup.inner_text()
