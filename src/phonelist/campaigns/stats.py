"""A campaign's statistics: its outbox rows by state, delivery rate, opt-outs it caused, cost.

- **delivery rate**: delivered / (delivered + undelivered + failed + sent): of the messages
  that left the outbox (cancelled ones never did), how many the provider confirmed delivered.
  ``sent`` still waits for a receipt, so the rate rises as receipts arrive.
- **opt-outs caused**: recipients of a sent message whose consent was revoked (any channel or
  purpose, any method) after the launch and within ``window`` of it.
- **cost**: segments x the configured price per segment of the number's region; ``spent``
  counts messages handed to a provider, ``estimate`` adds those still waiting.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from phonelist.campaigns.preview import price_of
from phonelist.clock import utcnow
from phonelist.config import Settings
from phonelist.errors import NotFound
from phonelist.security.permissions import Actor, Permission
from phonelist.store import Store
from phonelist.store.campaign_models import Campaign
from phonelist.store.consent_models import Message
from phonelist.store.models import ConsentRecord, PhoneNumber

__all__ = ["OPT_OUT_WINDOW", "Stats", "campaign_stats"]

OPT_OUT_WINDOW = dt.timedelta(days=7)
STATES = ("queued", "sending", "sent", "delivered", "undelivered", "failed", "cancelled")
LEFT = ("sent", "delivered", "undelivered", "failed")
HANDED = ("sending", "sent", "delivered", "undelivered")
WAITING = ("queued", "sending")


@dataclass(frozen=True, slots=True)
class Stats:
    campaign_id: str
    status: str
    total: int
    by_state: dict[str, int]
    delivery_rate: float | None
    opt_outs: int
    opt_out_window_hours: float
    segments: int
    cost_spent: float
    cost_estimate: float
    done: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def campaign_stats(
    store: Store,
    settings: Settings,
    actor: Actor,
    campaign_id: str,
    *,
    window: dt.timedelta = OPT_OUT_WINDOW,
    now: dt.datetime | None = None,
) -> Stats:
    """Statistics of one campaign; a sending campaign with nothing left waiting becomes done."""
    actor.require(Permission.MESSAGES_READ)
    now = now or utcnow()
    workspace = actor.workspace_id
    with store.read() as session:
        row = session.scalar(
            select(Campaign).where(Campaign.id == campaign_id, Campaign.workspace_id == workspace)
        )
        if row is None:
            raise NotFound(f"no campaign with id {campaign_id!r}", field="id")
        status, launched_at = row.status, row.launched_at
        mine = (Message.workspace_id == workspace, Message.campaign_id == campaign_id)
        by_state = {state: 0 for state in STATES}
        for state, count in session.execute(
            select(Message.status, func.count()).where(*mine).group_by(Message.status)
        ):
            by_state[state] = int(count)
        opt_outs = _opt_outs(session, workspace, campaign_id, launched_at, window)
        segments, spent, estimate = _cost(session, settings, workspace, campaign_id)
    left = sum(by_state[s] for s in LEFT)
    waiting = sum(by_state[s] for s in WAITING)
    total = sum(by_state.values())
    if status == "sending" and total and not waiting:
        with store.write() as session:
            stored = session.scalar(
                select(Campaign).where(Campaign.id == campaign_id, Campaign.status == "sending")
            )
            if stored is not None:
                stored.status, stored.finished_at = "done", now
                status = "done"
    return Stats(
        campaign_id=campaign_id,
        status=status,
        total=total,
        by_state=by_state,
        delivery_rate=round(by_state["delivered"] / left, 4) if left else None,
        opt_outs=opt_outs,
        opt_out_window_hours=window.total_seconds() / 3600,
        segments=segments,
        cost_spent=round(spent, 6),
        cost_estimate=round(estimate, 6),
        done=status in ("done", "cancelled"),
    )


def _opt_outs(
    session: Session,
    workspace: int,
    campaign_id: str,
    launched_at: dt.datetime | None,
    window: dt.timedelta,
) -> int:
    if launched_at is None:
        return 0
    recipients = (
        select(Message.e164_index)
        .where(
            Message.workspace_id == workspace,
            Message.campaign_id == campaign_id,
            Message.status.in_(HANDED),
        )
        .scalar_subquery()
    )
    return int(
        session.scalar(
            select(func.count(distinct(ConsentRecord.e164_index))).where(
                ConsentRecord.workspace_id == workspace,
                ConsentRecord.action == "revoke",
                ConsentRecord.recorded_at >= launched_at,
                ConsentRecord.recorded_at <= launched_at + window,
                ConsentRecord.e164_index.in_(recipients),
            )
        )
        or 0
    )


def _cost(
    session: Session, settings: Settings, workspace: int, campaign_id: str
) -> tuple[int, float, float]:
    prices = settings.sms_price_per_segment
    segments, spent, estimate = 0, 0.0, 0.0
    rows = session.execute(
        select(PhoneNumber.region, Message.status, func.sum(Message.segments))
        .select_from(Message)
        .outerjoin(
            PhoneNumber,
            (PhoneNumber.workspace_id == Message.workspace_id)
            & (PhoneNumber.e164_index == Message.e164_index),
        )
        .where(
            Message.workspace_id == workspace,
            Message.campaign_id == campaign_id,
            Message.status != "cancelled",
        )
        .group_by(PhoneNumber.region, Message.status)
    )
    for region, state, count in rows:
        cost = price_of(prices, region, int(count or 0))
        estimate += cost
        segments += int(count or 0)
        if state in HANDED or state in LEFT:
            spent += cost
    return segments, spent, estimate
