"""/api/v1/audit and /api/v1/audit/verify: owners and admins only."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from phonelist import Phonelist
from phonelist.security.permissions import Role
from phonelist.store.models import AuditEvent
from tests.api.client import TestClient, bearer, new_token


def test_events_are_listed_newest_first_and_paged(client: TestClient) -> None:
    for name in ("a", "b", "c"):
        created = client.post("/api/v1/tokens", json={"name": name, "role": "viewer"})
        assert created.status_code == 201

    first = client.get("/api/v1/audit", params={"action": "token.create", "limit": 2})
    assert first.status_code == 200, first.text
    body = first.json()
    assert [e["action"] for e in body["items"]] == ["token.create"] * 2
    assert body["items"][0]["seq"] > body["items"][1]["seq"]
    assert body["items"][0]["actor"].startswith("token:")
    assert body["next_cursor"] == body["items"][-1]["id"]

    rest = client.get(
        "/api/v1/audit", params={"action": "token.create", "cursor": body["next_cursor"]}
    ).json()
    seen = {e["id"] for e in body["items"]} | {e["id"] for e in rest["items"]}
    assert len(seen) == 4  # three here, one for the fixture's owner token
    assert rest["next_cursor"] is None


def test_filters(client: TestClient, core: Phonelist) -> None:
    token_id = client.post("/api/v1/tokens", json={"name": "x", "role": "viewer"}).json()["id"]
    by_subject = client.get(
        "/api/v1/audit", params={"subject_type": "token", "subject_id": token_id}
    ).json()
    assert [e["subject_id"] for e in by_subject["items"]] == [token_id]
    family = client.get("/api/v1/audit", params={"action": "user."}).json()
    assert {e["action"] for e in family["items"]} == {"user.create"}
    actor = family["items"][0]["actor"]
    by_actor = client.get("/api/v1/audit", params={"actor": actor}).json()
    assert {e["actor"] for e in by_actor["items"]} == {actor}
    future = client.get("/api/v1/audit", params={"since": "2999-01-01T00:00:00"}).json()
    assert future["items"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 100000},
        {"cursor": "x"},
        {"cursor": 2**31},  # past the 32-bit event id: a 503 on PostgreSQL (schemathesis)
        {"since": "soon"},
        # A NUL in a filter: a 503 on PostgreSQL (schemathesis); every control character is a 422.
        {"action": "user\x00"},
        {"actor": "user:\x00"},
        {"subject_type": "\x00"},
        {"subject_id": "a\x1fb"},
    ],
)
def test_bad_parameters_are_400s(client: TestClient, params: dict[str, object]) -> None:
    response = client.get("/api/v1/audit", params=params)
    assert response.status_code in (400, 422), response.text
    assert "error" in response.json()


def test_verify_reports_a_sound_chain_then_a_cut_tail(client: TestClient, core: Phonelist) -> None:
    sound = client.get("/api/v1/audit/verify").json()
    assert sound["ok"] is True and sound["problems"] == []
    assert sound["events"] == sound["head_seq"] >= 2

    with core.store.read() as session:
        last = session.scalar(select(func.max(AuditEvent.id)))
    with core.store.engine.begin() as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.id == last))

    broken = client.get("/api/v1/audit/verify")
    assert broken.status_code == 200
    assert broken.json()["ok"] is False
    assert [p["kind"] for p in broken.json()["problems"]] == ["cut_tail"]


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_owners_and_admins_may_read(core: Phonelist, anonymous: TestClient, role: Role) -> None:
    headers = bearer(new_token(core, role))
    assert anonymous.get("/api/v1/audit", headers=headers).status_code == 200
    assert anonymous.get("/api/v1/audit/verify", headers=headers).status_code == 200


@pytest.mark.parametrize("role", [Role.EDITOR, Role.AGENT, Role.VIEWER])
@pytest.mark.parametrize("path", ["/api/v1/audit", "/api/v1/audit/verify"])
def test_other_roles_are_refused(
    core: Phonelist, anonymous: TestClient, role: Role, path: str
) -> None:
    response = anonymous.get(path, headers=bearer(new_token(core, role)))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("path", ["/api/v1/audit", "/api/v1/audit/verify"])
def test_no_token_is_a_401(anonymous: TestClient, path: str) -> None:
    assert anonymous.get(path).status_code == 401
