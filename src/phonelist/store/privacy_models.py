"""The schema of the privacy request register and of retention settings (COMPLIANCE.md P3, P4).

Kept apart from :mod:`phonelist.store.models` like the consent tables; ``phonelist.store``
imports this module so that the metadata is always complete. A request names its subject by
contact id and/or the number's blind index, never by the number itself; the optional note
about the requester and the outcome are sealed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from phonelist.store.models import ID_LENGTH, Base, UTCDateTime

__all__ = ["PrivacyRequest", "RetentionRule"]


class PrivacyRequest(Base):
    """A request from a person about their data (GDPR Art. 15-21), due within one month."""

    __tablename__ = "privacy_requests"
    __table_args__ = (Index(None, "workspace_id", "status", "due_at"),)

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16))  # access | erasure | rectification | ...
    # No foreign key: the contact may be erased while the request is still on the register.
    contact_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    e164_index: Mapped[bytes | None] = mapped_column(LargeBinary(16))
    note_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    extended_months: Mapped[int] = mapped_column(Integer, default=0)
    extension_reason: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16))  # open | extended | done | refused
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    outcome_enc: Mapped[bytes | None] = mapped_column(LargeBinary)  # may name the person
    created_by: Mapped[str] = mapped_column(String(100))
    handled_by: Mapped[str | None] = mapped_column(String(100))


class RetentionRule(Base):
    """How long one kind of data is kept in a workspace, when it differs from the default."""

    __tablename__ = "retention_rules"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), primary_key=True)
    field: Mapped[str] = mapped_column(String(32), primary_key=True)
    days: Mapped[int] = mapped_column(Integer)  # 0: never purged
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(100))
