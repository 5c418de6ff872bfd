"""Hostile input: every bad request is a 4xx in the error shape and writes nothing;
every awkward but valid string comes back byte for byte."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from phonelist import Phonelist
from tests.api.client import TestClient, contact_count
from tests.api.test_error_shape import assert_error_shape

JSON = {"content-type": "application/json"}
MEGABYTE = "x" * 1_000_000

FULL: dict[str, Any] = {
    "display_name": "Ana Sousa",
    "first_name": "Ana",
    "last_name": "Sousa",
    "phones": [{"number": "+351 912 345 678", "label": "mobile"}],
    "emails": [{"email": "ana@example.org", "label": "work"}],
    "country": "PT",
    "region": "Lisboa",
    "city": "Lisboa",
    "postal_code": "1000-001",
    "time_zone": "Europe/Lisbon",
    "status": "lead",
    "tags": ["vip"],
    "lists": ["newsletter"],
    "custom": {"nickname": "Aninhas"},
    "source": "fair",
    "note": "met at the fair",
}

# Where each string of a contact lives in FULL, and its maximum length.
STRING_FIELDS: dict[str, int] = {
    "display_name": 200,
    "first_name": 200,
    "last_name": 200,
    "phones.0.label": 32,
    "emails.0.label": 32,
    "region": 100,
    "city": 100,
    "postal_code": 20,
    "tags.0": 64,
    "lists.0": 100,
    "custom.nickname": 1000,
    "source": 100,
    "note": 10_000,
}
EVERY_STRING = [
    *STRING_FIELDS,
    "phones.0.number",
    "emails.0.email",
    "country",
    "time_zone",
    "status",
]


def with_value(path: str, value: Any, base: dict[str, Any] = FULL) -> dict[str, Any]:
    body = copy.deepcopy(base)
    *parents, last = path.split(".")
    node: Any = body
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[int(last) if last.isdigit() else last] = value
    return body


def read(body: dict[str, Any], path: str) -> Any:
    node: Any = body
    for part in path.split("."):
        node = node[int(part)] if part.isdigit() else node[part]
    return node


@pytest.fixture
def api(client: TestClient) -> Iterator[TestClient]:
    """The owner's client, with the custom field the FULL contact uses."""
    assert client.post("/api/v1/fields", json={"name": "nickname", "type": "text"}).is_success
    yield client


CONTROL_CHARACTERS = ("\x00", "\x1b", "\x7f", "\u0085")


def bad_bodies() -> Iterator[Any]:
    """Each case is a tuple of bad bodies (one, or one per control character)."""
    for path in EVERY_STRING:
        yield pytest.param((with_value(path, MEGABYTE),), id=f"megabyte-{path}")
    for path in EVERY_STRING:
        yield pytest.param(
            tuple(with_value(path, f"a{char}b") for char in CONTROL_CHARACTERS),
            id=f"control-{path}",
        )
    yield pytest.param((with_value("custom", {MEGABYTE: "x"}),), id="megabyte-custom-key")
    yield pytest.param((with_value("custom", {"nope": "x"}),), id="unknown-custom-field")
    yield pytest.param((with_value("unknown", 1),), id="unknown-top-level")
    yield pytest.param((with_value("phones.0.kind", "cell"),), id="unknown-nested-phone")
    yield pytest.param((with_value("emails.0.kind", "home"),), id="unknown-nested-email")
    wrong_types = [
        ("display_name", 5),
        ("display_name", True),
        ("display_name", ["Ana"]),
        ("display_name", {"text": "Ana"}),
        ("phones", "+351912345678"),
        ("phones", [5]),
        ("phones.0.number", 351912345678),
        ("phones.0.primary", "yes"),
        ("emails", {"email": "ana@example.org"}),
        ("tags", "vip"),
        ("tags", [1]),
        ("lists", None),
        ("custom", ["nickname"]),
        ("custom.nickname", 5),
        ("note", 5),
        ("country", "pt"),
        ("time_zone", "Lisbon"),
        ("status", "nope"),
        ("phones.0.number", "not a number"),
        ("emails.0.email", "not an email"),
    ]
    yield pytest.param(tuple(with_value(p, v) for p, v in wrong_types), id="wrong-values")
    yield pytest.param((None, 5, "text", [], [FULL]), id="wrong-body-types")


@pytest.mark.parametrize("bodies", bad_bodies())
def test_bad_create_is_refused_and_writes_nothing(
    api: TestClient, core: Phonelist, bodies: tuple[Any, ...]
) -> None:
    existing = api.post("/api/v1/contacts", json=with_value("phones.0.number", "+351913000000"))
    assert existing.status_code == 201

    for body in bodies:
        response = api.post("/api/v1/contacts", json=body)

        assert response.status_code in (400, 409, 422), response.text[:300]
        assert_error_shape(response.json())
        assert len(response.content) < 2000  # the input is never echoed
    assert contact_count(core) == 1
    assert api.get(f"/api/v1/contacts/{existing.json()['id']}").json() == existing.json()


