"""The schema of campaigns (issue 7). Their messages are rows of ``messages`` (the outbox)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from phonelist.store.models import ID_LENGTH, Base, UTCDateTime

__all__ = ["Campaign"]


class Campaign(Base):
    """A message to an audience, with its schedule, senders, rate and approval.

    ``status``: draft -> awaiting_approval -> approved -> sending -> done, or paused /
    cancelled. ``preview`` holds the audience size and the count of every exclusion reason
    as of the last preview or launch.
    """

    __tablename__ = "campaigns"
    __table_args__ = (Index(None, "workspace_id", "status"),)

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)  # the template source
    channel: Mapped[str] = mapped_column(String(8))
    purpose: Mapped[str] = mapped_column(String(16))
    audience_kind: Mapped[str] = mapped_column(String(16))  # segment | list | query
    audience: Mapped[str] = mapped_column(Text)
    schedule_kind: Mapped[str] = mapped_column(String(8))  # now | local | utc
    send_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # the instant (utc)
    local_date: Mapped[dt.date | None] = mapped_column(Date)  # each recipient's own ...
    local_time: Mapped[str | None] = mapped_column(String(5))  # ... "HH:MM" (local)
    senders: Mapped[list[str]] = mapped_column(JSON, default=list)
    rate_limit: Mapped[float | None] = mapped_column(Float)  # messages per second
    status: Mapped[str] = mapped_column(String(20))
    preview: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    emergency_reason: Mapped[str | None] = mapped_column(String(300))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    launched_by: Mapped[str | None] = mapped_column(String(100))
    launched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    queued: Mapped[int] = mapped_column(Integer, default=0)  # messages put in the outbox
