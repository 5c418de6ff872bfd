"""/api/v1/segments: counts, pages, saved segments, export, freeze, fields and permissions."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlalchemy import func, select

from phonelist import Phonelist
from phonelist.security.permissions import Role
from phonelist.segments.bind import Catalog, CustomInfo, field_names
from phonelist.segments.fields import describe_fields
from phonelist.store.models import AuditEvent
from tests.api.client import TestClient, bearer, new_token
from tests.api.test_error_shape import assert_error_shape

PEOPLE: list[dict[str, Any]] = [
    {
        "display_name": "Maria Silva",
        "phones": ["+351912345001"],
        "country": "PT",
        "tags": ["vip"],
        "status": "customer",
        "custom": {"plan": "pro"},
    },
    {"display_name": "João", "phones": ["+351912345002"], "country": "PT", "tags": ["newsletter"]},
    {"display_name": "Ann", "phones": ["+14155550103"], "country": "US", "tags": ["vip"]},
]


@pytest.fixture
def people(client: TestClient) -> dict[str, str]:
    """Three contacts (two in PT, two VIPs) and a choice field; name -> contact id."""
    field = {"name": "plan", "type": "choice", "choices": ["free", "pro"]}
    assert client.post("/api/v1/fields", json=field).status_code == 201
    ids = {}
    for person in PEOPLE:
        response = client.post("/api/v1/contacts", json=person)
        assert response.status_code == 201, response.text
        ids[person["display_name"]] = response.json()["id"]
    return ids


def count(client: TestClient, query: str, **headers: str) -> dict[str, Any]:
    response = client.get("/api/v1/segments/count", params={"q": query}, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def audit_rows(core: Phonelist) -> int:
    with core.store.read() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


# -- count --------------------------------------------------------------------------------------
def test_count_does_nothing_else(
    client: TestClient, core: Phonelist, people: dict[str, str]
) -> None:
    before = audit_rows(core)
    assert count(client, "country = PT") == {"count": 2, "query": "country = PT", "warnings": []}
    assert count(client, "tag = vpi") == {
        "count": 0,
        "query": "tag = vpi",
        "warnings": ["no tag named 'vpi' (did you mean 'vip'?): it matches no one"],
    }
    assert audit_rows(core) == before  # no audit event: it is called on every keystroke


def test_query_errors_point_at_the_token(client: TestClient, people: dict[str, str]) -> None:
    response = client.get("/api/v1/segments/count", params={"q": "contry = PT"})

    assert response.status_code == 422
    assert assert_error_shape(response.json()) == {
        "code": "invalid_query",
        "message": "unknown field 'contry' — did you mean 'country'?",
        "field": "query",
        "details": {"position": 0, "end": 6, "suggestion": "country", "query": "contry = PT"},
    }
    unclosed = client.get("/api/v1/segments/count", params={"q": "(tag = vip"}).json()["error"]
    assert unclosed["code"] == "invalid_query"
    assert unclosed["details"]["position"] == len("(tag = vip")


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({}, "invalid", "q"),
        ({"q": ""}, "invalid", "q"),
        ({"q": "x" * 8_001}, "invalid", "q"),
        ({"q": "tag = " + "x" * 4_500}, "invalid_query", "query"),  # the parser's own limit
        ({"q": "   "}, "invalid_query", "query"),
    ],
)
def test_bad_q(client: TestClient, params: dict[str, str], code: str, field: str) -> None:
    response = client.get("/api/v1/segments/count", params=params)

    assert response.status_code == 422
    error = assert_error_shape(response.json())
    assert (error["code"], error["field"]) == (code, field)


# -- contacts -----------------------------------------------------------------------------------
def test_contacts_page_by_page(client: TestClient, people: dict[str, str]) -> None:
    query = {"q": "tag = vip OR tag = nobody", "limit": 1}
    first = client.get("/api/v1/segments/contacts", params=query).json()
    warning = "no tag named 'nobody': it matches no one"

    assert [c["id"] for c in first["items"]] == [people["Maria Silva"]]
    assert first["items"][0]["custom"] == {"plan": "pro"}
    assert (first["count"], first["warnings"]) == (2, [warning])
    second = client.get(
        "/api/v1/segments/contacts", params=query | {"cursor": first["next_cursor"]}
    ).json()
    assert [c["id"] for c in second["items"]] == [people["Ann"]]
    assert (second["count"], second["warnings"], second["next_cursor"]) == (None, [warning], None)
    too_many = client.get("/api/v1/segments/contacts", params={"q": "has tag", "limit": 501})
    assert too_many.status_code == 422 and too_many.json()["error"]["field"] == "limit"


# -- saved segments -----------------------------------------------------------------------------
def test_save_get_replace_delete(client: TestClient, people: dict[str, str]) -> None:
    created = client.post(
        "/api/v1/segments", json={"name": "VIP", "query": "tag=vip", "description": "best"}
    )
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/api/v1/segments/VIP"
    body = created.json()
    assert (body["name"], body["query"], body["description"]) == ("VIP", "tag = vip", "best")
    assert body["created_by"].startswith("token:")

    duplicate = client.post("/api/v1/segments", json={"name": "VIP", "query": "has tag"})
    assert duplicate.status_code == 409
    assert assert_error_shape(duplicate.json())["field"] == "name"

    assert client.get("/api/v1/segments/VIP").json() == body
    assert count(client, "VIP")["count"] == 2  # a name alone is the segment
    assert client.get("/api/v1/segments/VIP/count").json() == {
        "count": 2,
        "query": 'segment = "VIP"',
        "warnings": [],
    }

    replaced = client.put("/api/v1/segments/VIP", json={"query": "has tag"})
    assert replaced.status_code == 200
    assert (replaced.json()["query"], replaced.json()["description"]) == ("tag IS SET", None)
    new = client.put("/api/v1/segments/In%20PT", json={"query": "segment = VIP country = PT"})
    assert new.status_code == 201 and new.headers["location"] == "/api/v1/segments/In%20PT"
    assert [s["name"] for s in client.get("/api/v1/segments").json()] == ["In PT", "VIP"]

    used = client.delete("/api/v1/segments/VIP")
    assert used.status_code == 409
    assert used.json()["error"]["details"] == {"used_by": ["In PT"]}
    assert client.delete("/api/v1/segments/In PT").status_code == 204
    assert client.delete("/api/v1/segments/VIP").status_code == 204
    for gone in (
        client.get("/api/v1/segments/VIP"),
        client.get("/api/v1/segments/VIP/count"),
        client.delete("/api/v1/segments/VIP"),
    ):
        assert gone.status_code == 404
        assert assert_error_shape(gone.json())["code"] == "not_found"
    assert client.get("/api/v1/segments").json() == []


def test_names_that_look_like_paths(client: TestClient, people: dict[str, str]) -> None:
    """A name may hold a slash, or be one of the fixed paths' words."""
    for name in ("Sales/Q4", "count", "fields"):
        response = client.put(f"/api/v1/segments/{name}", json={"query": "country = PT"})
        assert response.status_code == 201, (name, response.text)
    assert client.get("/api/v1/segments/Sales%2FQ4").json()["name"] == "Sales/Q4"
    assert client.get("/api/v1/segments/Sales/Q4/count").json()["count"] == 2
    assert client.get("/api/v1/segments/count/count").json()["count"] == 2
    fixed = client.get("/api/v1/segments/count")  # the count endpoint, which needs q
    assert fixed.status_code == 422 and fixed.json()["error"]["field"] == "q"
    assert isinstance(client.get("/api/v1/segments/fields").json(), list)
    assert client.delete("/api/v1/segments/Sales/Q4").status_code == 204


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"name": "Bad", "query": "tag = = vip"}, "invalid_query", "query"),
        ({"name": "Bad", "query": "contry = PT"}, "invalid_query", "query"),
        ({"name": "Bad", "query": "has tag", "extra": 1}, "invalid", "extra"),
        ({"name": "", "query": "has tag"}, "invalid", "name"),
        ({"name": "Bad\x07", "query": "has tag"}, "invalid", "name"),
        ({"name": "Bad", "query": "has tag\x00"}, "invalid", "query"),
        ({"name": "Bad", "query": 5}, "invalid", "query"),
        ({"name": "Bad"}, "invalid", "query"),
    ],
)
def test_bad_saves_are_422(
    client: TestClient, people: dict[str, str], body: dict[str, Any], code: str, field: str
) -> None:
    response = client.post("/api/v1/segments", json=body)

    assert response.status_code == 422, response.text
    error = assert_error_shape(response.json())
    assert (error["code"], error["field"]) == (code, field)
    assert client.get("/api/v1/segments").json() == []


