"""Probes and the API description, reachable without a token."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sqlalchemy import text

from phonelist import Phonelist
from phonelist.store import Store, build_engine
from phonelist.store.migrate import head_revision
from tests.api.client import TestClient, client_for
from tests.api.test_error_shape import assert_error_shape


def test_healthz_says_ok(anonymous: TestClient) -> None:
    response = anonymous.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_says_ok_when_the_schema_is_current(anonymous: TestClient) -> None:
    response = anonymous.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def set_revision(core: Phonelist, revision: str | None) -> None:
    with core.store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def test_readyz_is_503_when_the_schema_is_behind(core: Phonelist, anonymous: TestClient) -> None:
    set_revision(core, "older")
    try:
        response = anonymous.get("/readyz")
    finally:  # the PostgreSQL database is shared by the whole run
        set_revision(core, head_revision())

    assert response.status_code == 503
    assert assert_error_shape(response.json())["code"] == "not_ready"


def test_readyz_is_503_when_the_database_is_unreachable(core: Phonelist, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir" / "phonelist.db"
    unreachable = dataclasses.replace(core, store=Store(build_engine(f"sqlite:///{missing}")))

    with client_for(unreachable) as client:
        response = client.get("/readyz")
        assert client.get("/healthz").status_code == 200

    assert response.status_code == 503
    assert assert_error_shape(response.json())["code"] == "store_unavailable"
    unreachable.store.dispose()


def test_openapi_lists_the_routes_and_the_bearer_scheme(anonymous: TestClient) -> None:
    response = anonymous.get("/api/v1/openapi.json")

    assert response.status_code == 200
    spec = response.json()
    paths = spec["paths"]
    assert set(paths["/api/v1/contacts"]) == {"get", "post"}
    assert set(paths["/api/v1/contacts/{contact_id}"]) == {"get", "patch", "delete"}
    for path in (
        "/api/v1/contacts/{contact_id}/merge",
        "/api/v1/contacts/{contact_id}/tags",
        "/api/v1/contacts/{contact_id}/tags/{tag}",
        "/api/v1/contacts/{contact_id}/notes",
        "/api/v1/search",
        "/api/v1/fields",
        "/api/v1/tokens",
        "/api/v1/tokens/{token_id}",
    ):
        assert path in paths
    assert spec["components"]["securitySchemes"]["token"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["token"]["description"],
    }
    assert paths["/api/v1/contacts"]["post"]["security"] == [{"token": []}]
    assert not any(p.startswith(("/signin", "/contacts")) for p in paths)


def test_docs_page_is_served_with_a_policy_that_lets_it_load(anonymous: TestClient) -> None:
    response = anonymous.get("/api/v1/docs")

    assert response.status_code == 200
    assert "swagger-ui" in response.text
    assert "cdn.jsdelivr.net" in response.headers["content-security-policy"]
    strict = anonymous.get("/api/v1/openapi.json").headers["content-security-policy"]
    assert "cdn.jsdelivr.net" not in strict and "unsafe-inline" not in strict
