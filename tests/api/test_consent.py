"""/api/v1/consent, /inbound and /provider-signals: consent in, opt-outs in, proof out."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from phonelist import Phonelist
from phonelist.security.permissions import Role
from phonelist.store.models import ConsentRecord
from tests.api.client import TestClient, bearer, new_token

NUMBER = "+12025550143"
IN_PATH = "%2B12025550143"
AT = "2026-03-04T16:00:00Z"  # a Wednesday, 11:00 in Washington: inside every window
DISCLOSURE = {
    "name": "web-signup",
    "text": "I agree to receive automated marketing texts from Acme. "
    "Consent is not a condition of purchase.",
    "automated_marketing": True,
    "not_condition_of_purchase": True,
}


def grant(client: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"number": NUMBER, "channel": "sms", "purpose": "marketing", "method": "web_form"}
    response = client.post("/api/v1/consent/grants", json=body | fields)
    assert response.status_code == 201, response.text
    return dict(response.json())


def state(client: TestClient, number: str = IN_PATH) -> dict[tuple[str, str], dict[str, Any]]:
    response = client.get(f"/api/v1/consent/{number}")
    assert response.status_code == 200, response.text
    return {(c["channel"], c["purpose"]): c for c in response.json()["consents"]}


def check(client: TestClient, purpose: str = "marketing") -> dict[str, Any]:
    body = {"number": NUMBER, "channel": "sms", "purpose": purpose, "at": AT}
    response = client.post("/api/v1/policy/check", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def codes(decision: dict[str, Any]) -> set[str]:
    return {r["code"] for r in decision["reasons"]}


def test_grant_keeps_the_persons_ip_never_the_callers(client: TestClient, core: Phonelist) -> None:
    assert client.post("/api/v1/consent/disclosures", json=DISCLOSURE).status_code == 201
    written = grant(
        client,
        disclosure="web-signup",
        affirmative_action="ticked the unchecked box and pressed Join",
        source_url="https://acme.example/join",
        ip="198.51.100.7",
        user_agent="Mozilla/5.0 (Android 14)",
        evidence={"campaign": "spring"},
    )
    bare = grant(client, purpose="informational", method="api")

    assert written["number"] == NUMBER and len(written["record_ids"]) == 1
    now = state(client)
    assert now[("sms", "marketing")]["status"] == "granted"
    assert now[("sms", "marketing")]["written"] is True
    assert now[("voice", "marketing")]["status"] == "unknown"
    pack = client.get(f"/api/v1/consent/{IN_PATH}/evidence").json()
    records = {r["id"]: r for r in pack["records"]}
    kept = records[written["record_ids"][0]]
    assert (kept["ip"], kept["user_agent"]) == ("198.51.100.7", "Mozilla/5.0 (Android 14)")
    plain = records[bare["record_ids"][0]]
    assert (plain["ip"], plain["user_agent"]) == (None, None)  # never the API caller's


@pytest.mark.parametrize(
    ("field", "code"),
    [("checkbox_prechecked", "consent_prechecked"), ("condition_of_purchase", "consent_bundled")],
)
def test_prechecked_or_bundled_consent_is_refused(
    client: TestClient, core: Phonelist, field: str, code: str
) -> None:
    body = {"number": NUMBER, "channel": "sms", "purpose": "marketing", "method": "web_form"}

    response = client.post("/api/v1/consent/grants", json=body | {field: True})
    request = client.post("/api/v1/consent/requests", json={"number": NUMBER, field: True})

    for refused in (response, request):
        assert refused.status_code == 422
        assert refused.json()["error"]["code"] == code  # C4
        assert refused.json()["error"]["field"] == field
    assert core.consent.records(core.cli_actor(), NUMBER) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"number": None}, "number"),
        ({"occurred_at": "2026-03-04T16:00:00"}, "occurred_at"),  # no time zone
        ({"occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),  # in the future (core)
        ({"channel": "fax"}, "channel"),  # the core's check
        ({"method": "telepathy"}, "method"),
        ({"affirmative_action": "x" * 301}, "affirmative_action"),
        ({"sender": "Acme\x00"}, "sender"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
        ({"number": "12"}, "number"),
    ],
)
def test_bad_grant_is_422_naming_the_field(
    client: TestClient, change: dict[str, Any], field: str
) -> None:
    body = {"number": NUMBER, "channel": "sms", "purpose": "marketing", "method": "web_form"}
    body = {k: v for k, v in (body | change).items() if v is not None}

    response = client.post("/api/v1/consent/grants", json=body)

    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/consent/grants",
            {"number": NUMBER, "channel": "sms", "purpose": "marketing", "method": "api"},
        ),
        ("/consent/revocations", {"number": NUMBER}),
        ("/consent/requests", {"number": NUMBER}),
        ("/consent/disclosures", DISCLOSURE),
        ("/consent/verify", None),
        ("/consent/reviews/X/resolve", {"resolution": "opt_out"}),
        ("/inbound", {"from": NUMBER, "text": "STOP"}),
        ("/provider-signals", {"number": NUMBER, "code": "21610"}),
    ],
)
def test_a_viewer_may_not_record(
    client: TestClient, core: Phonelist, path: str, body: dict[str, Any] | None
) -> None:
    viewer = bearer(new_token(core, Role.VIEWER))

    response = client.post(f"/api/v1{path}", json=body, headers=viewer)

    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "forbidden"
    assert client.get(f"/api/v1/consent/{IN_PATH}", headers=viewer).status_code == 200
    assert core.consent.records(core.cli_actor(), NUMBER) == []


def test_a_revocation_ends_every_channel_and_purpose(client: TestClient) -> None:
    grant(client)
    grant(client, channel="voice", purpose="informational", method="verbal")

    response = client.post(
        "/api/v1/consent/revocations",
        json={"number": NUMBER, "affirmative_action": "asked the agent to stop calling"},
    )

    assert response.status_code == 201, response.text
    assert {c["status"] for c in state(client).values()} == {"revoked"}  # O3
    history = client.get(f"/api/v1/consent/{IN_PATH}/history").json()
    assert [(r["action"], r["method"], r["scope"]) for r in history][-1] == ("revoke", "api", "all")
    assert [r["seq"] for r in history] == sorted(r["seq"] for r in history)


def test_double_opt_in_is_active_only_after_yes(client: TestClient, core: Phonelist) -> None:
    response = client.post(
        "/api/v1/consent/requests",
        json={"number": NUMBER, "source_url": "https://acme.example/join", "ip": "203.0.113.9"},
    )
    assert response.status_code == 201, response.text
    request_id = response.json()["request_id"]
    assert request_id and [m.to for m in core.gateway.sent] == [NUMBER]
    assert state(client)[("sms", "marketing")]["status"] == "pending"

    reply = client.post("/api/v1/inbound", json={"from": NUMBER, "text": "YES"})

    assert reply.status_code == 200, reply.text
    assert "confirmed" in reply.json()["actions"]
    assert state(client)[("sms", "marketing")]["status"] == "granted"  # C3
    evidence = client.get(f"/api/v1/consent/{IN_PATH}/history").json()[-1]["evidence"]
    assert evidence["request_id"] == request_id and evidence["reply_message_id"]


def test_stop_through_inbound_blocks_the_next_check(client: TestClient, core: Phonelist) -> None:
    assert client.post("/api/v1/consent/disclosures", json=DISCLOSURE).status_code == 201
    grant(client, disclosure="web-signup")
    grant(client, purpose="informational", method="api")
    assert check(client)["allowed"] is True

    response = client.post("/api/v1/inbound", json={"from": NUMBER, "text": " Stop. ", "at": AT})

    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["kind"], result["number"]) == ("opt_out", NUMBER)
    assert "revoked" in result["actions"] and len(result["replies"]) == 1  # O5
    for purpose in ("marketing", "informational"):
        decision = check(client, purpose)
        assert decision["allowed"] is False
        revoked = [r for r in decision["reasons"] if r["code"] == "consent_revoked"]
        assert [r["rule"] for r in revoked] == ["O3"] and revoked[0]["blocks"]


def test_ambiguous_reply_opens_a_review_to_resolve(client: TestClient) -> None:
    grant(client, purpose="informational", method="api")
    reply = client.post(
        "/api/v1/inbound", json={"from": NUMBER, "text": "When does the sale end?", "at": AT}
    ).json()
    assert reply["kind"] == "review" and "default policy" in reply["note"]  # O2

    queue = client.get("/api/v1/consent/reviews").json()
    assert [item["id"] for item in queue] == [reply["review_id"]]
    assert queue[0]["due_at"] > queue[0]["received_at"]
    path = f"/api/v1/consent/reviews/{reply['review_id']}/resolve"
    bad = client.post(path, json={"resolution": "maybe"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "resolution"
    done = client.post(path, json={"resolution": "not_opt_out"})
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    assert client.get("/api/v1/consent/reviews").json() == []
    missing = client.post("/api/v1/consent/reviews/NOPE/resolve", json={"resolution": "opt_out"})
    assert missing.status_code == 404


def test_evidence_pack_holds_records_and_the_disclosure_shown(client: TestClient) -> None:
    disclosure = client.post("/api/v1/consent/disclosures", json=DISCLOSURE).json()
    grant(client, disclosure=disclosure["id"])
    client.post("/api/v1/consent/revocations", json={"number": NUMBER})

    pack = client.get(f"/api/v1/consent/{IN_PATH}/evidence")
    markdown = client.get(f"/api/v1/consent/{IN_PATH}/evidence?format=markdown")
    other = client.get(f"/api/v1/consent/{IN_PATH}/evidence?format=pdf")

    assert pack.status_code == 200, pack.text
    body = pack.json()
    assert body["number"] == NUMBER and body["ledger"]["ok"] is True
    assert [r["action"] for r in body["records"]] == ["grant", "revoke"]
    assert body["records"][0]["disclosure_text"] == DISCLOSURE["text"]
    assert body["records"][0]["disclosure_hash"] == disclosure["sha256"]
    assert [d["id"] for d in body["disclosures"]] == [disclosure["id"]]
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert markdown.text.startswith(f"# Consent evidence for {NUMBER}")
    assert other.status_code == 422 and other.json()["error"]["field"] == "format"


def test_disclosures_are_versioned_never_changed(client: TestClient) -> None:
    first = client.post("/api/v1/consent/disclosures", json=DISCLOSURE)
    second = client.post("/api/v1/consent/disclosures", json=DISCLOSURE | {"text": "New text."})
    empty = client.post("/api/v1/consent/disclosures", json=DISCLOSURE | {"text": ""})

    assert (first.status_code, second.status_code) == (201, 201)
    listed = client.get("/api/v1/consent/disclosures").json()
    assert [(d["name"], d["version"]) for d in listed] == [("web-signup", 1), ("web-signup", 2)]
    assert listed[0]["text"] == DISCLOSURE["text"]
    assert empty.status_code == 422 and empty.json()["error"]["field"] == "text"


def test_verify_finds_an_edited_record(client: TestClient, core: Phonelist) -> None:
    grant(client)
    grant(client, purpose="informational", method="api")
    assert client.post("/api/v1/consent/verify").json() == {
        "ok": True,
        "records": 2,
        "problems": [],
    }
    with core.store.write() as session:
        session.execute(update(ConsentRecord).values(method="paper"))

    report = client.post("/api/v1/consent/verify").json()

    assert report["ok"] is False and report["records"] == 2
    assert any("changed after writing" in problem for problem in report["problems"])


def test_provider_opt_out_suppresses_and_revokes(client: TestClient) -> None:
    grant(client, purpose="informational", method="api")
    other = client.post("/api/v1/provider-signals", json={"number": NUMBER, "code": "30003"})
    assert other.status_code == 200 and other.json() == {"suppression": None}

    response = client.post(
        "/api/v1/provider-signals", json={"number": NUMBER, "code": "21610", "at": AT}
    )

    assert response.status_code == 200, response.text
    entry = response.json()["suppression"]
    assert (entry["kind"], entry["number"], entry["active"]) == ("provider_opt_out", NUMBER, True)
    shown = client.get(f"/api/v1/consent/{IN_PATH}").json()
    assert [s["id"] for s in shown["suppressions"]] == [entry["id"]]
    assert {c["status"] for c in shown["consents"]} == {"revoked"}  # O7


@pytest.mark.parametrize("path", [IN_PATH, "2025550143", "(202)%20555-0143"])
def test_numbers_in_paths_are_e164_or_national(client: TestClient, path: str) -> None:
    grant(client)

    response = client.get(f"/api/v1/consent/{path}")

    assert response.status_code == 200, response.text
    assert response.json()["number"] == NUMBER
    bad = client.get("/api/v1/consent/123/history")
    assert bad.status_code == 422 and bad.json()["error"]["code"].startswith("number_")