# -- export and freeze --------------------------------------------------------------------------
def test_export(client: TestClient, core: Phonelist, people: dict[str, str]) -> None:
    response = client.get(
        "/api/v1/segments/export", params={"q": "tag = vip", "columns": "id,display_name"}
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["x-export-rows"] == "2"
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        {"id": people["Maria Silva"], "display_name": "Maria Silva"},
        {"id": people["Ann"], "display_name": "Ann"},
    ]
    with core.store.read() as session:
        detail = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "contacts.export")
        ).one()
    assert detail["filters"] == {"segment": "tag = vip"}
    lines = client.get(
        "/api/v1/segments/export", params={"q": "country = US", "format": "jsonl"}
    ).text.splitlines()
    assert len(lines) == 1 and people["Ann"] in lines[0]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"q": "contry = PT"}, "invalid_query"),
        ({"q": "has tag", "format": "pdf"}, "export_bad_format"),
        ({"q": "has tag", "numbers": "roman"}, "export_bad_numbers"),
    ],
)
def test_bad_exports_answer_json(
    client: TestClient, people: dict[str, str], params: dict[str, str], code: str
) -> None:
    response = client.get("/api/v1/segments/export", params=params)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"
    assert assert_error_shape(response.json())["code"] == code


def test_freeze(client: TestClient, people: dict[str, str]) -> None:
    body = {"query": "country = PT", "list": "PT snapshot"}
    frozen = client.post("/api/v1/segments/freeze", json=body)

    assert frozen.status_code == 201, frozen.text
    assert frozen.json() == {"list": "PT snapshot", "contacts": 2}
    client.post("/api/v1/contacts", json={"display_name": "Late", "country": "PT"})
    assert count(client, 'list = "PT snapshot"')["count"] == 2
    assert count(client, "country = PT")["count"] == 3
    again = client.post("/api/v1/segments/freeze", json=body)
    assert again.status_code == 409 and again.json()["error"]["field"] == "list"
    bad = client.post("/api/v1/segments/freeze", json={"query": "contry = PT", "list": "x"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_query"


# -- fields -------------------------------------------------------------------------------------
def test_fields(client: TestClient, people: dict[str, str]) -> None:
    found = {f["name"]: f for f in client.get("/api/v1/segments/fields").json()}

    assert found["custom.plan"] == {
        "name": "custom.plan",
        "type": "choice",
        "description": "custom field (choice: free, pro)",
    }
    assert found["country"]["type"] == "code"
    assert found["sendable.sms.marketing"] == {
        "name": "sendable.sms.marketing",
        "type": "yes_no",
        "description": "the policy engine would allow marketing texts now",
    }


def test_every_field_is_described() -> None:
    catalog = Catalog(
        statuses=("lead", "customer"),
        custom={
            "plan": CustomInfo(1, "choice", ("free", "pro")),
            "score": CustomInfo(2, "number"),
            "secret": CustomInfo(3, "text", sensitive=True),
        },
    )
    described = describe_fields(catalog)

    assert [f.name for f in described] == [
        n for n in field_names(catalog) if n != "custom.secret"
    ]  # sensitive fields cannot be queried
    assert [f.name for f in described if f.type == "other" or not f.description] == []
    by_name = {f.name: f for f in described}
    assert by_name["status"].description == "the contact's status: lead, customer"
    assert (by_name["custom.score"].type, by_name["custom.score"].description) == (
        "number",
        "custom field (number)",
    )


# -- permissions --------------------------------------------------------------------------------
def test_a_viewer_reads_but_does_not_save_or_freeze(
    client: TestClient, core: Phonelist, people: dict[str, str]
) -> None:
    client.post("/api/v1/segments", json={"name": "VIP", "query": "tag = vip"})
    viewer = bearer(new_token(core, Role.VIEWER))

    reads = [
        client.get("/api/v1/segments/count", params={"q": "has tag"}, headers=viewer),
        client.get("/api/v1/segments/contacts", params={"q": "has tag"}, headers=viewer),
        client.get("/api/v1/segments/export", params={"q": "has tag"}, headers=viewer),
        client.get("/api/v1/segments/fields", headers=viewer),
        client.get("/api/v1/segments", headers=viewer),
        client.get("/api/v1/segments/VIP", headers=viewer),
        client.get("/api/v1/segments/VIP/count", headers=viewer),
    ]
    writes = [
        client.post("/api/v1/segments", json={"name": "x", "query": "has tag"}, headers=viewer),
        client.put("/api/v1/segments/VIP", json={"query": "has tag"}, headers=viewer),
        client.delete("/api/v1/segments/VIP", headers=viewer),
        client.post(
            "/api/v1/segments/freeze", json={"query": "has tag", "list": "x"}, headers=viewer
        ),
    ]

    assert [r.status_code for r in reads] == [200] * len(reads)
    assert [w.status_code for w in writes] == [403] * len(writes)
    assert {assert_error_shape(w.json())["code"] for w in writes} == {"forbidden"}
    assert client.get("/api/v1/segments/VIP").json()["query"] == "tag = vip"


def test_agents_freeze_and_editors_save(
    client: TestClient, core: Phonelist, people: dict[str, str]
) -> None:
    agent = bearer(new_token(core, Role.AGENT))
    editor = bearer(new_token(core, Role.EDITOR))
    body = {"name": "VIP", "query": "tag = vip"}

    assert client.post("/api/v1/segments", json=body, headers=agent).status_code == 403
    frozen = client.post(
        "/api/v1/segments/freeze", json={"query": "has tag", "list": "all"}, headers=agent
    )
    assert frozen.status_code == 201
    assert client.post("/api/v1/segments", json=body, headers=editor).status_code == 201
    assert client.delete("/api/v1/segments/VIP", headers=editor).status_code == 204


def test_every_segment_endpoint_needs_a_token(anonymous: TestClient) -> None:
    paths = anonymous.get("/api/v1/openapi.json").json()["paths"]
    routes = [
        (method.upper(), path.replace("{name}", "VIP"))
        for path, methods in paths.items()
        if path.startswith("/api/v1/segments")
        for method in methods
    ]

    answers = {route: anonymous.request(*route, json={}).status_code for route in routes}

    assert len(answers) == 11
    assert set(answers.values()) == {401}
