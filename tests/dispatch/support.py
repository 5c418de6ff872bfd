"""Shared by the dispatch tests: an audience with consent, stored in bulk, and a campaign."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import insert, select

from phonelist import Phonelist
from phonelist.dispatch import enqueue
from phonelist.dispatch.dispatcher import Dispatcher, DispatchSettings
from phonelist.gateways import Gateway, GatewayError, Outbound, SendResult
from phonelist.ids import new_id
from phonelist.store.consent_models import ConsentState, Message
from phonelist.store.models import Contact, PhoneNumber

UTC = dt.UTC
# A Wednesday, noon in Washington DC: inside every US calling window.
AT = dt.datetime(2026, 6, 10, 16, 0, tzinfo=UTC)
NIGHT = dt.datetime(2026, 6, 11, 6, 0, tzinfo=UTC)  # 2 a.m. in Washington DC
ZONES = ["America/New_York"]


def number(n: int, area: str = "202") -> str:
    return f"+1{area}{2 + n // 1_000_000}{n % 1_000_000:06d}"


def populate(
    core: Phonelist,
    count: int,
    *,
    start: int = 0,
    area: str = "202",
    purposes: tuple[str, ...] = ("marketing",),
) -> list[tuple[str, str]]:
    """``count`` contacts (mobiles, Washington DC unless told) with written sms consent."""
    keyring, since = core.keyring, AT - dt.timedelta(days=30)
    people: list[tuple[str, str]] = []
    for first in range(start, start + count, 5_000):
        contacts, phones, states = [], [], []
        for n in range(first, min(start + count, first + 5_000)):
            e164, cid, pid = number(n, area), new_id(), new_id()
            index = keyring.blind_index("phone", e164)
            people.append((cid, e164))
            contacts.append(
                {
                    "id": cid,
                    "workspace_id": 1,
                    "status": "lead",
                    "created_at": since,
                    "updated_at": since,
                    "legal_person": False,
                }
            )
            phones.append(
                {
                    "id": pid,
                    "contact_id": cid,
                    "workspace_id": 1,
                    "e164_enc": keyring.encrypt(
                        e164, table="phone_numbers", column="e164", row_id=pid
                    ),
                    "e164_index": index,
                    "is_primary": True,
                    "position": 0,
                    "validity": "valid",
                    "number_type": "mobile",
                    "region": "US",
                    "country_code": 1,
                    "time_zones": ZONES,
                    "area_code": area,
                }
            )
            for purpose in purposes:
                states.append(
                    {
                        "workspace_id": 1,
                        "e164_index": index,
                        "channel": "sms",
                        "purpose": purpose,
                        "status": "granted",
                        "method": "web_form",
                        "written": True,
                        "sender": None,
                        "since": since,
                        "expires_at": None,
                        "evidence": [],
                        "record_id": new_id(),
                    }
                )
        with core.store.write() as session:
            session.execute(insert(Contact), contacts)
            session.execute(insert(PhoneNumber), phones)
            session.execute(insert(ConsentState), states)
    return people


def launch(
    core: Phonelist,
    people: Sequence[tuple[str, str]],
    *,
    campaign: str = "c1",
    purpose: str = "marketing",
    body: str = "Spring sale at Acme. Reply STOP to opt out",
    at: dt.datetime = AT,
) -> list[str]:
    """One queued message per person, keyed ``campaign:<campaign>:<contact>``."""
    ids: list[str] = []
    with core.store.write() as session:
        for contact_id, e164 in people:
            found = enqueue(
                session,
                core.keyring,
                1,
                e164=e164,
                body=body,
                channel="sms",
                purpose=purpose,
                kind="campaign",
                idempotency_key=f"campaign:{campaign}:{contact_id}",
                contact_id=contact_id,
                at=at,
            )
            if found is not None:
                ids.append(found)
    return ids


def dispatcher(core: Phonelist, gateway: Gateway | None = None, **kw: object) -> Dispatcher:
    settings = DispatchSettings(**{"backoff_seconds": 10.0, **kw})  # type: ignore[arg-type]
    return Dispatcher(
        core.store, core.keyring, core.policy, gateway or core.gateway, core.suppressions, settings
    )


def statuses(core: Phonelist) -> dict[str, int]:
    with core.store.read() as session:
        found: dict[str, int] = {}
        for (status,) in session.execute(select(Message.status).where(Message.direction == "out")):
            found[status] = found.get(status, 0) + 1
        return found


def message(core: Phonelist, message_id: str) -> Message:
    with core.store.read() as session:
        return session.scalars(select(Message).where(Message.id == message_id)).one()


class Scripted:
    """A gateway that answers from a script: an error for some numbers, else a reference."""

    name = "scripted"

    def __init__(self) -> None:
        self.sent: list[Outbound] = []
        self.errors: dict[str, GatewayError] = {}

    def send(self, message: Outbound) -> SendResult:
        if message.to in self.errors:
            raise self.errors[message.to]
        self.sent.append(message)
        return SendResult(provider_ref=f"ref-{len(self.sent)}")


class Picky:
    """Built in a child process (picklable by name): refuses numbers ending in 0 (21211)."""

    name = "picky"

    def send(self, message: Outbound) -> SendResult:
        if message.to.endswith("0"):
            raise GatewayError("invalid", provider_code="21211", category="invalid_number")
        return SendResult(provider_ref=f"picky-{message.idempotency_key}")
