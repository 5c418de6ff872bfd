"""Delivery receipts: a provider's status callback moves a sent message to its final state.

``sent`` -> ``delivered`` | ``undelivered`` | ``failed``. A final state is never changed
again (a late or repeated callback is a no-op), an unknown ``provider_ref`` is ignored, and an
opt-out error code (O7, e.g. Twilio 21610) suppresses the number and revokes its consent in
the same transaction as the status change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from phonelist.consent.commands import Revoke
from phonelist.gateways import FINAL_STATUSES, DeliveryReport
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor, Role
from phonelist.store.consent_models import Message
from phonelist.suppression.service import PROVIDER_OPT_OUT_CODES, SuppressionService

__all__ = ["Receipt", "apply_receipt_in"]

_ORDER = {"queued": 0, "sending": 1, "sent": 2}


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a delivery report did: the message it matched (None: unknown), and whether it
    changed it (False: a repeat, or news older than what we know)."""

    message_id: str | None
    status: str | None
    changed: bool
    opted_out: bool = False


def apply_receipt_in(
    session: Session,
    keyring: Keyring,
    suppressions: SuppressionService,
    report: DeliveryReport,
    now: dt.datetime,
) -> Receipt:
    message = session.scalars(
        select(Message)
        .where(Message.provider_ref == report.provider_ref, Message.direction == "out")
        .order_by(Message.id)
        .limit(1)
    ).first()
    if message is None:
        return Receipt(None, None, False)
    opt_out = report.opt_out or (report.error_code or "").strip() in PROVIDER_OPT_OUT_CODES
    changed = _move(message, report, now)
    if opt_out and changed:
        e164 = keyring.decrypt(message.e164_enc, table="messages", column="e164", row_id=message.id)
        code = (report.error_code or "opt_out").strip()
        actor = Actor(message.workspace_id, Role.OWNER, "system", f"provider-error:{code}")
        suppressions.add_in(
            session,
            actor,
            e164,
            kind="provider_opt_out",
            source=f"provider error {code}"[:100],
            reason="the provider reports the recipient opted out",
            at=now,
        )
        suppressions.consent.apply_in(
            session,
            actor,
            Revoke(e164, method="provider", affirmative_action=f"provider error {code}"),
            now,
        )
    return Receipt(message.id, message.status, changed, opt_out and changed)


def _move(message: Message, report: DeliveryReport, now: dt.datetime) -> bool:
    if message.status in FINAL_STATUSES or message.status == "cancelled":
        return False  # final: a late or repeated callback changes nothing
    if report.status in FINAL_STATUSES:
        message.status = report.status
        if report.status == "delivered":
            message.delivered_at = now
        else:
            message.error_code = (report.error_code or report.provider_status)[:32]
        return True
    # Progress that is not final ("sent" after "queued"): only forward, never back.
    if _ORDER.get(report.status, -1) > _ORDER.get(message.status, 3):
        message.status = report.status
        return True
    return False
