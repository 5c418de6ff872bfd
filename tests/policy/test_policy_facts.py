"""``policy_facts`` (migration 0008) equals what the source tables say after every write path.

Each step writes through a service (consent grant and revoke, suppression add and lift,
registry import and deletion, line check, contact and phone changes, merge, delete), then the
whole table is compared with the facts recomputed in Python from contacts, phone numbers,
consent states, suppressions, registry numbers and line checks. A trigger missing or wrong for
any of them fails here; the bulk decisions that read the table are compared with ``check`` in
test_bulk.py.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from phonelist import Phonelist
from phonelist.consent.commands import Grant, Revoke
from phonelist.contacts import ContactIn, CreateContact
from phonelist.contacts.commands import DeleteContact, MergeContacts, UpdateContact
from phonelist.contacts.schemas import ContactPatch, validate_input
from phonelist.lookup.base import LineCheck
from phonelist.lookup.service import LineCheckService
from phonelist.security.permissions import Actor
from phonelist.store.consent_models import ConsentState, RegistryNumber
from phonelist.store.models import Contact, LineLookup, PhoneNumber, Suppression
from phonelist.store.policy_models import CONSENT_PAIRS, policy_facts

BASE = dt.datetime(2026, 6, 10, 12, 0, tzinfo=dt.UTC)
Key = tuple[int, str, bytes]


def _when(value: Any) -> Any:
    """Instants as naive UTC, whatever the driver and column type return."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def stored(core: Phonelist) -> dict[Key, dict[str, Any]]:
    with core.store.read() as session:
        rows = session.connection().execute(select(policy_facts)).mappings().all()
    found = {}
    for row in rows:
        facts = dict(row)
        key = (facts.pop("workspace_id"), facts.pop("contact_id"), facts.pop("e164_index"))
        facts["suppressions"] = frozenset(k for k in facts["suppressions"].split("|") if k)
        facts["time_zones"] = _json(facts["time_zones"])
        for name, value in facts.items():
            if name.endswith(("_written", "is_primary", "legal_person", "reassigned")):
                facts[name] = None if value is None else bool(value)
            elif name.endswith(("_since", "_expires", "_at")):
                facts[name] = _when(value)
            elif name.endswith("_evidence"):
                facts[name] = _json(value)
        facts["us_dnc"], facts["pt_optout"] = bool(facts["us_dnc"]), bool(facts["pt_optout"])
        found[key] = facts
    return found


def expected(core: Phonelist) -> dict[Key, dict[str, Any]]:
    """The facts of every stored number, read from the source tables."""
    found = {}
    with core.store.read() as session:
        for phone in session.scalars(select(PhoneNumber)):
            contact = session.get(Contact, phone.contact_id)
            assert contact is not None
            number = (phone.workspace_id, phone.e164_index)
            facts: dict[str, Any] = {
                "is_primary": phone.is_primary,
                "region": phone.region,
                "area_code": phone.area_code,
                "time_zones": phone.time_zones,
                "contact_time_zone": contact.time_zone,
                "country": contact.country,
                "contact_region": contact.region,
                "legal_person": contact.legal_person,
                "last_purchase_at": _when(contact.last_purchase_at),
                "last_inquiry_at": _when(contact.last_inquiry_at),
            }
            for channel, purpose in CONSENT_PAIRS:
                state = session.get(ConsentState, (*number, channel, purpose))
                pair = f"{channel}_{purpose}"
                facts[f"{pair}_status"] = state.status if state else None
                facts[f"{pair}_method"] = state.method if state else None
                facts[f"{pair}_written"] = state.written if state else None
                facts[f"{pair}_sender"] = state.sender if state else None
                facts[f"{pair}_since"] = _when(state.since) if state else None
                facts[f"{pair}_expires"] = _when(state.expires_at) if state else None
                facts[f"{pair}_evidence"] = state.evidence if state else None
            facts["suppressions"] = frozenset(
                session.scalars(
                    select(Suppression.kind).where(
                        Suppression.workspace_id == number[0],
                        Suppression.e164_index == number[1],
                        Suppression.lifted_at.is_(None),
                    )
                )
            )
            listed = set(
                session.scalars(
                    select(RegistryNumber.registry_name).where(
                        RegistryNumber.workspace_id == number[0],
                        RegistryNumber.e164_index == number[1],
                    )
                )
            )
            facts["us_dnc"], facts["pt_optout"] = "us_dnc" in listed, "pt_optout" in listed
            line = session.get(LineLookup, number)
            facts["reassigned"] = line.reassigned if line else None
            facts["reassigned_since"] = line.reassigned_since if line else None
            found[(phone.workspace_id, phone.contact_id, phone.e164_index)] = facts
    return found


def agree(core: Phonelist) -> dict[Key, dict[str, Any]]:
    table, truth = stored(core), expected(core)
    assert set(table) == set(truth)
    for key, facts in truth.items():
        assert table[key] == facts, key
    return table


class Lines:
    """A line-check provider that says every number was reassigned on one date."""

    name = "test"

    def __init__(self, since: dt.date) -> None:
        self.since = since

    def check(self, e164: str, *, reassigned_since: dt.date | None = None) -> LineCheck:
        return LineCheck(e164, "test", "mobile", None, True, True, self.since, BASE)


