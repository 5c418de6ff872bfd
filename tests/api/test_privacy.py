"""/api/v1/privacy/export: JSON or an HTML attachment; owners and admins only."""

from __future__ import annotations

import pytest

from phonelist import Phonelist
from phonelist.security.permissions import Role
from tests.api.client import TestClient, bearer, new_token
from tests.privacy.support import FIRST, NAME, SECRET, STRANGER, person, stranger

URL = "/api/v1/privacy/export"


def test_json_by_number_and_by_contact(client: TestClient, core: Phonelist) -> None:
    contact_id = person(core, core.cli_actor())
    by_number = client.get(URL, params={"number": FIRST})
    assert by_number.status_code == 200, by_number.text
    body = by_number.json()
    assert body["contacts"][0]["display_name"] == NAME
    assert body["contacts"][0]["custom_fields"][0]["value"] == SECRET
    assert body["exported_by"].startswith("token:")
    by_contact = client.get(URL, params={"contact": contact_id})
    assert by_contact.json()["contacts"] == body["contacts"]


def test_html_is_an_escaped_attachment(client: TestClient, core: Phonelist) -> None:
    contact_id = person(core, core.cli_actor())
    page = client.get(URL, params={"contact": contact_id, "format": "html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-disposition"].startswith("attachment;")
    assert contact_id in page.headers["content-disposition"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and NAME not in page.text


def test_a_number_without_a_contact(client: TestClient, core: Phonelist) -> None:
    stranger(core, core.cli_actor())
    body = client.get(URL, params={"number": STRANGER}).json()
    assert body["contacts"] == [] and body["numbers"][0]["consent_records"]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"number": "+12025550100"}, 404),
        ({"contact": "01J00000000000000000000000"}, 404),
        ({"contact": FIRST}, 404),  # a number is not a contact id
        ({}, 422),
        ({"number": FIRST, "contact": "01J00000000000000000000000"}, 422),
        ({"number": "not a number"}, 422),
        ({"number": FIRST, "format": "pdf"}, 422),
    ],
)
def test_bad_requests(
    client: TestClient, core: Phonelist, params: dict[str, str], status: int
) -> None:
    person(core, core.cli_actor())
    answer = client.get(URL, params=params)
    assert answer.status_code == status, answer.text
    assert set(answer.json()["error"]) >= {"code", "message"}


@pytest.mark.parametrize("role", [Role.VIEWER, Role.AGENT, Role.EDITOR])
def test_only_owners_and_admins(client: TestClient, core: Phonelist, role: Role) -> None:
    person(core, core.cli_actor())
    denied = client.get(URL, params={"number": FIRST}, headers=bearer(new_token(core, role)))
    assert denied.status_code == 403
    admin = client.get(URL, params={"number": FIRST}, headers=bearer(new_token(core, Role.ADMIN)))
    assert admin.status_code == 200


def test_needs_a_token(anonymous: TestClient) -> None:
    assert anonymous.get(URL, params={"number": FIRST}).status_code == 401


def test_a_number_given_as_contact_is_not_echoed(client: TestClient, core: Phonelist) -> None:
    person(core, core.cli_actor())
    answer = client.get(URL, params={"contact": FIRST})
    assert answer.status_code == 404 and FIRST not in answer.text


ERASE = "/api/v1/privacy/erase"


def test_erase_by_number_then_nothing_but_the_suppression(
    client: TestClient, core: Phonelist
) -> None:
    contact_id = person(core, core.cli_actor())
    answer = client.post(ERASE, json={"number": FIRST})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["subject_type"], body["subject_id"], body["contacts"]) == (
        "contact",
        contact_id,
        1,
    )
    assert FIRST not in answer.text
    assert client.get(f"/api/v1/contacts/{contact_id}").status_code == 404
    export = client.get(URL, params={"number": FIRST}).json()
    assert export["contacts"] == [] and export["numbers"][0]["suppressions"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"number": "+12025550100"}, 404),
        ({}, 422),
        ({"number": FIRST, "contact": "01J00000000000000000000000"}, 422),
        ({"number": FIRST, "reason": "because"}, 422),
        ({"number": FIRST, "extra": 1}, 422),
    ],
)
def test_erase_refuses_bad_requests(
    client: TestClient, core: Phonelist, body: dict[str, object], status: int
) -> None:
    person(core, core.cli_actor())
    assert client.post(ERASE, json=body).status_code == status
    assert client.get(URL, params={"number": FIRST}).json()["contacts"]  # nothing erased