@pytest.mark.parametrize(
    "content",
    [
        b'{"display_name": "\xff\xfe"}',
        b'{"display_name": "\xc3\x28"}',
        b'{"display_name": "\xed\xa0\x80"}',  # a surrogate, encoded as if it were a character
        b"\xff\xfe{\x00}\x00",
        b'{"display_name": "Ana", "phones": ["+351 912\x80 345 678"]}',
    ],
)
def test_invalid_utf8_is_400(api: TestClient, core: Phonelist, content: bytes) -> None:
    response = api.post("/api/v1/contacts", content=content, headers=JSON)

    assert response.status_code == 400
    assert assert_error_shape(response.json())["code"] == "malformed_json"
    assert contact_count(core) == 0


def test_json_escaped_lone_surrogate_is_422(api: TestClient, core: Phonelist) -> None:
    response = api.post("/api/v1/contacts", content=b'{"display_name": "\\ud800"}', headers=JSON)

    assert response.status_code == 422
    assert assert_error_shape(response.json())["field"] == "display_name"
    assert contact_count(core) == 0


@pytest.mark.parametrize(
    "content",
    [b"", b"{", b"{]", b'{"display_name": "Ana",}', b"[" * 100_000, b"NaN", b"\x00"],
    ids=["empty", "open", "mismatched", "trailing-comma", "deep", "nan", "nul"],
)
def test_malformed_json_is_4xx(api: TestClient, core: Phonelist, content: bytes) -> None:
    response = api.post("/api/v1/contacts", content=content, headers=JSON)

    assert response.status_code in (400, 422)
    assert_error_shape(response.json())
    assert contact_count(core) == 0


def test_body_over_the_limit_by_content_length_is_413(api: TestClient, core: Phonelist) -> None:
    limit = core.settings.max_request_bytes
    body = with_value("note", "x" * limit)

    response = api.post("/api/v1/contacts", json=body)

    assert response.status_code == 413
    assert assert_error_shape(response.json())["code"] == "too_large"
    assert contact_count(core) == 0


def test_body_over_the_limit_while_streaming_is_413(api: TestClient, core: Phonelist) -> None:
    limit = core.settings.max_request_bytes

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        yield b'{"display_name": "'
        for _ in range(limit // 65_536 + 2):
            yield b"x" * 65_536
        yield b'"}'

    response = api.post("/api/v1/contacts", content=chunks(), headers=JSON)

    assert response.status_code == 413
    assert assert_error_shape(response.json())["code"] == "too_large"
    assert contact_count(core) == 0


def test_a_lying_content_length_is_refused(api: TestClient) -> None:
    response = api.post(
        "/api/v1/contacts", content=b"{}", headers={**JSON, "content-length": "many"}
    )

    assert response.status_code in (400, 413)


def test_a_bad_patch_changes_nothing(api: TestClient) -> None:
    ana = api.post("/api/v1/contacts", json=FULL).json()
    other = api.post("/api/v1/contacts", json={"phones": ["+351 913 000 000"]}).json()

    refused = [
        api.patch(f"/api/v1/contacts/{ana['id']}", json=body)
        for body in (
            {"city": "Porto", "phones": ["not a number"]},
            {"display_name": "Changed", "phones": ["+351 913 000 000"]},
            {"display_name": "Changed", "custom": {"nope": 1}},
            {"display_name": "Changed", "status": "nope"},
            {"display_name": "Changed", "note": "notes are added, not patched"},
        )
    ]

    assert [r.status_code for r in refused] == [422, 409, 422, 422, 422]
    assert refused[1].json()["error"]["details"]["contact_id"] == other["id"]
    assert api.get(f"/api/v1/contacts/{ana['id']}").json() == ana


AWKWARD = [
    "Robert'); DROP TABLE contacts;--",
    "1' OR '1'='1' /* %_ \\ */",
    '<script>alert("x")</script> &amp; &lt;b&gt;',
    "José Ñandú Ærøskøbing Łódź Şişli Đorđe",
    "😀👩🏽‍💻 🇵🇹 ✓",
    "e\u0301 then \u00e9",  # decomposed and composed é, kept apart
    "`$(id)` ${HOME} {{ 7*7 }} {% raw %}",
    "  spaced  out  ",
]


@pytest.mark.parametrize("text", AWKWARD)
def test_awkward_strings_round_trip_byte_for_byte(api: TestClient, text: str) -> None:
    body = copy.deepcopy(FULL)
    for path, max_length in STRING_FIELDS.items():
        body = with_value(path, text[:max_length], body)
    local = "".join(c for c in text if not c.isspace())[:60] or "x"
    body = with_value("emails.0.email", f"{local}@exämple.org", body)

    created = api.post("/api/v1/contacts", json=body)

    assert created.status_code == 201, created.text
    for response in (created, api.get(f"/api/v1/contacts/{created.json()['id']}")):
        contact = response.json()
        for path, max_length in STRING_FIELDS.items():
            if path == "note":
                assert contact["notes"][0]["body"] == text
            else:
                assert read(contact, path) == text[:max_length], path
        assert contact["emails"][0]["email"] == f"{local}@exämple.org"
    listed = api.get("/api/v1/contacts").json()["items"]
    assert listed == [api.get(f"/api/v1/contacts/{created.json()['id']}").json()]