def _facts_of(table: dict[Key, dict[str, Any]], core: Phonelist, number: str) -> dict[str, Any]:
    index = core.keyring.blind_index("phone", number)
    [facts] = [facts for key, facts in table.items() if key[2] == index]
    return facts


def test_every_write_path_keeps_the_table(core: Phonelist, actor: Actor, tmp_path: Path) -> None:
    one, two, three = "+13055550101", "+13055550102", "+12145550103"
    disclosure = core.consent.add_disclosure(
        actor,
        "terms",
        "I agree to automated marketing texts. Consent is not a condition of purchase.",
        automated_marketing=True,
        not_condition_of_purchase=True,
    )
    # contact and phone add
    first = core.contacts.apply(
        actor,
        CreateContact(
            validate_input(
                ContactIn,
                {"phones": [{"number": one}, {"number": two}], "country": "US", "region": "FL"},
            )
        ),
    )
    assert first is not None
    table = agree(core)
    assert len(table) == 2 and _facts_of(table, core, one)["country"] == "US"

    # consent grant and revoke
    grant = Grant(one, "sms", "marketing", "web_form", disclosure=disclosure.name)
    core.consent.apply(actor, grant, BASE)
    assert _facts_of(agree(core), core, one)["sms_marketing_status"] == "granted"
    core.consent.apply(actor, Grant(one, "voice", "informational", "verbal"), BASE)
    assert _facts_of(agree(core), core, one)["voice_informational_status"] == "granted"
    core.consent.apply(actor, Revoke(one, "agent"), BASE + dt.timedelta(hours=1))
    assert _facts_of(agree(core), core, one)["sms_marketing_status"] == "revoked"

    # suppression add and lift
    entry = core.suppressions.add(actor, one, kind="internal_dnc")
    core.suppressions.add(actor, one, kind="reassigned")
    assert _facts_of(agree(core), core, one)["suppressions"] == {"internal_dnc", "reassigned"}
    core.suppressions.lift(actor, entry.id, "asked to hear from us again")
    assert _facts_of(agree(core), core, one)["suppressions"] == {"reassigned"}

    # registry import: additions, then deletions
    registry = tmp_path / "dnc.txt"
    registry.write_text(f"{one[2:]}\n{two[2:]}\n", encoding="utf-8")
    day = BASE.date() - dt.timedelta(days=3)
    core.registries.import_file(actor, registry, registry_date=day, kind="additions")
    assert _facts_of(agree(core), core, two)["us_dnc"] is True
    registry.write_text(f"{two[2:]}\n", encoding="utf-8")
    core.registries.import_file(actor, registry, registry_date=day, kind="deletions")
    table = agree(core)
    assert _facts_of(table, core, two)["us_dnc"] is False
    assert _facts_of(table, core, one)["us_dnc"] is True

    # line check: a new row, then a changed one
    checks = LineCheckService(
        core.store, core.keyring, Lines(dt.date(2026, 1, 2)), max_age=dt.timedelta(days=1)
    )
    checks.check(actor, one, reassigned_since=dt.date(2025, 1, 1))
    assert _facts_of(agree(core), core, one)["reassigned_since"] == dt.date(2026, 1, 2)
    checks.lookup = Lines(dt.date(2026, 3, 4))
    checks.check(actor, one, reassigned_since=dt.date(2025, 1, 1), refresh=True)
    assert _facts_of(agree(core), core, one)["reassigned_since"] == dt.date(2026, 3, 4)

    # contact change alone, then with a phone change (a new number in place of the second),
    # then a phone delete
    zone = {"time_zone": "America/Denver"}
    core.contacts.apply(actor, UpdateContact(first.id, validate_input(ContactPatch, zone)))
    table = agree(core)
    assert _facts_of(table, core, two)["contact_time_zone"] == "America/Denver"
    patch = {"time_zone": "America/Chicago", "region": "TX", "phones": [one, three]}
    core.contacts.apply(actor, UpdateContact(first.id, validate_input(ContactPatch, patch)))
    table = agree(core)
    assert len(table) == 2 and _facts_of(table, core, three)["contact_region"] == "TX"
    core.contacts.apply(
        actor, UpdateContact(first.id, validate_input(ContactPatch, {"phones": [three]}))
    )
    table = agree(core)
    assert len(table) == 1 and _facts_of(table, core, three)["is_primary"] is True

    # the old first number on a new contact: its consent and registry facts come along
    second = core.contacts.apply(
        actor, CreateContact(validate_input(ContactIn, {"phones": [{"number": one}]}))
    )
    assert second is not None
    table = agree(core)
    assert _facts_of(table, core, one)["us_dnc"] is True
    assert _facts_of(table, core, one)["voice_informational_status"] == "revoked"

    # merge moves numbers between contacts; delete removes the rest
    core.contacts.apply(actor, MergeContacts(first.id, second.id))
    agree(core)
    core.contacts.apply(actor, DeleteContact(first.id))
    assert agree(core) == {}
