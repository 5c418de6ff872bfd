"""Follow-ups of the consent paths: deadlines nobody met, provider refusals of our own replies,
START from a subscriber, lift reasons and registry freshness per registry."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from phonelist import Phonelist
from phonelist.consent.commands import RequestOptIn
from phonelist.consent.evidence import WITHHELD, build_evidence
from phonelist.contacts import ContactIn, CreateContact
from phonelist.contacts.schemas import validate_input
from phonelist.security.permissions import Actor, Role
from tests.consent.support import AT, NUMBER, OTHER, disclose, grant, sibling, state

REVOKED = {
    pair: "revoked"
    for pair in [(c, p) for c in ("sms", "voice") for p in ("marketing", "informational")]
}


def test_O4_held_reviews_past_their_deadline_become_opt_outs(core: Phonelist, actor: Actor) -> None:
    disclose(core, actor)
    grant(core, actor, NUMBER, at=AT - dt.timedelta(hours=1))
    grant(core, actor, OTHER, at=AT - dt.timedelta(hours=1))
    with sibling(core, review_policy="hold") as held:
        first = held.inbound.handle(actor, NUMBER, "Don't stop!", at=AT)
        held.inbound.handle(actor, OTHER, "When does the sale end?", at=AT)
        assert first.review_id is not None
        due = held.inbound.reviews(actor)[0].due_at
        assert held.inbound.apply_overdue(actor, due - dt.timedelta(seconds=1)) == []
        assert state(held, actor, NUMBER)[("sms", "marketing")] == "granted"
        applied = held.inbound.apply_overdue(actor, due)
        assert {item.resolution for item in applied} == {"opt_out"} and len(applied) == 2
        assert state(held, actor, NUMBER) == REVOKED
        assert state(held, actor, OTHER) == REVOKED
        assert held.inbound.reviews(actor) == []
        assert held.inbound.apply_overdue(actor, due + dt.timedelta(days=30)) == []


def test_O7_a_provider_opt_out_error_on_our_own_reply_suppresses(
    core: Phonelist, actor: Actor
) -> None:
    disclose(core, actor)
    core.gateway.fail_with = "21610"
    core.consent.apply(actor, RequestOptIn(NUMBER, disclosure="web"), AT)
    kinds = {s.kind for s in core.suppressions.show(actor, NUMBER) if s.active}
    assert kinds == {"provider_opt_out"}
    assert state(core, actor, NUMBER)[("sms", "marketing")] == "revoked"
    core.gateway.fail_with = "30003"  # unreachable handset: not an opt-out
    core.consent.apply(actor, RequestOptIn(OTHER, disclosure="web"), AT)
    assert core.suppressions.show(actor, OTHER) == []


def test_O6_start_from_a_subscriber_confirms_without_new_records(
    core: Phonelist, actor: Actor
) -> None:
    disclose(core, actor)
    grant(core, actor, NUMBER, at=AT - dt.timedelta(hours=1))
    before = len(core.consent.records(actor, NUMBER))
    result = core.inbound.handle(actor, NUMBER, "START", at=AT)
    assert "You are subscribed" in result.replies[0]
    assert len(core.consent.records(actor, NUMBER)) == before


def test_D1_a_lift_keeps_its_reason(core: Phonelist, actor: Actor) -> None:
    entry = core.suppressions.add(actor, NUMBER, reason="asked by phone")
    lifted = core.suppressions.lift(actor, entry.id, "  wants our newsletter again ")
    assert lifted.lift_reason == "wants our newsletter again"
    assert core.suppressions.show(actor, NUMBER)[0].lift_reason == "wants our newsletter again"


def test_D3_freshness_is_a_us_registry_rule(core: Phonelist, actor: Actor, tmp_path: Path) -> None:
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=90)).date()
    us, pt = tmp_path / "dnc.txt", tmp_path / "pt.txt"
    us.write_text("2025550143\n", encoding="utf-8")
    pt.write_text("912345678\n", encoding="utf-8")
    core.registries.import_file(actor, us, registry_date=old)
    core.registries.import_file(actor, pt, registry_date=old, registry="pt_optout")
    stale = {(s.registry, s.stale) for s in core.registries.status(actor)}
    assert stale == {("us_dnc", True), ("pt_optout", False)}


def test_O6_a_keyword_program_adds_the_contact_to_its_list(core: Phonelist, actor: Actor) -> None:
    disclose(core, actor, name="deals-terms")
    contact = core.contacts.apply(
        actor, CreateContact(validate_input(ContactIn, {"phones": [{"number": NUMBER}]}))
    )
    assert contact is not None and contact.lists == []
    programs = {"DEALS": {"purposes": ["marketing"], "disclosure": "deals-terms", "list": "deals"}}
    with sibling(core, keyword_programs=programs) as listening:
        listening.inbound.handle(actor, NUMBER, "deals", at=AT)
        listening.inbound.handle(actor, OTHER, "deals", at=AT)  # no contact: consent only
    assert core.contacts.get(actor, contact.id).lists == ["deals"]
    assert state(core, actor, OTHER)[("sms", "marketing")] == "granted"


def test_C2_proof_packs_open_ip_and_browser_only_for_consent_managers(
    core: Phonelist, actor: Actor
) -> None:
    disclose(core, actor)
    grant(core, actor, NUMBER, pairs=[("sms", "marketing")], ip="203.0.113.9", user_agent="UA/1")
    viewer = Actor(actor.workspace_id, Role.VIEWER, "user", "v1")
    agent = Actor(actor.workspace_id, Role.AGENT, "user", "a1")
    full = build_evidence(core.consent, actor, NUMBER, AT)["records"][0]
    assert (full["ip"], full["user_agent"]) == ("203.0.113.9", "UA/1")
    for reader in (viewer, agent):
        record = build_evidence(core.consent, reader, NUMBER, AT)["records"][0]
        assert record["ip"] == record["user_agent"] == WITHHELD
