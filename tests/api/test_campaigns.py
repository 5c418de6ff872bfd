"""/api/v1/campaigns and the contact's conversation, messages and calls, over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from phonelist import Phonelist
from phonelist.security.permissions import Role
from tests.api.client import TestClient, bearer, client_for, new_token
from tests.campaigns.support import disclose, person

CAMPAIGN: dict[str, Any] = {
    "name": "June offer",
    "body": "Hi {first_name|there}, our June offer is here.",
    "purpose": "marketing",
    "audience_kind": "list",
    "audience": "audience",
}


@pytest.fixture
def client(core: Phonelist) -> Any:
    disclose(core)
    person(core, "+12025550101", first_name="Ana")
    person(core, "+12025550102", consent=())
    with client_for(core) as client:
        client.headers.update(bearer(new_token(core, Role.EDITOR)))
        yield client


def test_compose_preview_launch_stats(client: TestClient) -> None:
    # Informational: the API reads the real clock, and marketing has quiet hours (H2).
    created = client.post("/api/v1/campaigns", json={**CAMPAIGN, "purpose": "informational"})
    assert created.status_code == 201, created.text
    campaign = created.json()
    assert (campaign["status"], campaign["channel"], campaign["schedule_kind"]) == (
        "draft",
        "sms",
        "now",
    )
    url = f"/api/v1/campaigns/{campaign['id']}"
    preview = client.post(f"{url}/preview", params={"sample": 1}).json()
    assert (preview["audience"], preview["send"], preview["excluded"]) == (2, 1, 1)
    assert preview["exclusions"]["no_consent"] == 1
    assert preview["samples"][0]["text"] == "Hi Ana, our June offer is here."
    assert preview["samples"][0]["to"] == "+12025550101"
    one = client.get(f"{url}/preview/{preview['samples'][0]['contact_id']}").json()
    assert one["outcome"] == "send"
    launched = client.post(f"{url}/launch")
    assert launched.status_code == 200
    assert (launched.json()["status"], launched.json()["queued"]) == ("sending", 1)
    again = client.post(f"{url}/launch").json()
    assert (again["enqueued"], again["queued"]) == (0, 1)
    stats = client.get(f"{url}/stats").json()
    assert stats["by_state"]["queued"] == 1 and stats["total"] == 1
    assert client.post(f"{url}/pause").json()["status"] == "paused"
    assert client.post(f"{url}/resume").json()["status"] == "sending"
    assert client.post(f"{url}/cancel").json()["status"] == "cancelled"
    assert client.get(f"{url}/stats").json()["by_state"]["cancelled"] == 1
    assert [c["id"] for c in client.get("/api/v1/campaigns").json()] == [campaign["id"]]


def test_errors_have_the_one_shape(core: Phonelist, client: TestClient) -> None:
    bad = client.post("/api/v1/campaigns", json={**CAMPAIGN, "body": "Hi {frist_name}"})
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "template_invalid"
    assert bad.json()["error"]["field"] == "body"
    missing = client.post("/api/v1/campaigns", json={**CAMPAIGN, "audience": "nope"})
    assert missing.status_code == 404
    emergency = client.post(
        "/api/v1/campaigns", json={**CAMPAIGN, "purpose": "emergency", "emergency_reason": "x"}
    )
    assert emergency.status_code == 403  # editors lack campaigns.emergency
    created = client.post("/api/v1/campaigns", json=CAMPAIGN).json()
    assert client.post(f"/api/v1/campaigns/{created['id']}/pause").status_code == 409


def test_approval_over_http(core: Phonelist) -> None:
    disclose(core)
    person(core, "+12025550101")
    person(core, "+12025550102")
    core.settings.campaign_approval_threshold = 1
    with client_for(core) as client:
        editor = bearer(new_token(core, Role.EDITOR))
        admin = bearer(new_token(core, Role.ADMIN))
        created = client.post("/api/v1/campaigns", json=CAMPAIGN, headers=editor).json()
        url = f"/api/v1/campaigns/{created['id']}"
        held = client.post(f"{url}/launch", headers=editor)
        assert held.status_code == 202
        assert held.json()["status"] == "awaiting_approval"
        assert client.post(f"{url}/approve", headers=editor).status_code == 403
        approved = client.post(f"{url}/approve", headers=admin)
        assert approved.json()["status"] == "approved"
        assert client.post(f"{url}/launch", headers=editor).json()["queued"] == 2


def test_conversation_messages_and_calls(core: Phonelist, client: TestClient) -> None:
    contact = core.contacts.page(core.cli_actor(), limit=5).items[0].id
    sent = client.post(f"/api/v1/contacts/{contact}/messages", json={"body": "It shipped"})
    assert sent.status_code == 202, sent.text
    assert sent.json()["text"] == "It shipped"
    call = client.post(
        f"/api/v1/contacts/{contact}/calls",
        json={"outcome": "voicemail", "notes": "Left a message", "at": "2026-01-05T10:00:00Z"},
    )
    assert call.status_code == 201, call.text
    thread = client.get(f"/api/v1/contacts/{contact}/conversation").json()
    assert [(m["kind"], m["body"]) for m in thread] == [
        ("call_log", "Left a message"),  # logged for an earlier instant: first
        ("direct", "It shipped"),
    ]
    assert thread[1]["number"] == "+12025550101"
    agent = bearer(new_token(core, Role.AGENT))
    masked = client.get(f"/api/v1/contacts/{contact}/conversation", headers=agent).json()
    assert all("\u2022" in m["number"] and m["number"].endswith("101") for m in masked)
    bare = core.contacts.page(core.cli_actor(), limit=5).items[1].id
    blocked = client.post(f"/api/v1/contacts/{bare}/messages", json={"body": "Hi"})
    assert blocked.status_code == 409
    assert blocked.json()["error"]["code"] == "policy_blocked"
    assert "consent_unknown" in blocked.json()["error"]["details"]["reasons"]
