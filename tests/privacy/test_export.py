"""The privacy export (COMPLIANCE.md P1): everything held about a person, decrypted, audited."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from phonelist import NotFound, PermissionDenied, Phonelist, ValidationError
from phonelist.privacy import EXPORT_FORMAT, SECTIONS, render_html
from phonelist.security.permissions import Actor, Role
from phonelist.store.models import AuditEvent
from tests.privacy.support import (
    AGENT,
    C1_TEXT,
    FIRST,
    IP,
    NAME,
    NOTE,
    SECOND,
    SECRET,
    STRANGER,
    person,
    stranger,
)


def by_number(export: dict[str, object], number: str) -> dict[str, object]:
    [found] = [n for n in export["numbers"] if n["number"] == number]  # type: ignore[attr-defined]
    return found  # type: ignore[no-any-return]


def test_P1_the_export_holds_everything_about_the_person_decrypted(
    core: Phonelist, actor: Actor
) -> None:
    contact_id = person(core, actor)
    export = core.privacy.export(actor, FIRST)
    assert export["format"] == EXPORT_FORMAT
    assert export["exported_by"] == actor.label and export["phonelist_version"]
    assert export["subject"] == {"type": "contact", "id": contact_id}
    assert set(export["sections"]) == set(SECTIONS)

    [contact] = export["contacts"]
    assert (contact["id"], contact["display_name"], contact["first_name"]) == (
        contact_id,
        NAME,
        "Ana",
    )
    assert [p["e164"] for p in contact["phones"]] == [FIRST, SECOND]
    assert contact["phones"][0]["number_type"] and contact["phones"][0]["area_code"] == "202"
    assert [e["email"] for e in contact["emails"]] == ["ana@example.org"]
    assert contact["address"]["city"] == "Washington"
    assert contact["tags"] == ["vip"] and [lst["name"] for lst in contact["lists"]] == [
        "newsletter"
    ]
    fields = {f["name"]: f for f in contact["custom_fields"]}
    assert fields["health"]["value"] == SECRET and fields["health"]["sensitive"] is True
    assert fields["tier"]["value"] == "gold"
    assert [n["body"] for n in contact["notes"]] == [NOTE]
    assert contact["created_at"] and contact["updated_at"]

    first, second = by_number(export, FIRST), by_number(export, SECOND)
    actions = [(r["action"], r["method"]) for r in first["consent_records"]]
    assert actions[0] == ("grant", "web_form") and actions[-1][0] == "revoke"
    grant = first["consent_records"][0]
    assert (grant["ip"], grant["user_agent"]) == (IP, AGENT)
    assert grant["source_url"] == "https://acme.example/join"
    assert grant["disclosure_text"] == C1_TEXT and grant["disclosure_text_matches_hash"]
    assert [d["text"] for d in first["disclosures"]] == [C1_TEXT]
    states = {(s["channel"], s["purpose"]): s["status"] for s in first["consent_state"]}
    assert states[("sms", "marketing")] == "revoked"
    assert [(r["action"], r["method"]) for r in second["consent_records"]] == [("revoke", "agent")]

    [suppression] = second["suppressions"]
    assert suppression["active"] and suppression["reason"] == "asked not to be called"
    assert first["suppressions"] == []

    messages = first["messages"]
    assert [m["body"] for m in messages if m["direction"] == "in"] == ["STOP"]
    assert [m["kind"] for m in messages if m["direction"] == "out"]
    assert all(m["body"] and m["at"] and m["status"] for m in first["messages"])

    actions = {e["action"] for e in export["audit_events"]}
    assert "contact.create" in actions and "suppression.add" in actions
    assert all(
        set(e) == {"id", "seq", "at", "actor", "action", "subject_type", "subject_id"}
        for e in export["audit_events"]
    )
    json.dumps(export)  # JSON-ready as it is

    assert core.privacy.export(actor, contact_id)["contacts"] == export["contacts"]


def test_P1_a_lifted_suppression_shows_with_its_reason(core: Phonelist, actor: Actor) -> None:
    person(core, actor)
    [entry] = by_number(core.privacy.export(actor, SECOND), SECOND)["suppressions"]
    core.suppressions.lift(actor, entry["id"], "asked to hear from us again")
    [lifted] = by_number(core.privacy.export(actor, SECOND), SECOND)["suppressions"]
    assert not lifted["active"] and lifted["lift_reason"] == "asked to hear from us again"
    assert lifted["lifted_at"] and lifted["lifted_by"] == actor.label


def test_P1_the_html_page_escapes_what_people_typed(core: Phonelist, actor: Actor) -> None:
    person(core, actor)
    page = render_html(core.privacy.export(actor, FIRST))
    assert NAME not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>gold</b>" not in page and "&lt;b&gt;gold&lt;/b&gt;" in page
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert SECRET in page and IP in page and "STOP" in page and SECTIONS["messages"] in page


def test_P1_a_number_without_a_contact_still_exports_its_consent(
    core: Phonelist, actor: Actor
) -> None:
    stranger(core, actor)
    export = core.privacy.export(actor, STRANGER)
    assert export["contacts"] == [] and export["subject"]["type"] == "number"
    [number] = export["numbers"]
    assert number["number"] == STRANGER
    assert [(r["action"], r["purpose"]) for r in number["consent_records"]] == [
        ("grant", "informational")
    ]
    assert STRANGER not in export["subject"]["id"]
    assert "No contact record" in render_html(export)


def test_P1_unknown_numbers_and_contacts_are_not_found(core: Phonelist, actor: Actor) -> None:
    with pytest.raises(NotFound):
        core.privacy.export(actor, "+12025550100")
    with pytest.raises(NotFound):
        core.privacy.export(actor, "01J00000000000000000000000")
    with pytest.raises(ValidationError):
        core.privacy.export(actor, "not a number")


@pytest.mark.parametrize("role", [Role.VIEWER, Role.AGENT, Role.EDITOR])
def test_P1_only_owners_and_admins_export(core: Phonelist, actor: Actor, role: Role) -> None:
    person(core, actor)
    with pytest.raises(PermissionDenied):
        core.privacy.export(Actor(actor.workspace_id, role, "user", "someone"), FIRST)
    admin = Actor(actor.workspace_id, Role.ADMIN, "user", "admin")
    assert core.privacy.export(admin, FIRST)["contacts"]


def test_P1_the_export_is_audited_without_the_number(core: Phonelist, actor: Actor) -> None:
    contact_id = person(core, actor)
    stranger(core, actor)
    core.privacy.export(actor, FIRST)
    core.privacy.export(actor, STRANGER)
    with core.store.read() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "privacy.export").order_by(AuditEvent.id)
        ).all()
        assert (events[0].subject_type, events[0].subject_id) == ("contact", contact_id)
        assert events[1].subject_type == "number"
        index = core.keyring.blind_index("phone", STRANGER).hex()
        assert events[1].subject_id == index
        text = json.dumps([(e.subject_id, e.detail) for e in events])
    for number in (FIRST, SECOND, STRANGER):
        assert number not in text and number.lstrip("+") not in text
    # the next export of the number lists the earlier one among its log entries
    again = core.privacy.export(actor, STRANGER)
    assert [e["action"] for e in again["audit_events"]] == ["privacy.export"]
