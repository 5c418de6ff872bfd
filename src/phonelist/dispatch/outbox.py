"""The outbox: outbound rows of the ``messages`` table, and the two writes others make to it.

:func:`enqueue` queues one message under an idempotency key (a second call with the same key
is a no-op, on SQLite and PostgreSQL alike: ``INSERT .. ON CONFLICT DO NOTHING``).
:func:`cancel_for_opt_out` runs inside the transaction that commits an opt-out (consent
revocation, suppression): it cancels the number's waiting messages and waits for any worker
that holds them, so every send of that number happened before the opt-out committed
(docs/dispatch.md, "The opt-out race").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from phonelist.clock import utcnow
from phonelist.ids import new_id
from phonelist.security.crypto import Keyring
from phonelist.store.consent_models import Message

__all__ = [
    "CONSENT_PURPOSES",
    "HANDED_OVER",
    "REPLY_KINDS",
    "WAITING",
    "Revocation",
    "cancel_for_opt_out",
    "cancel_revoked",
    "enqueue",
    "send_key",
]

# Outbound statuses that mean "handed to a provider" (or being handed right now): the sends
# that frequency caps count. ``queued`` is not one: a waiting message would count itself.
HANDED_OVER = ("sending", "sent", "delivered", "undelivered")
WAITING = ("queued", "sending")  # not final, not yet known to be with a provider
# Purposes that need consent: an opt-out cancels waiting messages for these.
CONSENT_PURPOSES = ("marketing", "informational")
# The compliance machinery's own replies (O5, O6): an opt-out never cancels them (the STOP
# confirmation is queued in the very transaction of the opt-out), and the policy re-check
# before sending does not apply to them.
REPLY_KINDS = frozenset({"opt_out_confirmation", "help", "opt_in_confirmation", "double_opt_in"})


def enqueue(
    session: Session,
    keyring: Keyring,
    workspace_id: int,
    *,
    e164: str,
    body: str,
    channel: str,
    purpose: str,
    kind: str,
    idempotency_key: str,
    campaign_id: str | None = None,
    contact_id: str | None = None,
    sender: str | None = None,
    not_before: dt.datetime | None = None,
    gateway: str | None = None,
    encoding: str | None = None,
    segments: int | None = None,
    at: dt.datetime | None = None,
) -> str | None:
    """Queue one outbound message; the new id, or None when ``idempotency_key`` exists.

    ``at`` (default: ``not_before`` or now) is when the row was queued; the dispatcher sets it
    to the send instant when it hands the message over, which is what frequency caps read.
    """
    if not idempotency_key:
        raise ValueError("an outbox message needs an idempotency key")
    message_id = new_id()
    values = {
        "id": message_id,
        "workspace_id": workspace_id,
        "direction": "out",
        "e164_index": keyring.blind_index("phone", e164),
        "e164_enc": keyring.encrypt(e164, table="messages", column="e164", row_id=message_id),
        "sender": sender,
        "channel": channel,
        "purpose": purpose,
        "kind": kind,
        "body_enc": keyring.encrypt(body, table="messages", column="body", row_id=message_id),
        "at": at or not_before or utcnow(),
        "status": "queued",
        "campaign_id": campaign_id,
        "contact_id": contact_id,
        "idempotency_key": idempotency_key,
        "not_before": not_before,
        "attempts": 0,
        "gateway": gateway,
        "encoding": encoding,
        "segments": segments,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Message)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["workspace_id", "idempotency_key"])
        .returning(Message.id)
    )
    inserted = session.execute(statement).scalar_one_or_none()
    return message_id if inserted == message_id else None


def send_key(message_id: str, idempotency_key: str | None) -> str:
    """The key sent to the provider on every attempt of one message."""
    return idempotency_key or f"msg:{message_id}"


def cancel_for_opt_out(
    session: Session,
    workspace_id: int,
    e164_index: bytes,
    *,
    purposes: Collection[str] = CONSENT_PURPOSES,
    channel: str | None = None,
    reason: str = "opted_out",
) -> int:
    """In the opt-out's transaction: cancel the number's waiting messages for ``purposes``.

    The UPDATE takes the rows' locks, so on PostgreSQL it waits for a worker that holds them
    (from its check through its send to its status update); on SQLite the opt-out already
    waited for the single writer lock. The number's other waiting messages (emergency, the
    replies) are locked too (``FOR UPDATE``), for the same wait, but left queued: their own
    check before sending sees the opt-out. Returns how many were cancelled.
    """
    where = (
        Message.workspace_id == workspace_id,
        Message.e164_index == e164_index,
        Message.direction == "out",
        Message.status.in_(WAITING),
    )
    statement = (
        update(Message)
        .where(
            *where,
            Message.purpose.in_(tuple(purposes)),
            Message.kind.not_in(sorted(REPLY_KINDS)),
        )
        .values(
            status="cancelled",
            error_code=reason,
            error="cancelled by an opt-out before sending",
            claimed_by=None,
            claimed_until=None,
            next_attempt_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if channel is not None:
        statement = statement.where(Message.channel == channel)
    cancelled = session.execute(statement).rowcount  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Message.id).where(*where).with_for_update()).all()
    return int(cancelled or 0)


class Revocation(Protocol):
    """What :func:`cancel_revoked` reads of a ledger entry."""

    @property
    def e164(self) -> str: ...
    @property
    def channel(self) -> str: ...  # or "*"
    @property
    def purpose(self) -> str: ...  # or "*"


def cancel_revoked(
    session: Session, keyring: Keyring, workspace_id: int, revocation: Revocation
) -> int:
    """:func:`cancel_for_opt_out` for a ledger revocation (its channel and purpose, or ``*``)."""
    purpose, channel = revocation.purpose, revocation.channel
    return cancel_for_opt_out(
        session,
        workspace_id,
        keyring.blind_index("phone", revocation.e164),
        purposes=CONSENT_PURPOSES if purpose == "*" else (purpose,),
        channel=None if channel == "*" else channel,
    )
