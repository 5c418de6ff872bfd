"""Every error the API gives has one shape (after datasette's tests/test_error_shape.py)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from phonelist import Phonelist
from phonelist.contacts.service import ContactService
from tests.api.client import TestClient, client_for

JSON = {"content-type": "application/json"}

BAD_REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/api/v1/contacts/nope", {}),
    ("GET", "/api/v1/no-such-endpoint", {}),
    ("PUT", "/api/v1/contacts", {"json": {}}),
    ("GET", "/api/v1/contacts?limit=0", {}),
    ("GET", "/api/v1/contacts?limit=many", {}),
    ("GET", "/api/v1/contacts?cursor=!!!", {}),
    ("GET", "/api/v1/search", {}),
    ("GET", "/api/v1/search?q=%20", {}),
    ("POST", "/api/v1/contacts", {}),
    ("POST", "/api/v1/contacts", {"json": {}}),
    ("POST", "/api/v1/contacts", {"json": []}),
    ("POST", "/api/v1/contacts", {"json": {"nope": 1}}),
    ("POST", "/api/v1/contacts", {"json": {"phones": ["not a number"]}}),
    ("POST", "/api/v1/contacts", {"json": {"display_name": "x", "status": "nope"}}),
    ("POST", "/api/v1/contacts", {"content": b"{", "headers": JSON}),
    ("POST", "/api/v1/contacts", {"content": b'{"display_name": "\xff"}', "headers": JSON}),
    ("POST", "/api/v1/contacts", {"content": b"x" * 2_100_000, "headers": JSON}),
    ("PATCH", "/api/v1/contacts/nope", {"json": {"city": "Porto"}}),
    ("POST", "/api/v1/contacts/nope/merge", {"json": {"source_id": "other"}}),
    ("POST", "/api/v1/contacts/nope/tags", {"json": {"tags": []}}),
    ("POST", "/api/v1/fields", {"json": {"name": "Bad Name", "type": "text"}}),
    ("DELETE", "/api/v1/tokens/nope", {}),
]


def assert_error_shape(body: Any) -> dict[str, Any]:
    assert isinstance(body, dict)
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "field", "details"}
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert error["field"] is None or isinstance(error["field"], str)
    assert isinstance(error["details"], dict)
    return dict(error)


@pytest.mark.parametrize(("method", "path", "kwargs"), BAD_REQUESTS)
def test_every_error_has_the_one_shape(
    client: TestClient, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    response = client.request(method, path, **kwargs)

    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/json"
    assert_error_shape(response.json())


def test_an_unknown_page_outside_the_api_is_an_html_page(client: TestClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def test_unauthenticated_error_has_the_one_shape(anonymous: TestClient) -> None:
    response = anonymous.get("/api/v1/contacts")

    assert_error_shape(response.json())


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"phones": [{"number": "+351912345678", "kind": "x"}]}, "phones[0].kind", "unknown"),
        ({"emails": [{"email": 5}]}, "emails[0].email", "string"),
        ({"display_name": "x", "tags": ["ok", ""]}, "tags[1]", "at least 1"),
        ({"phones": ["+351 912"]}, "phones[0].number", "+351 912"),
    ],
)
def test_invalid_input_names_the_field_by_path(
    client: TestClient, body: dict[str, Any], field: str, message: str
) -> None:
    response = client.post("/api/v1/contacts", json=body)

    assert response.status_code == 422
    error = assert_error_shape(response.json())
    assert error["code"].startswith(("invalid", "number_"))
    assert error["field"] == field
    assert message in error["message"]


def test_malformed_json_is_400(client: TestClient) -> None:
    response = client.post("/api/v1/contacts", content=b'{"display_name": ', headers=JSON)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


def test_method_not_allowed_keeps_its_allow_header(client: TestClient) -> None:
    response = client.put("/api/v1/contacts")

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_unexpected_error_is_a_bare_500_and_logged_without_its_message(
    core: Phonelist,
    token: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    number = "+351" + "912345678"  # built, so that the logged source line does not hold it

    def explode(self: ContactService, *args: object, **kwargs: object) -> None:
        raise RuntimeError(f"secret {number}")

    monkeypatch.setattr(ContactService, "get", explode)
    caplog.set_level(logging.ERROR, logger="phonelist")

    with client_for(core) as client:
        response = client.get("/api/v1/contacts/X", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 500
    error = assert_error_shape(response.json())
    assert error["code"] == "internal"
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert "RuntimeError" in caplog.text
    assert "explode" in caplog.text  # the stack is logged ...
    assert "+351912345678" not in caplog.text  # ... but not the message
