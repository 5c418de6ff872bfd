"""Consent and suppressions of a stored number by its phone row: for agents, who never see it."""

from __future__ import annotations

import pytest

from phonelist import NotFound, Phonelist
from phonelist.security.permissions import Actor, Role
from tests.privacy.support import SECOND, person


def _as(actor: Actor, role: Role) -> Actor:
    return Actor(actor.workspace_id, role, "user", role.value)


def test_an_agent_reads_consent_and_suppressions_by_phone_row(
    core: Phonelist, actor: Actor
) -> None:
    contact_id = person(core, actor)
    second = core.contacts.get(actor, contact_id).phones[1]
    agent = _as(actor, Role.AGENT)
    state, records = core.consent.of_phone(agent, second.id)
    assert state[("sms", "marketing")].status == "revoked"
    assert [r.action for r in records] == [r.action for r in core.consent.records(actor, SECOND)]
    hidden = core.suppressions.of_phone(agent, second.id)
    shown = core.suppressions.of_phone(_as(actor, Role.EDITOR), second.id)
    assert [s.id for s in hidden] == [s.id for s in shown] and hidden
    assert {s.e164 for s in hidden} == {None} and {s.e164 for s in shown} == {SECOND}


def test_unknown_rows_and_other_workspaces_rows_are_not_found(
    core: Phonelist, actor: Actor
) -> None:
    contact_id = person(core, actor)
    phone_id = core.contacts.get(actor, contact_id).phones[0].id
    stranger = Actor(actor.workspace_id + 1, Role.OWNER, "user", "elsewhere")
    for who, row in ((actor, "01ARZ3NDEKTSV4RRFFQ69G5FAV"), (stranger, phone_id)):
        with pytest.raises(NotFound):
            core.consent.of_phone(who, row)
        with pytest.raises(NotFound):
            core.suppressions.of_phone(who, row)
