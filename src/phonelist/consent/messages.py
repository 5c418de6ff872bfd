"""Messages in and out, as the consent domain sees them: stored sealed, delivered after commit.

A reply (confirmation, HELP answer, double opt-in request) is first stored as ``queued`` in the
outbox in the same transaction as the change that caused it, then handed to the gateway once
that change is committed, through the dispatcher's send path: the opt-out never waits on a
provider, and a crash between the two leaves a queued reply that the worker sends (under the
same idempotency key) rather than a lost opt-out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from phonelist.clock import utcnow
from phonelist.gateways import Gateway, Outbound
from phonelist.ids import new_id
from phonelist.security.crypto import Keyring
from phonelist.store import Store
from phonelist.store.consent_models import Message

__all__ = ["Delivery", "deliver", "queue", "store_message"]


def store_message(
    session: Session,
    keyring: Keyring,
    workspace_id: int,
    *,
    direction: str,
    e164: str,
    body: str,
    at: dt.datetime,
    kind: str,
    status: str,
    channel: str = "sms",
    purpose: str | None = None,
    sender: str | None = None,
    subject: str | None = None,
) -> Message:
    message_id = new_id()
    message = Message(
        id=message_id,
        workspace_id=workspace_id,
        direction=direction,
        e164_index=keyring.blind_index("phone", e164),
        e164_enc=keyring.encrypt(e164, table="messages", column="e164", row_id=message_id),
        sender=sender,
        channel=channel,
        purpose=purpose,
        kind=kind,
        subject=subject,
        body_enc=keyring.encrypt(body, table="messages", column="body", row_id=message_id),
        at=at,
        status=status,
    )
    session.add(message)
    return message


@dataclass(frozen=True, slots=True)
class Delivery:
    message_id: str
    outbound: Outbound
    at: dt.datetime | None = None  # when it was queued: the instant of the hand-over


def queue(
    session: Session,
    keyring: Keyring,
    workspace_id: int,
    outbound: Outbound,
    at: dt.datetime,
    purpose: str = "informational",
) -> Delivery:
    message = store_message(
        session,
        keyring,
        workspace_id,
        direction="out",
        e164=outbound.to,
        body=outbound.body,
        at=at,
        kind=outbound.kind,
        status="queued",
        purpose=purpose,
        sender=outbound.sender,
    )
    return Delivery(message.id, outbound, at)


def deliver(
    store: Store, gateway: Gateway, deliveries: list[Delivery], keyring: Keyring
) -> list[tuple[str, str]]:
    """Send queued replies now, through the outbox (:mod:`phonelist.dispatch.immediate`).

    Returns (number, provider code) for each provider opt-out (O7). A retryable failure
    leaves the reply queued for the worker; any other leaves it ``failed``.
    """
    from phonelist.dispatch.immediate import send_now  # dispatch imports the consent service

    errors: list[tuple[str, str]] = []
    for delivery in deliveries:
        errors.extend(
            send_now(store, keyring, gateway, [delivery.message_id], delivery.at or utcnow())
        )
    return errors
