"""Every API route x every role gives the status the permission matrix says.

``RULES`` names, for each route, the permission it needs (docs/security.md has the matrix per
role, ``ROLE_PERMISSIONS`` the same in code). The expected status of each role is generated from
the two: a role without the permission gets 403, a role with it gets past authorisation (a
200-range answer, or a 404/409/422 about the dummy data), and no one gets a 5xx. A route that is
not in ``RULES`` fails ``test_every_route_has_a_rule``, so a new route cannot ship without one.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.routing import APIRoute

from phonelist import Phonelist
from phonelist.api.app import create_app
from phonelist.security.permissions import ROLE_PERMISSIONS, Permission, Role
from tests.api.client import bearer, client_for, new_token

P = Permission
PUBLIC = "public"
SIGNED = "signed"  # provider webhooks: no token, the provider's signature instead (never 2xx here)
ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"  # a well-formed id that names nothing
NUMBER = "+351912345678"


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # the route's template
    needs: Permission | str
    url: str = ""  # the template filled in; default: the template itself
    json: Any = None
    params: dict[str, str] = field(default_factory=dict)
    files: dict[str, Any] | None = None
    data: dict[str, str] | None = None


RULES: list[Case] = [
    Case("GET", "/healthz", PUBLIC),
    Case("GET", "/readyz", PUBLIC),
    # contacts
    Case("GET", "/api/v1/contacts", P.CONTACTS_READ),
    Case("POST", "/api/v1/contacts", P.CONTACTS_WRITE, json={"phones": [NUMBER]}),
    Case("GET", "/api/v1/contacts/{contact_id}", P.CONTACTS_READ, f"/api/v1/contacts/{ID}"),
    Case("PATCH", "/api/v1/contacts/{contact_id}", P.CONTACTS_WRITE, f"/api/v1/contacts/{ID}",
         json={"city": "Porto"}),
    Case("DELETE", "/api/v1/contacts/{contact_id}", P.CONTACTS_DELETE, f"/api/v1/contacts/{ID}"),
    Case("POST", "/api/v1/contacts/{contact_id}/merge", P.CONTACTS_DELETE,
         f"/api/v1/contacts/{ID}/merge", json={"source_id": "01ARZ3NDEKTSV4RRFFQ69G5FAW"}),
    Case("POST", "/api/v1/contacts/{contact_id}/notes", P.CONTACTS_WRITE,
         f"/api/v1/contacts/{ID}/notes", json={"body": "called"}),
    Case("POST", "/api/v1/contacts/{contact_id}/tags", P.CONTACTS_WRITE,
         f"/api/v1/contacts/{ID}/tags", json={"tags": ["vip"]}),
    Case("DELETE", "/api/v1/contacts/{contact_id}/tags/{tag}", P.CONTACTS_WRITE,
         f"/api/v1/contacts/{ID}/tags/vip"),
    Case("GET", "/api/v1/search", P.CONTACTS_READ, params={"q": "maria"}),
    Case("GET", "/api/v1/export", P.CONTACTS_READ),
    # fields, statuses, tokens
    Case("GET", "/api/v1/fields", P.CONTACTS_READ),
    Case("POST", "/api/v1/fields", P.FIELDS_MANAGE, json={"name": "plan", "type": "text"}),
    Case("GET", "/api/v1/statuses", P.CONTACTS_READ),
    Case("PUT", "/api/v1/statuses", P.FIELDS_MANAGE,
         json={"statuses": ["lead", "customer", "member", "inactive"]}),
    Case("GET", "/api/v1/tokens", P.TOKENS_MANAGE),
    Case("POST", "/api/v1/tokens", P.TOKENS_MANAGE, json={"name": "ci", "role": "viewer"}),
    Case("DELETE", "/api/v1/tokens/{token_id}", P.TOKENS_MANAGE, f"/api/v1/tokens/{ID}"),
    # imports
    Case("GET", "/api/v1/imports", P.CONTACTS_READ),
    Case("POST", "/api/v1/imports", P.CONTACTS_WRITE,
         files={"file": ("people.csv", b"name,phone\nAna,+351912345679\n", "text/csv")}),
    Case("GET", "/api/v1/imports/{job_id}", P.CONTACTS_READ, f"/api/v1/imports/{ID}"),
    Case("GET", "/api/v1/imports/{job_id}/rejects", P.CONTACTS_READ,
         f"/api/v1/imports/{ID}/rejects"),
    # segments
    Case("GET", "/api/v1/segments", P.CONTACTS_READ),
    Case("POST", "/api/v1/segments", P.SEGMENTS_MANAGE,
         json={"name": "PT", "query": "country = PT"}),
    Case("GET", "/api/v1/segments/count", P.CONTACTS_READ, params={"q": "country = PT"}),
    Case("GET", "/api/v1/segments/contacts", P.CONTACTS_READ, params={"q": "country = PT"}),
    Case("GET", "/api/v1/segments/export", P.CONTACTS_READ, params={"q": "country = PT"}),
    Case("GET", "/api/v1/segments/fields", P.CONTACTS_READ),
    Case("POST", "/api/v1/segments/freeze", P.CONTACTS_WRITE,
         json={"query": "country = PT", "list": "snapshot"}),
    Case("GET", "/api/v1/segments/{name:path}", P.CONTACTS_READ, "/api/v1/segments/none"),
    Case("PUT", "/api/v1/segments/{name:path}", P.SEGMENTS_MANAGE, "/api/v1/segments/US",
         json={"query": "country = US"}),
    Case("DELETE", "/api/v1/segments/{name:path}", P.SEGMENTS_MANAGE, "/api/v1/segments/none"),
    Case("GET", "/api/v1/segments/{name:path}/count", P.CONTACTS_READ,
         "/api/v1/segments/none/count"),
    # consent
    Case("GET", "/api/v1/consent/disclosures", P.CONSENT_READ),
    Case("POST", "/api/v1/consent/disclosures", P.CONSENT_MANAGE,
         json={"name": "web form", "text": "Yes, text me offers."}),
    Case("POST", "/api/v1/consent/grants", P.CONSENT_GRANT,
         json={"number": NUMBER, "channel": "sms", "purpose": "informational",
               "method": "verbal"}),
    Case("POST", "/api/v1/consent/revocations", P.CONSENT_REVOKE, json={"number": NUMBER}),
    Case("POST", "/api/v1/consent/requests", P.CONSENT_GRANT, json={"number": NUMBER}),
    Case("GET", "/api/v1/consent/reviews", P.CONSENT_MANAGE),
    Case("POST", "/api/v1/consent/reviews/{review_id}/resolve", P.CONSENT_MANAGE,
         f"/api/v1/consent/reviews/{ID}/resolve", json={"resolution": "opt_out"}),
    Case("POST", "/api/v1/consent/verify", P.CONSENT_MANAGE),
    Case("GET", "/api/v1/consent/{number}", P.CONSENT_READ, f"/api/v1/consent/{NUMBER}"),
    Case("GET", "/api/v1/consent/{number}/evidence", P.CONSENT_READ,
         f"/api/v1/consent/{NUMBER}/evidence"),
    Case("GET", "/api/v1/consent/{number}/history", P.CONSENT_READ,
         f"/api/v1/consent/{NUMBER}/history"),
    Case("POST", "/api/v1/inbound", P.INBOUND_PROCESS, json={"from": NUMBER, "text": "HELP"}),
    Case("POST", "/api/v1/provider-signals", P.INBOUND_PROCESS,
         json={"number": NUMBER, "code": "21610"}),
    # policy, suppressions, registries
    Case("POST", "/api/v1/policy/check", P.POLICY_CHECK,
         json={"number": NUMBER, "channel": "sms", "purpose": "marketing"}),
    Case("POST", "/api/v1/policy/decisions", P.POLICY_CHECK,
         json={"channel": "sms", "purpose": "marketing"}),
    Case("GET", "/api/v1/suppressions", P.CONSENT_READ),
    Case("POST", "/api/v1/suppressions", P.SUPPRESSIONS_ADD, json={"number": "+351912345670"}),
    Case("GET", "/api/v1/suppressions/number/{number}", P.CONSENT_READ,
         f"/api/v1/suppressions/number/{NUMBER}"),
    Case("POST", "/api/v1/suppressions/{suppression_id}/lift", P.SUPPRESSIONS_LIFT,
         f"/api/v1/suppressions/{ID}/lift", json={"reason": "asked again"}),
    Case("GET", "/api/v1/dnc/status", P.CONSENT_READ),
    Case("POST", "/api/v1/dnc/imports", P.REGISTRY_IMPORT,
         files={"file": ("dnc.txt", b"2025551234\n", "text/plain")},
         data={"registry_date": "2026-11-01"}),
    # audit
    Case("GET", "/api/v1/audit", P.AUDIT_READ),
    Case("GET", "/api/v1/audit/verify", P.AUDIT_READ),
    # privacy
    Case("GET", "/api/v1/privacy/export", P.PRIVACY_MANAGE, params={"number": NUMBER}),
    Case("POST", "/api/v1/privacy/erase", P.PRIVACY_MANAGE, json={"contact": ID}),
    # provider webhooks
    Case("POST", "/webhooks/{gateway}/inbound", SIGNED, "/webhooks/twilio/inbound",
         data={"From": NUMBER, "Body": "STOP"}),
    Case("POST", "/webhooks/{gateway}/status", SIGNED, "/webhooks/twilio/status",
         data={"MessageSid": "SM1", "MessageStatus": "delivered"}),
    # privacy request register (P4)
    Case("GET", "/api/v1/privacy/requests", P.PRIVACY_MANAGE, params={"overdue": "true"}),
    Case("POST", "/api/v1/privacy/requests", P.PRIVACY_MANAGE,
         json={"kind": "access", "number": NUMBER, "note": "by email"}),
    Case("GET", "/api/v1/privacy/requests/{request_id}", P.PRIVACY_MANAGE,
         f"/api/v1/privacy/requests/{ID}"),
    Case("POST", "/api/v1/privacy/requests/{request_id}/extend", P.PRIVACY_MANAGE,
         f"/api/v1/privacy/requests/{ID}/extend", json={"months": 1, "reason": "complex"}),
    Case("POST", "/api/v1/privacy/requests/{request_id}/close", P.PRIVACY_MANAGE,
         f"/api/v1/privacy/requests/{ID}/close", json={"status": "done"}),
    # campaigns, conversations, one-to-one messages, call logs (issue 7, campaigns helper)
    Case("POST", "/api/v1/campaigns", P.CAMPAIGNS_MANAGE,
         json={"name": "June", "body": "Hi {first_name|there}", "purpose": "informational",
               "audience_kind": "list", "audience": "none"}),
    Case("GET", "/api/v1/campaigns", P.MESSAGES_READ),
    Case("GET", "/api/v1/campaigns/{campaign_id}", P.MESSAGES_READ, f"/api/v1/campaigns/{ID}"),
    Case("PATCH", "/api/v1/campaigns/{campaign_id}", P.CAMPAIGNS_MANAGE,
         f"/api/v1/campaigns/{ID}", json={"name": "July"}),
    Case("POST", "/api/v1/campaigns/{campaign_id}/preview", P.CAMPAIGNS_MANAGE,
         f"/api/v1/campaigns/{ID}/preview"),
    Case("GET", "/api/v1/campaigns/{campaign_id}/preview/{contact_id}", P.CAMPAIGNS_MANAGE,
         f"/api/v1/campaigns/{ID}/preview/{ID}"),
    Case("POST", "/api/v1/campaigns/{campaign_id}/approve", P.CAMPAIGNS_APPROVE,
         f"/api/v1/campaigns/{ID}/approve"),
    Case("POST", "/api/v1/campaigns/{campaign_id}/launch", P.CAMPAIGNS_MANAGE,
         f"/api/v1/campaigns/{ID}/launch"),
    Case("POST", "/api/v1/campaigns/{campaign_id}/pause", P.CAMPAIGNS_MANAGE,
         f"/api/v1/campaigns/{ID}/pause"),
    Case("POST", "/api/v1/campaigns/{campaign_id}/resume", P.CAMPAIGNS_MANAGE,
         f"/api/v1/campaigns/{ID}/resume"),
    Case("POST", "/api/v1/campaigns/{campaign_id}/cancel", P.CAMPAIGNS_MANAGE,
         f"/api/v1/campaigns/{ID}/cancel"),
    Case("GET", "/api/v1/campaigns/{campaign_id}/stats", P.MESSAGES_READ,
         f"/api/v1/campaigns/{ID}/stats"),
    Case("GET", "/api/v1/contacts/{contact_id}/conversation", P.MESSAGES_READ,
         f"/api/v1/contacts/{ID}/conversation"),
    Case("POST", "/api/v1/contacts/{contact_id}/messages", P.MESSAGES_SEND,
         f"/api/v1/contacts/{ID}/messages", json={"body": "Your order shipped"}),
    Case("POST", "/api/v1/contacts/{contact_id}/calls", P.MESSAGES_SEND,
         f"/api/v1/contacts/{ID}/calls", json={"outcome": "answered", "notes": "ok"}),
]  # fmt: skip
GRANTED = frozenset(range(200, 300)) | {404, 409, 422}


def routes(core: Phonelist) -> set[tuple[str, str]]:
    """(method, path) of every API route, through included routers too."""
    found: set[tuple[str, str]] = set()
    stack = list(create_app(core).routes)
    while stack:
        route = stack.pop()
        inner = getattr(route, "original_router", None)  # FastAPI's included-router wrapper
        if inner is not None:
            stack.extend(inner.routes)
        elif isinstance(route, APIRoute):
            path = route.path
            if path.startswith(("/api/", "/webhooks/")) or path in ("/healthz", "/readyz"):
                found.update((method, path) for method in route.methods)
    return found


def test_every_route_has_a_rule(core: Phonelist) -> None:
    ruled = {(case.method, case.path) for case in RULES}
    missing = sorted(routes(core) - ruled)
    assert not missing, f"routes without a rule in RULES: {missing}"
    assert not ruled - routes(core), "rules for routes that no longer exist"


def send(client: Any, case: Case) -> int:
    files = None
    if case.files:
        files = {k: (n, io.BytesIO(b), t) for k, (n, b, t) in case.files.items()}
    response = client.request(
        case.method,
        case.url or case.path,
        json=case.json,
        params=case.params,
        files=files,
        data=case.data,
    )
    return int(response.status_code)


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_each_role_gets_what_the_matrix_says(core: Phonelist, role: Role) -> None:
    held = ROLE_PERMISSIONS[role]
    wrong = []
    with client_for(core) as client:
        client.headers.update(bearer(new_token(core, role)))
        for case in RULES:
            status = send(client, case)
            allowed = case.needs == PUBLIC or case.needs in held
            ok = status in GRANTED if allowed else status == 403
            if case.needs == SIGNED:  # a token buys nothing: unsigned is refused or unknown
                ok = status in (403, 404)
            if not ok:
                wrong.append((case.method, case.path, status, "allowed" if allowed else "denied"))
    assert not wrong, f"{role.value}: {wrong}"


def test_no_route_but_health_answers_without_a_token(core: Phonelist) -> None:
    wrong = []
    with client_for(core) as client:
        for case in RULES:
            status = send(client, case)
            expected = {200} if case.needs == PUBLIC else {401}
            if case.needs == SIGNED:
                expected = {403, 404}
            if status not in expected:
                wrong.append((case.method, case.path, status))
    assert not wrong
