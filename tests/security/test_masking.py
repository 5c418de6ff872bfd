"""Agents see numbers masked; every other role sees them in full (contacts.numbers)."""

from __future__ import annotations

import csv
import io

import pytest

from phonelist import Phonelist
from phonelist.contacts.codec import mask_number
from phonelist.contacts.commands import CreateContact
from phonelist.contacts.schemas import ContactIn
from phonelist.core import DEFAULT_WORKSPACE
from phonelist.security.permissions import Actor, Permission, Role
from tests.api.client import bearer, client_for, new_token

NUMBER = "+351912345678"
MASKED = "+351 ••• ••• 678"


def as_role(role: Role) -> Actor:
    return Actor(DEFAULT_WORKSPACE, role, "user", f"test-{role.value}")


@pytest.fixture
def contact_id(core: Phonelist) -> str:
    data = ContactIn.model_validate({"display_name": "Ana Sousa", "phones": [NUMBER]})
    contact = core.contacts.apply(core.cli_actor(), CreateContact(data))
    assert contact is not None
    return contact.id


@pytest.mark.parametrize(
    ("e164", "masked"),
    [
        (NUMBER, (MASKED, "••• ••• 678")),
        ("+12015550123", ("+1 •••-•••-•123", "(•••) •••-•123")),
        ("+442071838750", ("+44 •• •••• •750", "••• •••• •750")),
    ],
)
def test_mask_keeps_the_country_code_and_the_last_three_digits(
    e164: str, masked: tuple[str, str]
) -> None:
    assert mask_number(e164) == masked


def test_only_agents_lack_contacts_numbers() -> None:
    assert [r for r in Role if not as_role(r).can(Permission.CONTACTS_NUMBERS)] == [Role.AGENT]


def test_an_agent_sees_masked_numbers(core: Phonelist, contact_id: str) -> None:
    agent = as_role(Role.AGENT)

    phone = core.contacts.get(agent, contact_id).phones[0]
    listed = core.contacts.page(agent).items[0].phones[0]

    assert (phone.e164, phone.national) == (MASKED, "••• ••• 678")
    assert listed.e164 == MASKED


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.EDITOR, Role.VIEWER])
def test_other_roles_see_full_numbers(core: Phonelist, contact_id: str, role: Role) -> None:
    assert core.contacts.get(as_role(role), contact_id).phones[0].e164 == NUMBER


def test_agents_still_find_contacts_by_number(core: Phonelist, contact_id: str) -> None:
    found = core.contacts.search(as_role(Role.AGENT), "+351 912 345 678").items

    assert [c.id for c in found] == [contact_id]
    assert found[0].phones[0].e164 == MASKED


def test_what_an_agent_writes_comes_back_masked(core: Phonelist) -> None:
    data = ContactIn.model_validate({"display_name": "Rui", "phones": ["+351 913 000 111"]})
    contact = core.contacts.apply(as_role(Role.AGENT), CreateContact(data))

    assert contact is not None
    assert contact.phones[0].e164 == "+351 ••• ••• 111"


@pytest.mark.parametrize("numbers", ["e164", "national"])
def test_an_agents_export_is_masked(core: Phonelist, contact_id: str, numbers: str) -> None:
    out = io.BytesIO()
    core.exports.export(as_role(Role.AGENT), out, "csv", number_format=numbers)

    text = out.getvalue().decode("utf-8-sig")
    assert "912345678" not in text.replace(" ", "")
    row = next(csv.DictReader(io.StringIO(text)))
    assert next(v for k, v in row.items() if k.startswith("phone")).endswith("678")
    assert "•" in text


def test_the_api_masks_numbers_for_agent_tokens(core: Phonelist, contact_id: str) -> None:
    with client_for(core) as client:
        agent = client.get(
            f"/api/v1/contacts/{contact_id}", headers=bearer(new_token(core, Role.AGENT))
        )
        editor = client.get(
            f"/api/v1/contacts/{contact_id}", headers=bearer(new_token(core, Role.EDITOR))
        )

    assert agent.status_code == editor.status_code == 200
    assert agent.json()["phones"][0]["e164"] == MASKED
    assert editor.json()["phones"][0]["e164"] == NUMBER
