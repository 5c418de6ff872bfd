"""Shared by the campaign tests: actors, contacts with every exclusion, outbox reads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from phonelist import Phonelist
from phonelist.campaigns import CampaignService, Draft
from phonelist.consent.commands import Grant
from phonelist.consent.messages import store_message
from phonelist.contacts import ContactIn, CreateContact
from phonelist.contacts.schemas import validate_input
from phonelist.security.permissions import Actor, Role
from phonelist.store.consent_models import Message
from phonelist.store.models import LineLookup, PhoneNumber

UTC = dt.UTC
# A Wednesday, noon in Washington DC (16:00 UTC): inside every US calling window.
AT = dt.datetime(2026, 6, 10, 16, 0, tzinfo=UTC)
PAST = AT - dt.timedelta(days=30)
DISCLOSURE = (
    "I agree to receive automated marketing texts from Acme. Consent is not a condition of "
    "purchase. Msg & data rates may apply."
)


def actor(role: Role, ref: str = "someone") -> Actor:
    return Actor(workspace_id=1, role=role, kind="user", ref=ref)


EDITOR = actor(Role.EDITOR, "editor-1")
ADMIN = actor(Role.ADMIN, "admin-1")
AGENT = actor(Role.AGENT, "agent-1")
VIEWER = actor(Role.VIEWER, "viewer-1")


def service(core: Phonelist, **settings: Any) -> CampaignService:
    """The core's campaign service, with some settings changed."""
    changed = core.settings.model_copy(update=settings)
    return CampaignService(core.store, core.keyring, changed, core.segments, core.policy)


def disclose(core: Phonelist) -> None:
    core.consent.add_disclosure(
        core.cli_actor(),
        "web",
        DISCLOSURE,
        automated_marketing=True,
        not_condition_of_purchase=True,
    )


def person(
    core: Phonelist,
    number: str | None,
    *,
    lists: tuple[str, ...] = ("audience",),
    consent: tuple[str, ...] = ("marketing", "informational"),
    **fields: Any,
) -> str:
    """A contact in ``lists`` with written sms consent for ``consent`` purposes."""
    owner = core.cli_actor()
    data: dict[str, Any] = {"lists": list(lists), **fields}
    if number is not None:
        data["phones"] = [{"number": number}]
    out = core.contacts.apply(owner, CreateContact(validate_input(ContactIn, data)))
    assert out is not None
    for purpose in consent if number is not None else ():
        assert number is not None
        core.consent.apply(
            owner,
            Grant(number, "sms", purpose, "web_form", occurred_at=PAST, disclosure="web"),
            PAST,
        )
    return out.id


def sent_before(core: Phonelist, number: str, count: int, at: dt.datetime = AT) -> None:
    """``count`` marketing sms handed over to a provider in the hours before ``at``."""
    with core.store.write() as session:
        for i in range(count):
            store_message(
                session,
                core.keyring,
                1,
                direction="out",
                e164=number,
                body="earlier promo",
                at=at - dt.timedelta(hours=i + 1),
                kind="campaign",
                status="sent",
                purpose="marketing",
            )


def set_number(core: Phonelist, number: str, **values: Any) -> None:
    index = core.keyring.blind_index("phone", number)
    with core.store.write() as session:
        session.execute(update(PhoneNumber).where(PhoneNumber.e164_index == index).values(**values))


def line_check(core: Phonelist, number: str, line_type: str) -> None:
    with core.store.write() as session:
        session.add(
            LineLookup(
                workspace_id=1,
                e164_index=core.keyring.blind_index("phone", number),
                provider="test",
                line_type=line_type,
                checked_at=PAST,
            )
        )


def register(core: Phonelist, number: str, tmp_path: Path) -> None:
    """Put ``number`` on the US Do Not Call registry (fresh data)."""
    path = tmp_path / "dnc.txt"
    path.write_text(f"{number[2:]}\n", encoding="utf-8")
    core.registries.import_file(
        core.cli_actor(), path, registry_date=(AT - dt.timedelta(days=5)).date(), kind="additions"
    )


def outbox(core: Phonelist, campaign_id: str) -> list[Message]:
    with core.store.read() as session:
        rows = session.scalars(
            select(Message).where(Message.campaign_id == campaign_id).order_by(Message.contact_id)
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def body_of(core: Phonelist, message: Message) -> str:
    assert message.body_enc is not None
    return core.keyring.decrypt(
        message.body_enc, table="messages", column="body", row_id=message.id
    )


def draft(**fields: Any) -> Draft:
    base: dict[str, Any] = {
        "name": "June offer",
        "body": "Hi {first_name|there}, our June offer is here.",
        "purpose": "marketing",
        "audience_kind": "list",
        "audience": "audience",
    }
    return Draft(**{**base, **fields})
