"""The access log names routes, never what the client typed into the URL."""

from __future__ import annotations

import logging

import pytest

from tests.api.client import TestClient


def test_access_log_shows_route_templates_not_paths_or_queries(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="phonelist.access")

    client.get("/api/v1/search", params={"q": "+351 912 345 678"})
    client.get("/api/v1/contacts/ana@example.org")
    client.get("/api/v1/contatcs/+351912345678")
    client.get("/api/v1/openapi.json")

    lines = [r.getMessage() for r in caplog.records if r.name == "phonelist.access"]
    assert [line.rsplit(" ", 1)[0] for line in lines] == [
        "GET /api/v1/search 200",
        "GET /api/v1/contacts/{contact_id} 404",
        "GET (unmatched) 404",
        "GET /api/v1/openapi.json 200",
    ]
    assert "912" not in caplog.text
    assert "ana@" not in caplog.text
