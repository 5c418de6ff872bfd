"""The review queue: ambiguous replies with their text, number (masked per permission), deadline
and policy; resolving them (consent.manage, CSRF); and in a real browser."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from phonelist import Phonelist
from phonelist.consent import review_queue
from phonelist.consent.review_queue import review_entries
from phonelist.contacts.codec import mask_number
from phonelist.errors import PermissionDenied
from phonelist.security.permissions import Actor, Role
from tests.api.client import TestClient
from tests.web.helpers import csrf_of, sign_in

NUMBER = "+351912345678"
OTHER = "+351913000111"


def reply(core: Phonelist, number: str, text: str) -> str:
    result = core.inbound.handle(core.cli_actor(), number, text)
    assert result.review_id is not None, result
    return result.review_id


def test_the_queue_shows_each_reply_with_its_number_deadline_and_policy(
    client: TestClient, core: Phonelist
) -> None:
    review_id = reply(core, NUMBER, "Don't stop!")
    sign_in(client)

    page = client.get("/review")

    assert page.status_code == 200
    assert "Don&#39;t stop!" in page.text and NUMBER in page.text
    [item] = core.inbound.reviews(core.cli_actor())
    assert f"{item.due_at:%Y-%m-%d}" in page.text
    assert "Treated as an opt-out when it arrived" in page.text
    assert f'action="/review/{review_id}/resolve"' in page.text


def test_resolving_closes_the_item(client: TestClient, core: Phonelist) -> None:
    first = reply(core, NUMBER, "Don't stop!")
    reply(core, OTHER, "When does the sale end?")
    token = sign_in(client)

    done = client.post(
        f"/review/{first}/resolve", data={"resolution": "not_opt_out", "csrf_token": token}
    )
    page = client.get("/review")
    resolved = client.get("/review", params={"status": "resolved"})

    assert done.status_code == 303 and done.headers["location"] == "/review"
    assert "Reply resolved as not an opt-out." in page.text
    assert "Don&#39;t stop!" not in page.text and "When does the sale end?" in page.text
    assert (
        "Don&#39;t stop!" in resolved.text and "Resolved as</dt><dd>not an opt-out" in resolved.text
    )
    [left] = core.inbound.reviews(core.cli_actor())
    assert left.id != first


def test_resolving_needs_the_csrf_token_and_a_known_resolution(
    client: TestClient, core: Phonelist
) -> None:
    review_id = reply(core, NUMBER, "Don't stop!")
    token = sign_in(client)

    forged = client.post(f"/review/{review_id}/resolve", data={"resolution": "opt_out"})
    odd = client.post(
        f"/review/{review_id}/resolve", data={"resolution": "maybe", "csrf_token": token}
    )
    unknown = client.post(
        "/review/nope/resolve", data={"resolution": "opt_out", "csrf_token": token}
    )

    assert forged.status_code == 403 and "did not come from this site" in forged.text
    assert odd.status_code == 422 and "resolution is opt_out or not_opt_out" in odd.text
    assert unknown.status_code == 404
    assert len(core.inbound.reviews(core.cli_actor())) == 1


@pytest.mark.parametrize("role", [Role.EDITOR, Role.AGENT, Role.VIEWER])
def test_roles_without_consent_manage_may_not_see_or_resolve(
    client: TestClient, core: Phonelist, role: Role
) -> None:
    review_id = reply(core, NUMBER, "Don't stop!")
    core.users.create(core.cli_actor(), "someone", "a long enough password", role)
    login = csrf_of(client.get("/signin").text)
    client.post(
        "/signin",
        data={"username": "someone", "password": "a long enough password", "csrf_token": login},
    )
    token = csrf_of(client.get("/contacts").text)

    page = client.get("/review")
    post = client.post(
        f"/review/{review_id}/resolve", data={"resolution": "opt_out", "csrf_token": token}
    )

    assert page.status_code == post.status_code == 403
    assert NUMBER not in page.text and "stop" not in page.text
    assert len(core.inbound.reviews(core.cli_actor())) == 1


def test_numbers_are_masked_for_roles_without_contacts_numbers(
    core: Phonelist, monkeypatch: pytest.MonkeyPatch
) -> None:
    reply(core, NUMBER, "Don't stop!")
    owner = core.cli_actor()
    [full] = review_entries(core.inbound, owner)
    # Every role with consent.manage sees numbers today; the mask follows the permission.
    monkeypatch.setattr(review_queue, "masks_numbers", lambda actor: True)
    [masked] = review_entries(core.inbound, owner)

    assert full.number == NUMBER and full.text == "Don't stop!"
    assert masked.number == mask_number(NUMBER)[0] and NUMBER[-3:] in masked.number
    assert NUMBER not in masked.number.replace(" ", "")
    with pytest.raises(PermissionDenied, match=r"consent\.manage"):
        review_entries(core.inbound, Actor(owner.workspace_id, Role.AGENT, "user", "x"))


# -- in a real browser -------------------------------------------------------------------------
@pytest.mark.browser
def test_resolving_a_review_item(
    page: Any,
    sign_in: Callable[..., Any],
    shot: Callable[..., Path],
    assert_labelled: Callable[[Any], None],
    core: Phonelist,
) -> None:
    reply(core, NUMBER, "Don't stop!")
    reply(core, OTHER, "When does the sale end?")
    sign_in(page, "admin")
    page.goto("/review")
    assert_labelled(page)
    shot(page, "review")

    card = page.locator("section.review-item").filter(has_text="When does the sale end?")
    card.get_by_role("button", name="It is not an opt-out").click()
    page.get_by_text("Reply resolved as not an opt-out.").wait_for()
    assert page.locator("section.review-item").count() == 1
    assert page.get_by_text("Don't stop!", exact=True).is_visible()
    page.get_by_role("link", name="Resolved replies").click()
    assert re.search("When does the sale end", page.locator("main").inner_text())
    assert len(core.inbound.reviews(core.cli_actor())) == 1
