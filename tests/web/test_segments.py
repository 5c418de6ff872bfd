"""The segment editor: saved segments with counts, the live count, errors under the query with a
caret, save and delete (segments.manage, CSRF); and in a real browser."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from phonelist import Phonelist
from phonelist.contacts.commands import CreateContact
from phonelist.contacts.schemas import ContactIn
from phonelist.security.permissions import Role
from tests.api.client import TestClient
from tests.web.helpers import Controls, csrf_of, sign_in


def add(core: Phonelist, **data: Any) -> None:
    core.contacts.apply(core.cli_actor(), CreateContact(ContactIn.model_validate(data)))


@pytest.fixture
def people(core: Phonelist) -> None:
    add(core, display_name="Ana", phones=["+351 912 345 678"], tags=["vip"], country="PT")
    add(core, display_name="Rui", phones=["+351 913 000 111"], country="PT")
    add(core, display_name="Joe", phones=["+1 202 555 0143"], tags=["vip"], country="US")


def save(client: TestClient, token: str, name: str, query: str, **extra: str) -> Any:
    data = {"csrf_token": token, "name": name, "query": query, **extra}
    return client.post("/segments/save", data=data)


def test_saving_a_segment_lists_it_with_its_count(
    client: TestClient, core: Phonelist, people: None
) -> None:
    token = sign_in(client)

    saved = save(client, token, "vip pt", "country = PT tag = vip", description="best")
    page = client.get("/segments")

    assert saved.status_code == 303 and saved.headers["location"] == "/segments"
    assert "Segment &#39;vip pt&#39; saved." in page.text
    row = re.search(r"vip pt</a>.*?<td class=\"num\">(\d+)</td>", page.text, re.S)
    assert row and row.group(1) == "1"
    assert [s.name for s in core.segments.all(core.cli_actor())] == ["vip pt"]
    parser = Controls()
    parser.feed(page.text)
    assert all(c.get("id") in parser.labelled or c.get("aria-label") for c in parser.controls)
    assert "<code>number.type</code>" in page.text  # the fields help
    # Editing loads the query; saving again replaces it.
    edit = client.get("/segments", params={"name": "vip pt"})
    assert "country = PT" in edit.text and 'value="vip pt" required\n' in edit.text
    replaced = save(client, token, "vip pt", "tag = vip", original="vip pt")
    assert replaced.status_code == 303
    assert core.segments.get(core.cli_actor(), "vip pt").query == "tag = vip"


def test_a_bad_query_is_shown_under_it_with_a_caret(client: TestClient, core: Phonelist) -> None:
    token = sign_in(client)

    refused = save(client, token, "bad", "contry = PT")

    assert refused.status_code == 422
    caret = re.search(r'<pre class="caret" id="query-caret">(.*?)</pre>', refused.text, re.S)
    assert caret and html.unescape(caret.group(1)) == "contry = PT\n^^^^^^"
    assert "(at column 1)" in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert core.segments.all(core.cli_actor()) == []


def test_a_name_in_use_is_shown_next_to_the_name(client: TestClient) -> None:
    token = sign_in(client)
    save(client, token, "vips", "tag = vip")

    again = save(client, token, "vips", "country = PT")

    assert again.status_code == 409
    assert 'id="name-error"' in again.text and "exists already" in again.text


def test_the_live_count_answers_counts_and_errors(client: TestClient, people: None) -> None:
    sign_in(client)

    ok = client.get("/web/api/segments/editor-count", params={"q": "tag = vip"}).json()
    bad = client.get("/web/api/segments/editor-count", params={"q": "country = PT and ("}).json()
    empty = client.get("/web/api/segments/editor-count", params={"q": " "}).json()

    assert ok == {"count": 2, "warnings": [], "error": None}
    assert bad["count"] is None and bad["error"]["position"] == 18
    assert bad["error"]["caret"].endswith("\n" + " " * 18 + "^")
    assert empty["count"] is None and empty["error"] is None


def test_the_live_count_needs_a_session(client: TestClient) -> None:
    response = client.get("/web/api/segments/editor-count", params={"q": "tag = vip"})

    assert response.status_code == 401
    assert "count" not in response.json()


def test_save_and_delete_need_the_csrf_token(client: TestClient, core: Phonelist) -> None:
    token = sign_in(client)
    save(client, token, "vips", "tag = vip")

    forged_save = save(client, "", "other", "tag = vip")
    forged_delete = client.post("/segments/delete", data={"name": "vips"})

    assert forged_save.status_code == forged_delete.status_code == 403
    assert [s.name for s in core.segments.all(core.cli_actor())] == ["vips"]
    deleted = client.post("/segments/delete", data={"name": "vips", "csrf_token": token})
    assert deleted.status_code == 303 and core.segments.all(core.cli_actor()) == []


def test_a_viewer_counts_but_may_not_save_or_delete(client: TestClient, core: Phonelist) -> None:
    token = sign_in(client)
    save(client, token, "vips", "tag = vip")
    client.post("/signout", data={"csrf_token": token})
    core.users.create(core.cli_actor(), "viv", "a long viewer password", Role.VIEWER)
    login = csrf_of(client.get("/signin").text)
    client.post(
        "/signin",
        data={"username": "viv", "password": "a long viewer password", "csrf_token": login},
    )

    page = client.get("/segments")
    viewer = csrf_of(page.text)

    assert page.status_code == 200 and "may count contacts" in page.text
    assert 'action="/segments/delete"' not in page.text
    assert save(client, viewer, "mine", "tag = vip").status_code == 403
    deleted = client.post("/segments/delete", data={"name": "vips", "csrf_token": viewer})
    assert deleted.status_code == 403
    assert [s.name for s in core.segments.all(core.cli_actor())] == ["vips"]


# -- in a real browser -------------------------------------------------------------------------
@pytest.mark.browser
def test_building_a_segment_and_seeing_its_count(
    page: Any,
    sign_in: Callable[..., Any],
    shot: Callable[..., Path],
    assert_labelled: Callable[[Any], None],
    people: None,
) -> None:
    sign_in(page, "editor")
    page.goto("/segments")
    assert_labelled(page)
    query = page.get_by_label("Query")

    query.fill("country = PT and (")
    error = page.locator("#query-error")
    error.wait_for()
    assert "column 19" in page.locator("#query-error-text").inner_text()
    assert page.locator("#query-caret").inner_text().endswith("^")
    assert query.get_attribute("aria-invalid") == "true"

    query.fill("tag = vip")
    page.get_by_text("2 contacts match").wait_for()
    assert error.is_hidden()
    page.get_by_label("Name").fill("VIPs")
    page.get_by_label("Description (optional)").fill("Our best customers")
    page.get_by_role("button", name="Save the segment").click()
    page.get_by_text("Segment 'VIPs' saved.").wait_for()
    row = page.get_by_role("row").filter(has_text="VIPs")
    assert row.locator("td.num").inner_text() == "2"

    query.fill("tag = vip country = PT")
    page.get_by_text("1 contact matches").wait_for()
    page.locator("details.fields-help summary").click()
    assert page.get_by_role("cell", name="number.type").is_visible()

    query.fill("tag = vip contry = PT")
    error.wait_for()
    assert page.locator("#query-caret").inner_text() == "tag = vip contry = PT\n          ^^^^^^"
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "segments")
