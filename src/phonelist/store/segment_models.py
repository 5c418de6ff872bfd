"""The schema of saved segments: a named query, evaluated whenever it is used (issue 5).

A saved segment stores its query text normalised (``segments.to_text``), never a result: it is
live by construction. Freezing one into a static list copies its members into ``list_members``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from phonelist.store.models import Base, UTCDateTime

__all__ = ["CONSENT_PAIRS", "ContactFacts", "Segment"]


class Segment(Base):
    __tablename__ = "segments"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


# The (channel, purpose) pairs whose consent the facts carry: policy.facts.CHANNELS x PURPOSES,
# spelled out because the schema must not change when those tuples are read differently.
CONSENT_PAIRS = tuple(
    (c, p) for c in ("sms", "voice") for p in ("marketing", "informational", "emergency")
)


class ContactFacts(Base):
    """One narrow row per contact: everything a segment reads that is not a custom field,
    a name, an email or a number, so that a count is one scan of one table.

    A cache kept by database triggers (migration 0004), in the same transaction as every write
    to contacts, numbers, tags, lists, consent states, suppressions and messages, whichever code
    path makes it (the ORM, bulk inserts, COPY). ``tags`` and ``lists`` hold ids as ``|3|17|``.
    The evaluator reads the source tables instead, and the agreement test compares the two.
    """

    __tablename__ = "contact_facts"
    # The fact first: queries say "workspace_id + 0" so that SQLite scans the table (about
    # 200 ns a row) unless one of these narrows it; docs/segments.md, "Speed".
    __table_args__ = (
        Index(None, "country", "region", "workspace_id"),
        Index(None, "status", "workspace_id"),
        Index(None, "created_at", "workspace_id"),
        Index(None, "sms_marketing", "sms_marketing_expires", "workspace_id"),
        Index(None, "workspace_id", "primary_index"),  # the triggers' look-up by number
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[str] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), unique=True
    )
    workspace_id: Mapped[int] = mapped_column(Integer)
    country: Mapped[str | None] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(100))
    city: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_contacted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    primary_index: Mapped[bytes | None] = mapped_column(LargeBinary(16))
    number_type: Mapped[str | None] = mapped_column(String(32))
    number_region: Mapped[str | None] = mapped_column(String(2))
    carrier: Mapped[str | None] = mapped_column(String(100))
    sms_marketing: Mapped[str | None] = mapped_column(String(16))
    sms_marketing_expires: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sms_informational: Mapped[str | None] = mapped_column(String(16))
    sms_informational_expires: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sms_emergency: Mapped[str | None] = mapped_column(String(16))
    sms_emergency_expires: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    voice_marketing: Mapped[str | None] = mapped_column(String(16))
    voice_marketing_expires: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    voice_informational: Mapped[str | None] = mapped_column(String(16))
    voice_informational_expires: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    voice_emergency: Mapped[str | None] = mapped_column(String(16))
    voice_emergency_expires: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    suppressed: Mapped[bool] = mapped_column(Boolean, default=False)
    last_out: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_in: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    tags: Mapped[str] = mapped_column(Text, default="|")
    lists: Mapped[str] = mapped_column(Text, default="|")
