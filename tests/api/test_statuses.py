"""GET/PUT /api/v1/statuses."""

from __future__ import annotations

from phonelist import Phonelist
from phonelist.security.permissions import Role
from tests.api.client import TestClient, bearer, new_token


def test_statuses_read_and_replace(client: TestClient, core: Phonelist) -> None:
    assert client.get("/api/v1/statuses").json() == {
        "statuses": ["lead", "customer", "member", "inactive"]
    }
    response = client.put("/api/v1/statuses", json={"statuses": ["prospect", "customer"]})
    assert response.status_code == 200 and response.json()["statuses"][0] == "prospect"
    created = client.post("/api/v1/contacts", json={"first_name": "A", "status": "customer"})
    assert created.status_code == 201
    refused = client.put("/api/v1/statuses", json={"statuses": ["prospect"]})
    assert refused.status_code == 409 and refused.json()["error"]["field"] == "statuses"
    editor = bearer(new_token(core, Role.EDITOR))
    assert (
        client.put("/api/v1/statuses", json={"statuses": ["x"]}, headers=editor).status_code == 403
    )
