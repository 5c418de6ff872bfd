"""Bearer tokens: who gets in, and what each role may do."""

from __future__ import annotations

import datetime as dt

import pytest

from phonelist import Phonelist
from phonelist.security import tokens
from phonelist.security.permissions import Role
from tests.api.client import TestClient, bearer, contact_count, new_token


def assert_unauthenticated(response_status: int, headers: dict[str, str], body: object) -> None:
    assert response_status == 401
    assert headers.get("www-authenticate") == "Bearer"
    assert isinstance(body, dict)
    assert body["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer pl_not-a-real-token"},
        {"Authorization": "Bearer not-even-the-prefix"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer " + "pl_" + "x" * 5000},
    ],
    ids=["none", "empty", "no-secret", "unknown", "no-prefix", "basic", "huge"],
)
def test_missing_or_bad_token_is_401(anonymous: TestClient, headers: dict[str, str]) -> None:
    response = anonymous.get("/api/v1/contacts", headers=headers)

    assert_unauthenticated(response.status_code, dict(response.headers), response.json())


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/contacts"),
        ("GET", "/api/v1/contacts/X"),
        ("PATCH", "/api/v1/contacts/X"),
        ("DELETE", "/api/v1/contacts/X"),
        ("POST", "/api/v1/contacts/X/merge"),
        ("POST", "/api/v1/contacts/X/tags"),
        ("DELETE", "/api/v1/contacts/X/tags/t"),
        ("POST", "/api/v1/contacts/X/notes"),
        ("GET", "/api/v1/search?q=ana"),
        ("GET", "/api/v1/fields"),
        ("POST", "/api/v1/fields"),
        ("GET", "/api/v1/tokens"),
        ("POST", "/api/v1/tokens"),
        ("DELETE", "/api/v1/tokens/X"),
    ],
)
def test_every_endpoint_needs_a_token(anonymous: TestClient, method: str, path: str) -> None:
    body = {"display_name": "x"} if method in ("POST", "PATCH") else None

    response = anonymous.request(method, path, json=body)

    assert_unauthenticated(response.status_code, dict(response.headers), response.json())


def test_revoked_token_is_401(client: TestClient, core: Phonelist) -> None:
    secret = new_token(core, Role.EDITOR)
    [info] = [t for t in client.get("/api/v1/tokens").json() if t["role"] == "editor"]
    assert client.get("/api/v1/contacts", headers=bearer(secret)).status_code == 200

    revoked = client.delete(f"/api/v1/tokens/{info['id']}")

    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    response = client.get("/api/v1/contacts", headers=bearer(secret))
    assert_unauthenticated(response.status_code, dict(response.headers), response.json())


def test_expired_token_is_401(
    anonymous: TestClient, core: Phonelist, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = new_token(core, Role.OWNER, expires_in_days=1)
    assert anonymous.get("/api/v1/contacts", headers=bearer(secret)).status_code == 200
    now = tokens.utcnow()
    monkeypatch.setattr(tokens, "utcnow", lambda: now + dt.timedelta(days=1, seconds=1))

    response = anonymous.get("/api/v1/contacts", headers=bearer(secret))

    assert_unauthenticated(response.status_code, dict(response.headers), response.json())


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/contacts", {"display_name": "New"}),
        ("PATCH", "/api/v1/contacts/{id}", {"city": "Porto"}),
        ("DELETE", "/api/v1/contacts/{id}", None),
        ("POST", "/api/v1/contacts/{id}/tags", {"tags": ["x"]}),
        ("DELETE", "/api/v1/contacts/{id}/tags/vip", None),
        ("POST", "/api/v1/contacts/{id}/notes", {"body": "hello"}),
        ("POST", "/api/v1/contacts/{id}/merge", {"source_id": "{id}"}),
        ("POST", "/api/v1/fields", {"name": "size", "type": "number"}),
        ("GET", "/api/v1/tokens", None),
        ("POST", "/api/v1/tokens", {"name": "mine", "role": "viewer"}),
    ],
)
def test_viewer_may_read_but_not_write(
    client: TestClient,
    core: Phonelist,
    method: str,
    path: str,
    body: dict[str, object] | None,
) -> None:
    ana = client.post("/api/v1/contacts", json={"display_name": "Ana", "tags": ["vip"]}).json()
    viewer = bearer(new_token(core, Role.VIEWER))
    if body and body.get("source_id") == "{id}":
        body = {"source_id": ana["id"]}

    response = client.request(method, path.format(id=ana["id"]), json=body, headers=viewer)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert client.get(f"/api/v1/contacts/{ana['id']}").json() == ana
    assert contact_count(core) == 1
    assert client.get(f"/api/v1/contacts/{ana['id']}", headers=viewer).status_code == 200
    assert client.get("/api/v1/contacts", headers=viewer).status_code == 200


def test_tokens_are_created_listed_and_the_secret_shown_once(
    client: TestClient, anonymous: TestClient
) -> None:
    response = client.post(
        "/api/v1/tokens", json={"name": "importer", "role": "editor", "expires_in_days": 7}
    )

    assert response.status_code == 201
    created = response.json()
    assert created["role"] == "editor"
    assert created["secret"].startswith(created["prefix"])
    listed = {t["id"]: t for t in client.get("/api/v1/tokens").json()}
    assert "secret" not in listed[created["id"]]
    editor = bearer(created["secret"])
    assert (
        anonymous.post("/api/v1/contacts", json={"display_name": "x"}, headers=editor).status_code
        == 201
    )


def test_a_token_cannot_create_a_stronger_one(client: TestClient, core: Phonelist) -> None:
    admin = bearer(new_token(core, Role.ADMIN))

    response = client.post("/api/v1/tokens", json={"name": "up", "role": "owner"}, headers=admin)

    assert response.status_code == 403


def test_unknown_role_is_422(client: TestClient) -> None:
    response = client.post("/api/v1/tokens", json={"name": "x", "role": "god"})

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "role"
