"""Contacts through the API: create, read, change, list, search, merge, tag, note, delete."""

from __future__ import annotations

from typing import Any

import pytest

from phonelist import Phonelist
from tests.api.client import TestClient, contact_count

ANA = {
    "display_name": "Ana Sousa",
    "first_name": "Ana",
    "last_name": "Sousa",
    "phones": [{"number": "+351 912 345 678", "label": "mobile"}],
    "emails": ["ana@example.org"],
    "country": "PT",
    "city": "Lisboa",
    "tags": ["vip"],
    "lists": ["newsletter"],
    "note": "met at the fair",
}


def create(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/contacts", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_create_returns_the_contact_and_where_it_lives(client: TestClient) -> None:
    response = client.post("/api/v1/contacts", json=ANA)

    assert response.status_code == 201
    contact = response.json()
    assert response.headers["location"] == f"/api/v1/contacts/{contact['id']}"
    assert contact["display_name"] == "Ana Sousa"
    assert [p["e164"] for p in contact["phones"]] == ["+351912345678"]
    assert contact["phones"][0]["primary"] is True
    assert [e["email"] for e in contact["emails"]] == ["ana@example.org"]
    assert contact["tags"] == ["vip"]
    assert contact["lists"] == ["newsletter"]
    assert [n["body"] for n in contact["notes"]] == ["met at the fair"]
    assert contact["status"] == "lead"


def test_get_reads_back_what_was_created(client: TestClient) -> None:
    created = create(client, ANA)

    response = client.get(f"/api/v1/contacts/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created


def test_get_unknown_contact_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/contacts/01NOPE")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_patch_changes_only_the_fields_given(client: TestClient) -> None:
    created = create(client, ANA)

    response = client.patch(f"/api/v1/contacts/{created['id']}", json={"city": "Porto"})

    assert response.status_code == 200
    patched = response.json()
    assert patched["city"] == "Porto"
    for unchanged in ("display_name", "first_name", "phones", "emails", "tags", "lists", "notes"):
        assert patched[unchanged] == created[unchanged]


def test_patch_with_null_clears_a_field(client: TestClient) -> None:
    created = create(client, ANA)

    patched = client.patch(f"/api/v1/contacts/{created['id']}", json={"city": None}).json()

    assert patched["city"] is None
    assert patched["display_name"] == "Ana Sousa"


def test_patch_replaces_a_collection(client: TestClient) -> None:
    created = create(client, ANA)

    response = client.patch(
        f"/api/v1/contacts/{created['id']}", json={"phones": ["+351 912 000 111"], "tags": []}
    )

    assert response.status_code == 200
    assert [p["e164"] for p in response.json()["phones"]] == ["+351912000111"]
    assert response.json()["tags"] == []


def test_list_walks_every_page_with_the_cursor(client: TestClient) -> None:
    ids = [create(client, {"display_name": f"Person {i}"})["id"] for i in range(7)]

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        response = client.get("/api/v1/contacts", params=params)
        assert response.status_code == 200
        page = response.json()
        assert set(page) == {"items", "next_cursor"}
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert pages == 3
    assert seen == ids


def test_list_filters_by_status_tag_and_list(client: TestClient) -> None:
    vip = create(client, {"display_name": "V", "tags": ["vip"], "status": "customer"})
    listed = create(client, {"display_name": "L", "lists": ["newsletter"]})
    create(client, {"display_name": "Other"})

    def ids(**params: str) -> list[str]:
        return [c["id"] for c in client.get("/api/v1/contacts", params=params).json()["items"]]

    assert ids(tag="vip") == [vip["id"]]
    assert ids(status="customer") == [vip["id"]]
    assert ids(list="newsletter") == [listed["id"]]


def test_list_refuses_a_cursor_it_did_not_give(client: TestClient) -> None:
    response = client.get("/api/v1/contacts", params={"cursor": "%%%not-ours"})

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "cursor"


@pytest.mark.parametrize(
    "query",
    [
        "+351912345678",
        "+351 912-345-678",
        "011 351 912 345 678",  # the workspace's region is US: 011 is its international prefix
        "ana@example.org",
        "ANA@Example.org",
        "sousa",
        "ana",
        "Ana Sousa",
    ],
)
def test_search_finds_by_number_in_any_format_email_or_name_word(
    client: TestClient, query: str
) -> None:
    ana = create(client, ANA)
    create(client, {"display_name": "Bruno Lima", "phones": ["+351 913 000 000"]})

    response = client.get("/api/v1/search", params={"q": query})

    assert response.status_code == 200
    result = response.json()
    assert [c["id"] for c in result["items"]] == [ana["id"]]
    assert result["has_more"] is False


def test_search_says_when_more_match_than_the_limit(client: TestClient) -> None:
    for _ in range(3):
        create(client, {"display_name": "Silva"})

    result = client.get("/api/v1/search", params={"q": "silva", "limit": 2}).json()

    assert len(result["items"]) == 2
    assert result["has_more"] is True


def test_merge_folds_the_source_into_the_target(client: TestClient, core: Phonelist) -> None:
    target = create(client, {"display_name": "Ana", "phones": ["+351 912 345 678"]})
    source = create(
        client,
        {"first_name": "Ana", "phones": ["+351 913 333 333"], "emails": ["a@example.org"]},
    )

    response = client.post(
        f"/api/v1/contacts/{target['id']}/merge", json={"source_id": source["id"]}
    )

    assert response.status_code == 200
    merged = response.json()
    assert merged["id"] == target["id"]
    assert merged["display_name"] == "Ana"
    assert merged["first_name"] == "Ana"
    assert {p["e164"] for p in merged["phones"]} == {"+351912345678", "+351913333333"}
    assert [e["email"] for e in merged["emails"]] == ["a@example.org"]
    assert client.get(f"/api/v1/contacts/{source['id']}").status_code == 404
    assert contact_count(core) == 1


def test_merge_into_itself_is_refused(client: TestClient) -> None:
    ana = create(client, ANA)

    response = client.post(f"/api/v1/contacts/{ana['id']}/merge", json={"source_id": ana["id"]})

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "source_id"


def test_tags_are_added_and_removed(client: TestClient) -> None:
    ana = create(client, ANA)

    added = client.post(f"/api/v1/contacts/{ana['id']}/tags", json={"tags": ["a b", "vip", "c"]})
    assert added.status_code == 200
    assert sorted(added.json()["tags"]) == ["a b", "c", "vip"]

    removed = client.delete(f"/api/v1/contacts/{ana['id']}/tags/a b")
    assert removed.status_code == 200
    assert sorted(removed.json()["tags"]) == ["c", "vip"]


def test_notes_are_added(client: TestClient) -> None:
    ana = create(client, ANA)

    response = client.post(
        f"/api/v1/contacts/{ana['id']}/notes", json={"body": "called back\non Monday"}
    )

    assert response.status_code == 201
    assert [n["body"] for n in response.json()["notes"]] == [
        "met at the fair",
        "called back\non Monday",
    ]


def test_delete_removes_the_contact(client: TestClient, core: Phonelist) -> None:
    ana = create(client, ANA)

    response = client.delete(f"/api/v1/contacts/{ana['id']}")

    assert response.status_code == 204
    assert response.content == b""
    assert client.get(f"/api/v1/contacts/{ana['id']}").status_code == 404
    assert client.delete(f"/api/v1/contacts/{ana['id']}").status_code == 404
    assert contact_count(core) == 0


def test_duplicate_number_is_409_naming_the_contact_that_has_it(client: TestClient) -> None:
    ana = create(client, ANA)

    response = client.post(
        "/api/v1/contacts", json={"display_name": "Other", "phones": ["+351-912-345-678"]}
    )

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["details"]["contact_id"] == ana["id"]
    assert error["field"] == "phones[0].number"
    assert error["code"] == "number_taken"


def test_custom_fields_are_defined_then_used(client: TestClient) -> None:
    defined = client.post("/api/v1/fields", json={"name": "shoe_size", "type": "number"})
    assert defined.status_code == 201
    assert defined.json() == {
        "name": "shoe_size",
        "type": "number",
        "choices": None,
        "sensitive": False,
    }
    assert [f["name"] for f in client.get("/api/v1/fields").json()] == ["shoe_size"]

    contact = create(client, {"display_name": "Ana", "custom": {"shoe_size": 38}})
    assert contact["custom"] == {"shoe_size": 38}

    again = client.post("/api/v1/fields", json={"name": "shoe_size", "type": "number"})
    assert again.status_code == 409
