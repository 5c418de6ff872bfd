"""/api/v1/policy, /suppressions and /dnc: decisions, the do-not-contact list, the registry."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from phonelist import Phonelist
from phonelist.security.permissions import Role
from tests.api.client import TestClient, bearer, new_token

NUMBER = "+12025550143"
AT = "2026-03-04T16:00:00Z"  # a Wednesday, 11:00 in Washington


def check(client: TestClient, number: str = NUMBER, **fields: Any) -> dict[str, Any]:
    body = {"number": number, "channel": "sms", "purpose": "informational", "at": AT}
    response = client.post("/api/v1/policy/check", json=body | fields)
    assert response.status_code == 200, response.text
    return dict(response.json())


def codes(decision: dict[str, Any]) -> list[str]:
    return [r["code"] for r in decision["reasons"]]


def grant(client: TestClient, number: str, purpose: str = "informational") -> None:
    body = {"number": number, "channel": "sms", "purpose": purpose, "method": "api"}
    assert client.post("/api/v1/consent/grants", json=body).status_code == 201


def contact(client: TestClient, name: str, number: str) -> str:
    response = client.post("/api/v1/contacts", json={"display_name": name, "phones": [number]})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_check_answers_with_every_reason(client: TestClient) -> None:
    before = check(client)
    grant(client, NUMBER)

    after = check(client, number="202-555-0143", sender="Acme")

    assert before["allowed"] is False and "consent_unknown" in codes(before)
    assert after["allowed"] is True and after["number"] == NUMBER
    assert after["next_allowed_at"] == "2026-03-04T16:00:00+00:00"
    assert after["rules_version"] and after["time_zones"] == ["America/New_York"]
    assert {"rule", "code", "message", "blocks"} <= set(after["reasons"][0])


def test_check_defaults_at_to_now(client: TestClient) -> None:
    decision = client.post(
        "/api/v1/policy/check",
        json={"number": NUMBER, "channel": "sms", "purpose": "emergency"},
    ).json()

    at = dt.datetime.fromisoformat(decision["at"])
    assert abs(dt.datetime.now(dt.UTC) - at) < dt.timedelta(minutes=5)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": "email"}, "channel"),
        ({"purpose": "fun"}, "purpose"),
        ({"at": "2026-03-04T16:00:00"}, "at"),
        ({"at": "yesterday"}, "at"),
        ({"number": "12"}, "number"),
        ({"subject": ""}, "subject"),
    ],
)
def test_bad_check_is_422_naming_the_field(
    client: TestClient, change: dict[str, Any], field: str
) -> None:
    body = {"number": NUMBER, "channel": "sms", "purpose": "marketing"} | change

    response = client.post("/api/v1/policy/check", json=body)

    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field


def test_bulk_decisions_agree_with_check(client: TestClient) -> None:
    numbers = ["+12025550101", "+12025550102", "+12025550103", "+13055550104"]
    ids = {contact(client, f"Person {i}", n): n for i, n in enumerate(numbers)}
    grant(client, numbers[0])
    grant(client, numbers[1])
    grant(client, numbers[3])
    client.post("/api/v1/consent/revocations", json={"number": numbers[1]})
    client.post("/api/v1/suppressions", json={"number": numbers[3], "reason": "asked"})
    body = {"channel": "sms", "purpose": "informational", "at": AT}

    chosen = client.post("/api/v1/policy/decisions", json=body | {"contact_ids": list(ids)})
    everyone = client.post("/api/v1/policy/decisions", json=body)

    assert chosen.status_code == 200, chosen.text
    answer = chosen.json()
    assert answer == everyone.json()
    assert [d["contact_id"] for d in answer["decisions"]] == sorted(ids)
    for listed in answer["decisions"]:
        single = check(client, number=ids[listed["contact_id"]])
        assert listed["allowed"] == single["allowed"]
        assert listed["reasons"] == codes(single)
        assert listed["next_allowed_at"] == single["next_allowed_at"]
    assert answer["summary"] == {
        "allowed": 1,
        "blocked": 3,
        "by_reason": {"consent_unknown": 1, "consent_revoked": 1, "internal_dnc": 1},
    }
    assert answer["truncated"] is False and answer["not_found"] == []


def test_bulk_decisions_are_capped(client: TestClient) -> None:
    ids = sorted(contact(client, f"P{i}", f"+1202555020{i}") for i in range(3))
    body = {"channel": "voice", "purpose": "emergency", "at": AT}

    capped = client.post("/api/v1/policy/decisions", json=body | {"limit": 1}).json()
    named = client.post(
        "/api/v1/policy/decisions", json=body | {"contact_ids": [ids[2], "NOPE"], "limit": 0}
    ).json()
    too_many = client.post("/api/v1/policy/decisions", json=body | {"contact_ids": ["x"] * 10_001})

    assert capped["truncated"] is True and len(capped["decisions"]) == 1
    assert capped["summary"]["allowed"] + capped["summary"]["blocked"] == 3
    assert [d["contact_id"] for d in named["decisions"]] == [ids[2]]  # limit is for everyone
    assert named["not_found"] == ["NOPE"] and named["truncated"] is False
    assert too_many.status_code == 422 and too_many.json()["error"]["field"] == "contact_ids"


def test_internal_list_add_show_lift(client: TestClient) -> None:
    grant(client, NUMBER)
    added = client.post(
        "/api/v1/suppressions",
        json={"number": NUMBER, "source": "phone call", "reason": "asked not to be called"},
    )
    assert added.status_code == 201, added.text
    entry = added.json()
    assert (entry["kind"], entry["active"], entry["number"]) == ("internal_dnc", True, NUMBER)
    assert "internal_dnc" in codes(check(client))  # D1, whatever consent says
    assert [e["id"] for e in client.get("/api/v1/suppressions").json()] == [entry["id"]]

    lifted = client.post(f"/api/v1/suppressions/{entry['id']}/lift", json={"reason": "re-joined"})

    assert lifted.status_code == 200 and lifted.json()["lifted_at"] is not None
    assert client.get("/api/v1/suppressions").json() == []
    assert len(client.get("/api/v1/suppressions?include_lifted=true").json()) == 1
    history = client.get("/api/v1/suppressions/number/%2B12025550143").json()
    assert [(e["id"], e["active"]) for e in history] == [(entry["id"], False)]
    assert check(client)["allowed"] is True
    assert client.post("/api/v1/suppressions/NOPE/lift", json={"reason": "x"}).status_code == 404
    no_reason = client.post(f"/api/v1/suppressions/{entry['id']}/lift", json={})
    assert no_reason.status_code == 422 and no_reason.json()["error"]["field"] == "reason"
    bad_kind = client.post("/api/v1/suppressions", json={"number": NUMBER, "kind": "whim"})
    assert bad_kind.status_code == 422 and bad_kind.json()["error"]["field"] == "kind"


def test_a_viewer_may_check_but_not_suppress_or_import(client: TestClient, core: Phonelist) -> None:
    viewer = bearer(new_token(core, Role.VIEWER))
    entry = client.post("/api/v1/suppressions", json={"number": NUMBER}).json()

    writes = [
        client.post("/api/v1/suppressions", json={"number": NUMBER}, headers=viewer),
        client.post(
            f"/api/v1/suppressions/{entry['id']}/lift", json={"reason": "x"}, headers=viewer
        ),
        client.post(
            "/api/v1/dnc/imports",
            files={"file": ("202.txt", b"2025550143\n", "text/plain")},
            data={"registry_date": "2026-11-01"},
            headers=viewer,
        ),
    ]

    assert [w.status_code for w in writes] == [403, 403, 403]
    assert {w.json()["error"]["code"] for w in writes} == {"forbidden"}
    assert client.get("/api/v1/suppressions", headers=viewer).status_code == 200
    assert client.get("/api/v1/dnc/status", headers=viewer).json() == []
    assert (
        client.post(
            "/api/v1/policy/check",
            json={"number": NUMBER, "channel": "sms", "purpose": "marketing", "at": AT},
            headers=viewer,
        ).status_code
        == 200
    )


def test_registry_upload_blocks_marketing(client: TestClient, core: Phonelist) -> None:
    registry_date = dt.date.today() - dt.timedelta(days=2)
    response = client.post(
        "/api/v1/dnc/imports",
        files={"file": ("../dnc/202 full.txt", b"2025550143\n202,5550199\n", "text/plain")},
        data={"registry_date": registry_date.isoformat(), "kind": "full"},
    )

    assert response.status_code == 201, response.text
    assert response.json() == {
        "file": "202_full.txt",
        "registry": "us_dnc",
        "kind": "full",
        "area_codes": ["202"],
        "added": 2,
        "deleted": 0,
    }
    status = client.get("/api/v1/dnc/status").json()
    assert [(s["area_code"], s["numbers"], s["stale"]) for s in status] == [("202", 2, False)]
    at = dt.datetime.combine(registry_date + dt.timedelta(days=1), dt.time(16), dt.UTC)
    decision = check(client, purpose="marketing", at=at.isoformat())
    registered = [r for r in decision["reasons"] if r["code"] == "dnc_registered"]
    assert decision["allowed"] is False and [r["rule"] for r in registered] == ["D2"]
    assert not any((core.settings.data_dir / "uploads").iterdir())  # the upload is removed


@pytest.mark.parametrize(
    ("content", "data", "field"),
    [
        (b"2025550143\nnot a number\n", {"registry_date": "2026-11-01"}, "file"),
        (b"2025550143\n", {}, "registry_date"),
        (b"2025550143\n", {"registry_date": "2999-01-01"}, "registry_date"),
        (b"2025550143\n", {"registry_date": "2026-11-01", "kind": "weekly"}, "file"),
        (b"2025550143\n", {"registry_date": "2026-11-01", "registry": "fr"}, "registry"),
    ],
)
def test_bad_registry_upload_is_422_and_changes_nothing(
    client: TestClient, content: bytes, data: dict[str, str], field: str
) -> None:
    response = client.post(
        "/api/v1/dnc/imports", files={"file": ("202.txt", content, "text/plain")}, data=data
    )

    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field
    assert client.get("/api/v1/dnc/status").json() == []


def test_every_consent_and_policy_endpoint_needs_a_token(anonymous: TestClient) -> None:
    prefixes = ("/api/v1/consent", "/api/v1/policy", "/api/v1/suppressions", "/api/v1/dnc")
    others = ("/api/v1/inbound", "/api/v1/provider-signals")
    paths = anonymous.get("/api/v1/openapi.json").json()["paths"]
    routes = [
        (method.upper(), path.replace("{number}", "%2B12025550143").replace("_id}", "}"))
        for path, methods in paths.items()
        if path.startswith(prefixes) or path in others
        for method in methods
    ]

    answers = {route: anonymous.request(*route, json={}).status_code for route in routes}

    assert len(answers) == 21
    assert set(answers.values()) == {401}
