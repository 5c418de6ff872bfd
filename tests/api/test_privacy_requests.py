"""/api/v1/privacy/requests: the register over HTTP; owners and admins only."""

from __future__ import annotations

import datetime as dt

from phonelist import Phonelist
from phonelist.clock import utcnow
from phonelist.security.permissions import Role
from tests.api.client import TestClient, bearer, new_token

URL = "/api/v1/privacy/requests"
NUMBER = "+12025550143"


def test_add_list_extend_close(client: TestClient) -> None:
    received = (utcnow() - dt.timedelta(days=45)).isoformat()
    created = client.post(
        URL, json={"kind": "access", "number": NUMBER, "received_at": received, "note": "email"}
    )
    assert created.status_code == 201, created.text
    late = created.json()
    assert late["overdue"] is True and late["note"] == "email" and NUMBER not in created.text
    fresh = client.post(URL, json={"kind": "erasure", "number": NUMBER}).json()
    assert [r["id"] for r in client.get(URL, params={"overdue": "true"}).json()] == [late["id"]]
    assert len(client.get(URL, params={"status": "open"}).json()) == 2

    extended = client.post(f"{URL}/{late['id']}/extend", json={"months": 2, "reason": "complex"})
    assert extended.status_code == 200 and extended.json()["status"] == "extended"
    too_much = client.post(f"{URL}/{late['id']}/extend", json={"months": 1, "reason": "more"})
    assert too_much.status_code == 422 and too_much.json()["error"]["field"] == "months"

    refused = client.post(f"{URL}/{fresh['id']}/close", json={"status": "refused"})
    assert refused.status_code == 422
    closed = client.post(f"{URL}/{fresh['id']}/close", json={"status": "done", "outcome": "ok"})
    assert closed.json()["status"] == "done" and closed.json()["overdue"] is False
    again = client.post(f"{URL}/{fresh['id']}/close", json={"status": "done"})
    assert again.status_code == 409
    assert client.get(f"{URL}/{fresh['id']}").json()["outcome"] == "ok"


def test_bad_bodies_are_422(client: TestClient) -> None:
    assert client.post(URL, json={"kind": "complaint", "number": NUMBER}).status_code == 422
    assert client.post(URL, json={"kind": "access"}).status_code == 422  # no subject
    extra = client.post(URL, json={"kind": "access", "number": NUMBER, "name": "Ana"})
    assert extra.status_code == 422
    assert client.get(f"{URL}/not-an-id").status_code == 422


def test_an_editor_is_refused(client: TestClient, core: Phonelist) -> None:
    made = client.post(URL, json={"kind": "access", "number": NUMBER}).json()
    client.headers.update(bearer(new_token(core, Role.EDITOR)))
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}/{made['id']}").status_code == 403
    assert client.post(f"{URL}/{made['id']}/close", json={"status": "done"}).status_code == 403
