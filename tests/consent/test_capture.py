"""Capturing consent (C1, C3-C8): what is written, what is refused, what each grant allows."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from phonelist import Phonelist, ValidationError
from phonelist.consent.commands import Grant, RequestOptIn, Revoke
from phonelist.imports import ConsentBasis, ImportOptions
from phonelist.security.permissions import Actor
from phonelist.store.consent_models import ConsentRequest, Message
from phonelist.store.models import ConsentRecord
from tests.consent.support import (
    AT,
    MARKETING_WORDS,
    NUMBER,
    OTHER,
    PAIRS,
    blocking,
    codes,
    disclose,
    grant,
    state,
    values,
)

HOUR = dt.timedelta(hours=1)
UK = "+447400123456"
CANADA = "+14165550123"


def count(core: Phonelist, model: type[Any]) -> int:
    with core.store.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


# -- C1 ------------------------------------------------------------------------------------------


C1_CASES = [
    # (the disclosure attests: automated marketing, not a condition of purchase; method; written)
    (True, True, "web_form", True),
    (True, True, "keyword", True),
    (True, True, "paper", True),
    (True, False, "web_form", False),  # does not say "not a condition of purchase"
    (False, True, "web_form", False),  # does not say "automated marketing"
    (True, True, "verbal", False),  # verbal consent is never written
    (None, None, "web_form", False),  # no disclosure shown at all
]


def test_C1_written_only_when_the_disclosure_attests_both_facts(
    core: Phonelist, actor: Actor
) -> None:
    for i, case in enumerate(C1_CASES):
        automated, not_condition, method, written = case
        number = f"+1202555{300 + i:04d}"
        name = None
        if automated is not None:
            name = f"case-{i}"
            disclose(
                core,
                actor,
                name,
                automated_marketing=automated,
                not_condition_of_purchase=not_condition,
            )
        core.consent.apply(
            actor, Grant(number, "sms", "marketing", method, disclosure=name), now=AT
        )
        [record] = core.consent.records(actor, number)
        assert record.written is written, case
        assert values(core, actor, number)[("sms", "marketing")].written is written, case
        check = core.policy.check(actor, number, "sms", "marketing", AT + HOUR)
        if written:
            assert check.decision.allowed and "consent_ok_written" in codes(check), case
        else:
            assert blocking(check) == {("C1", "consent_not_written")}, case


def test_C1_informational_needs_express_consent_not_written(core: Phonelist, actor: Actor) -> None:
    core.consent.apply(actor, Grant(NUMBER, "sms", "informational", "verbal"), now=AT)
    check = core.policy.check(actor, NUMBER, "sms", "informational", AT + HOUR)
    assert check.decision.allowed and "consent_ok_express" in codes(check)


def test_C1_consent_names_its_sender(core: Phonelist, actor: Actor) -> None:
    disclose(core, actor)
    grant(core, actor, pairs=[("sms", "marketing")], sender="+12025550100")
    later = AT + HOUR
    assert core.policy.check(
        actor, NUMBER, "sms", "marketing", later, sender="+12025550100"
    ).decision.allowed
    other = core.policy.check(actor, NUMBER, "sms", "marketing", later, sender="+12025550199")
    assert blocking(other) == {("C1", "consent_wrong_sender")}


# -- C3 ------------------------------------------------------------------------------------------


@pytest.fixture
def requested(core: Phonelist, actor: Actor) -> str:
    """A double opt-in request for marketing sms, sent at AT; returns the request id."""
    disclose(core, actor)
    outcome = core.consent.apply(
        actor,
        RequestOptIn(
            NUMBER, disclosure="web", source_url="https://acme.example/join", ip="203.0.113.9"
        ),
        now=AT,
    )
    assert outcome.request_id is not None
    return outcome.request_id


def test_C3_the_request_carries_no_marketing_and_leaves_consent_pending(
    core: Phonelist, actor: Actor, requested: str
) -> None:
    [sent] = core.gateway.sent
    assert (sent.to, sent.kind) == (NUMBER, "double_opt_in")
    assert "YES" in sent.body and "STOP" in sent.body
    assert not [word for word in MARKETING_WORDS if word in sent.body.casefold()]
    assert state(core, actor) == {("sms", "marketing"): "pending"}
    check = core.policy.check(actor, NUMBER, "sms", "marketing", AT + HOUR)
    assert blocking(check) == {("C3", "consent_pending")}


def test_C3_yes_inside_the_window_confirms_with_both_messages_as_evidence(
    core: Phonelist, actor: Actor, requested: str
) -> None:
    replied = AT + 47 * HOUR
    result = core.inbound.handle(actor, NUMBER, "YES", at=replied)
    assert "confirmed" in result.actions
    assert state(core, actor) == {("sms", "marketing"): "granted"}
    confirmation = core.consent.records(actor, NUMBER)[-1]
    assert (confirmation.method, confirmation.written) == ("double_opt_in", True)
    evidence = confirmation.evidence
    with core.store.read() as session:
        request = session.get(ConsentRequest, requested)
        assert request is not None and request.status == "confirmed"
        sent = session.get(Message, evidence["request_message_id"])
        assert sent is not None and (sent.kind, sent.direction, sent.at) == (
            "double_opt_in",
            "out",
            AT,
        )
    assert evidence["request_id"] == requested
    assert evidence["reply_message_id"] == result.message_id
    assert evidence["requested_at"] == AT.isoformat()
    assert evidence["replied_at"] == replied.isoformat()
    assert evidence["source_url"] == "https://acme.example/join"
    assert core.policy.check(actor, NUMBER, "sms", "marketing", replied + HOUR).decision.allowed
    assert core.gateway.sent[-1].kind == "opt_in_confirmation"


def test_C3_yes_after_the_window_confirms_nothing(
    core: Phonelist, actor: Actor, requested: str
) -> None:
    hours = core.settings.double_opt_in_hours
    result = core.inbound.handle(actor, NUMBER, "YES", at=AT + dt.timedelta(hours=hours, seconds=1))
    assert "confirmed" not in result.actions
    assert state(core, actor) == {("sms", "marketing"): "pending"}
    assert [r.action for r in core.consent.records(actor, NUMBER)] == ["request"]
    check = core.policy.check(actor, NUMBER, "sms", "marketing", AT + 50 * HOUR)
    assert not check.decision.allowed


# -- C4 ------------------------------------------------------------------------------------------


C4_REFUSALS = [
    ("checkbox_prechecked", "consent_prechecked"),
    ("condition_of_purchase", "consent_bundled"),
]


def test_C4_prechecked_or_bundled_consent_is_refused(core: Phonelist, actor: Actor) -> None:
    disclose(core, actor)
    for flag, code in C4_REFUSALS:
        for made in (
            Grant(NUMBER, "sms", "marketing", "web_form", disclosure="web", **{flag: True}),
            RequestOptIn(NUMBER, disclosure="web", **{flag: True}),
        ):
            with pytest.raises(ValidationError) as caught:
                core.consent.apply(actor, made, now=AT)
            assert (caught.value.code, caught.value.field) == (code, flag), made
    assert count(core, ConsentRecord) == 0 and count(core, Message) == 0
    assert core.gateway.sent == [] and state(core, actor) == {}


# -- C5 ------------------------------------------------------------------------------------------


def test_C5_consent_for_one_purpose_covers_no_other(core: Phonelist, actor: Actor) -> None:
    disclose(core, actor)
    grant(core, actor, pairs=[("sms", "marketing")])
    grant(core, actor, OTHER, pairs=[("voice", "informational")])
    later = AT + HOUR
    for number, pair in [(NUMBER, ("sms", "marketing")), (OTHER, ("voice", "informational"))]:
        for channel, purpose in PAIRS:
            check = core.policy.check(actor, number, channel, purpose, later)
            if (channel, purpose) == pair:
                assert check.decision.allowed
            else:
                assert ("C5", "consent_unknown") in blocking(check), (number, channel, purpose)


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "phone", "consent_at", "consent_text", "consent_ip"])
        writer.writerows(rows)
    return path


ROWS = [
    ["With", NUMBER, "2026-01-02T10:00:00Z", "I agree to texts", "203.0.113.9"],
    ["Without", OTHER, "", "", ""],
]


@pytest.mark.parametrize("basis", [None, "sms:marketing:web_form"])
def test_C5_imported_contacts_without_evidence_stay_unknown(
    core: Phonelist, actor: Actor, tmp_path: Path, basis: str | None
) -> None:
    options = ImportOptions(consent_basis=ConsentBasis.parse(basis) if basis else None)
    report = core.imports.run(actor, _write_csv(tmp_path / "people.csv", ROWS), options)
    assert report.counts.imported == 2
    assert report.counts.consent_records == (1 if basis else 0)
    unknown = [OTHER] if basis else [NUMBER, OTHER]
    for number in unknown:
        assert state(core, actor, number) == {}
        assert core.consent.records(actor, number) == []
        for channel, purpose in PAIRS:
            check = core.policy.check(actor, number, channel, purpose, AT)
            assert ("C5", "consent_unknown") in blocking(check)


def test_C5_imported_evidence_becomes_a_chained_ledger_record(
    core: Phonelist, actor: Actor, tmp_path: Path
) -> None:
    options = ImportOptions(consent_basis=ConsentBasis.parse("sms:informational:web_form"))
    core.imports.run(actor, _write_csv(tmp_path / "people.csv", ROWS), options)
    [record] = core.consent.records(actor, NUMBER)
    assert (record.method, record.import_job_id is not None) == ("web_form", True)
    with core.store.read() as session:
        report = core.consent.ledger.verify(session, actor.workspace_id)
    assert report.ok, report.problems
    assert state(core, actor) == {("sms", "informational"): "granted"}
    assert core.policy.check(actor, NUMBER, "sms", "informational", AT).decision.allowed


# -- C6 ------------------------------------------------------------------------------------------


def _revocation(core: Phonelist, actor: Actor, number: str) -> tuple[Any, ...]:
    record = core.consent.records(actor, number)[-1]
    return (record.action, record.scope, record.channel, record.purpose, record.written)


def test_C6_every_way_of_revoking_is_recorded_the_same_way(core: Phonelist, actor: Actor) -> None:
    disclose(core, actor)
    grant(core, actor, NUMBER)
    # The reference: an sms keyword through the inbound path.
    core.inbound.handle(actor, NUMBER, "STOP", at=AT + HOUR)
    reference = _revocation(core, actor, NUMBER)
    assert reference == ("revoke", "all", "*", "*", False)
    for i, method in enumerate(["keyword", "agent", "api", "web", "voice_keypress"]):
        number = f"+1202555{400 + i:04d}"
        grant(core, actor, number)
        outcome = core.consent.apply(actor, Revoke(number, method), now=AT + HOUR)
        record = core.consent.records(actor, number)[-1]
        assert record.id == outcome.record_ids[0]
        assert (record.method, record.actor) == (method, actor.label)
        assert _revocation(core, actor, number) == reference, method
        assert state(core, actor, number) == dict.fromkeys(PAIRS, "revoked"), method


def test_C6_an_unknown_revocation_method_is_refused(core: Phonelist, actor: Actor) -> None:
    with pytest.raises(ValidationError) as caught:
        core.consent.apply(actor, Revoke(NUMBER, "carrier_pigeon"), now=AT)
    assert caught.value.field == "method" and count(core, ConsentRecord) == 0


# -- C7 ------------------------------------------------------------------------------------------

SOFT_FACTS = ("obtained_in_sale", "similar_products", "opt_out_offered")


def test_C7_soft_opt_in_needs_its_three_evidence_facts(core: Phonelist, actor: Actor) -> None:
    for missing in SOFT_FACTS:
        evidence = {fact: True for fact in SOFT_FACTS if fact != missing}
        for incomplete in (evidence, {**evidence, missing: "true"}):  # "true" proves nothing
            with pytest.raises(ValidationError) as caught:
                core.consent.apply(
                    actor, Grant(UK, "sms", "marketing", "soft_opt_in", evidence=incomplete), AT
                )
            assert caught.value.code == "soft_opt_in_evidence"
            assert caught.value.details["missing"] == [missing]
    assert count(core, ConsentRecord) == 0


def test_C7_soft_opt_in_with_its_facts_allows_marketing_sms_only(
    core: Phonelist, actor: Actor
) -> None:
    facts = dict.fromkeys(SOFT_FACTS, True)
    with pytest.raises(ValidationError):
        core.consent.apply(actor, Grant(UK, "voice", "marketing", "soft_opt_in", evidence=facts))
    core.consent.apply(actor, Grant(UK, "sms", "marketing", "soft_opt_in", evidence=facts), now=AT)
    check = core.policy.check(actor, UK, "sms", "marketing", AT + HOUR)
    assert "consent_ok_soft_opt_in" in codes(check)
    assert core.consent.records(actor, UK)[0].evidence == facts


# -- C8 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "lasts"),
    [
        ("casl_implied_purchase", dt.timedelta(days=730)),
        ("casl_implied_inquiry", dt.timedelta(days=183)),
    ],
)
def test_C8_implied_consent_gets_its_expiry(
    core: Phonelist, actor: Actor, method: str, lasts: dt.timedelta
) -> None:
    occurred = AT - dt.timedelta(days=3)
    core.consent.apply(
        actor, Grant(CANADA, "sms", "marketing", method, occurred_at=occurred), now=AT
    )
    [record] = core.consent.records(actor, CANADA)
    assert record.expires_at == occurred + lasts
    assert values(core, actor, CANADA)[("sms", "marketing")].expires_at == occurred + lasts
    before = core.policy.check(actor, CANADA, "sms", "marketing", occurred + lasts - HOUR)
    assert "consent_ok_implied" in codes(before)
    after = core.policy.check(actor, CANADA, "sms", "marketing", occurred + lasts)
    assert ("C8", "consent_expired") in blocking(after)
