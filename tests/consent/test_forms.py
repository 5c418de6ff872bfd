"""The opt-in form service (consent/forms.py) on both backends: settings, C3 by code, C6, erasure.

The pages are tested in tests/web/test_join.py (SQLite); this runs the core path on PostgreSQL
too.
"""

from __future__ import annotations

import re

import pytest

from phonelist import Phonelist
from phonelist.consent.evidence import current_state
from phonelist.consent.forms import FormIn, FormService
from phonelist.errors import Conflict, PermissionDenied, ValidationError
from phonelist.security.permissions import Actor, Role

NUMBER = "+12025550177"


def _service(core: Phonelist) -> FormService:
    return FormService(core.consent, core.contacts)


def _form(core: Phonelist, actor: Actor) -> FormIn:
    core.consent.add_disclosure(
        actor,
        "t",
        "I agree to automated marketing texts. Not a condition of purchase.",
        automated_marketing=True,
        not_condition_of_purchase=True,
    )
    return FormIn(slug="deals", title="Deals", list_name="Deals", disclosure_name="t")


def test_a_form_is_submitted_confirmed_by_code_opted_out_and_erased(
    core: Phonelist, actor: Actor
) -> None:
    forms = _service(core)
    form = forms.save(actor, _form(core, actor))
    assert forms.public("deals") == form
    disclosure = forms.disclosure(form)
    with pytest.raises(ValidationError, match="Tick the box"):
        forms.submit(
            form,
            NUMBER,
            name=None,
            disclosure_id=disclosure.id,
            ticked=False,
            ip=None,
            user_agent=None,
            source_url="https://x.example/join/deals",
        )
    submitted = forms.submit(
        form,
        NUMBER,
        name="Rui",
        disclosure_id=disclosure.id,
        ticked=True,
        ip="198.51.100.7",
        user_agent="Firefox",
        source_url="https://x.example/join/deals",
    )
    state = current_state(core.consent, actor, NUMBER)
    assert state[("sms", "marketing")].status == "pending"
    [sms] = core.gateway.sent  # type: ignore[attr-defined]
    code = re.search(r"code (\d{6})", sms.body)
    assert code and "Reply YES" in sms.body
    assert forms.status(form, submitted.request_id) == "pending"
    forms.confirm_code(form, submitted.request_id, code.group(1))
    assert forms.status(form, submitted.request_id) == "confirmed"
    assert current_state(core.consent, actor, NUMBER)[("sms", "marketing")].status == "granted"
    forms.opt_out(form, NUMBER, source_url="https://x.example/join/deals/preferences")
    assert current_state(core.consent, actor, NUMBER)[("sms", "marketing")].status == "revoked"
    # Erasure deletes the request; the submission (no personal data) does not block it.
    core.erasure.erase(actor, NUMBER, kind="number")
    assert forms.status(form, submitted.request_id) is None


def test_settings_need_consent_manage_and_unique_addresses(core: Phonelist, actor: Actor) -> None:
    forms = _service(core)
    data = _form(core, actor)
    forms.save(actor, data)
    with pytest.raises(Conflict):
        forms.save(actor, data)
    editor = Actor(actor.workspace_id, Role.EDITOR, "user", "ed")
    with pytest.raises(PermissionDenied):
        forms.save(editor, FormIn(slug="other", title="x", list_name="x", disclosure_name="t"))
    with pytest.raises(ValidationError, match="no consent text"):
        forms.save(actor, FormIn(slug="other", title="x", list_name="x", disclosure_name="nope"))
    with pytest.raises(ValidationError, match="ISO 3166"):
        forms.save(
            actor,
            FormIn(
                slug="other",
                title="x",
                list_name="x",
                disclosure_name="t",
                allowed_countries=("XX",),
            ),
        )
