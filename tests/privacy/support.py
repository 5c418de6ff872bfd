"""A person with something in every part of the privacy export, shared by the export tests."""

from __future__ import annotations

import datetime as dt

from phonelist import Phonelist
from phonelist.consent.commands import Grant, Revoke
from phonelist.contacts import ContactIn, CreateContact
from phonelist.contacts.schemas import validate_input
from phonelist.security.permissions import Actor

AT = dt.datetime(2026, 6, 10, 16, 0, tzinfo=dt.UTC)
FIRST = "+12025550143"
SECOND = "+12025550144"
STRANGER = "+12025550199"  # consent records, no contact
NAME = "<script>alert(1)</script>"
SECRET = "diagnosis: allergic to peanuts"
NOTE = "Called on Tuesday & asked about the <b>gold</b> plan"
IP = "203.0.113.7"
AGENT = "Mozilla/5.0 (X11; Linux x86_64)"
C1_TEXT = (
    "I agree to receive automated marketing texts from Acme at this number. "
    "Consent is not a condition of purchase."
)


def person(core: Phonelist, actor: Actor) -> str:
    """A contact with two numbers, consent given and taken back, a suppression, messages in
    and out, a sensitive custom field and a note; returns the contact id."""
    core.fields.define(actor, "health", "text", sensitive=True)
    core.fields.define(actor, "tier", "text")
    data = {
        "display_name": NAME,
        "first_name": "Ana",
        "phones": [{"number": FIRST, "primary": True}, {"number": SECOND, "label": "work"}],
        "emails": ["ana@example.org"],
        "city": "Washington",
        "tags": ["vip"],
        "lists": ["newsletter"],
        "custom": {"health": SECRET, "tier": "gold"},
        "note": NOTE,
    }
    out = core.contacts.apply(actor, CreateContact(validate_input(ContactIn, data)))
    assert out is not None
    core.consent.add_disclosure(
        actor, "web", C1_TEXT, automated_marketing=True, not_condition_of_purchase=True
    )
    core.consent.apply(
        actor,
        Grant(
            FIRST,
            "sms",
            "marketing",
            "web_form",
            disclosure="web",
            affirmative_action="ticked the box",
            source_url="https://acme.example/join",
            ip=IP,
            user_agent=AGENT,
        ),
        now=AT,
    )
    core.consent.apply(
        actor,
        Revoke(SECOND, "agent", affirmative_action="asked the agent"),
        now=AT + dt.timedelta(hours=1),
    )
    core.inbound.handle(actor, FIRST, "STOP", at=AT + dt.timedelta(days=1))  # in, and a reply out
    core.suppressions.add(actor, SECOND, source="phone call", reason="asked not to be called")
    return out.id


def stranger(core: Phonelist, actor: Actor) -> None:
    """Consent records for a number that no contact owns."""
    core.consent.apply(actor, Grant(STRANGER, "sms", "informational", "verbal"), now=AT)
