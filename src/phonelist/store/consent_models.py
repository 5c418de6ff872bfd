"""The schema of consent, messages, opt-out review and registries (COMPLIANCE.md C2, O1-O8, D1-D5).

Kept apart from :mod:`phonelist.store.models` so that each module holds one idea; both share one
``Base``, and ``phonelist.store`` imports this module so that the metadata is always complete.
Numbers are keyed by their blind index (``e164_index``), like everywhere else.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from phonelist.store.models import ID_LENGTH, Base, UTCDateTime

__all__ = [
    "ConsentRequest",
    "ConsentState",
    "Disclosure",
    "LedgerHead",
    "Message",
    "RegistryImport",
    "RegistryNumber",
    "ReviewItem",
]


def _workspace_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("workspaces.id"), nullable=False)


class Disclosure(Base):
    """A versioned text shown when consent is asked; records point at the exact version."""

    __tablename__ = "disclosures"
    __table_args__ = (UniqueConstraint("workspace_id", "name", "version"),)

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    # C1: the text says the person agrees to automated marketing and that consent is not a
    # condition of purchase. Declared by whoever registers the text, shown in the proof pack.
    automated_marketing: Mapped[bool] = mapped_column(Boolean, default=False)
    not_condition_of_purchase: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))


class LedgerHead(Base):
    """The newest link of a workspace's consent chain: finds a cut tail, serialises appends."""

    __tablename__ = "consent_ledger_heads"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    mac_version: Mapped[int] = mapped_column(Integer, default=2)  # 1: chain from before erasure


class ConsentState(Base):
    """The current consent of one number for one (channel, purpose), derived from the ledger.

    A cache for speed: ``phonelist consent rebuild`` recomputes it from the records.
    """

    __tablename__ = "consent_states"
    __table_args__ = (Index(None, "workspace_id", "channel", "purpose", "status"),)

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), primary_key=True)
    e164_index: Mapped[bytes] = mapped_column(LargeBinary(16), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # granted | revoked | pending
    method: Mapped[str] = mapped_column(String(32))
    written: Mapped[bool] = mapped_column(Boolean, default=False)
    sender: Mapped[str | None] = mapped_column(String(100))
    since: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)
    record_id: Mapped[str] = mapped_column(String(ID_LENGTH))


class ConsentRequest(Base):
    """A double opt-in in flight (C3): active only when the reply arrives inside the window."""

    __tablename__ = "consent_requests"
    __table_args__ = (Index(None, "workspace_id", "e164_index", "status"),)

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()
    e164_index: Mapped[bytes] = mapped_column(LargeBinary(16))
    e164_enc: Mapped[bytes] = mapped_column(LargeBinary)
    channel: Mapped[str] = mapped_column(String(8))
    purposes: Mapped[list[str]] = mapped_column(JSON)
    sender: Mapped[str | None] = mapped_column(String(100))
    disclosure_id: Mapped[str | None] = mapped_column(ForeignKey("disclosures.id"))
    method: Mapped[str] = mapped_column(String(32))  # how the first step came: web_form, keyword
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    request_message_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    status: Mapped[str] = mapped_column(String(16))  # pending | confirmed | expired
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reply_message_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))


class Message(Base):
    """One message in or out: the history caps count, and evidence for consent and opt-outs."""

    __tablename__ = "messages"
    __table_args__ = (
        Index(None, "workspace_id", "e164_index", "at"),
        Index(None, "workspace_id", "at"),  # recent sends of a whole audience (caps)
        Index(None, "status", "not_before"),  # the dispatcher's claim of due messages
        Index(None, "workspace_id", "campaign_id", "status"),
        Index(None, "provider_ref"),  # delivery receipts find their message
        Index(None, "workspace_id", "idempotency_key", unique=True),  # never queued twice
    )

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    e164_index: Mapped[bytes] = mapped_column(LargeBinary(16))
    e164_enc: Mapped[bytes] = mapped_column(LargeBinary)
    sender: Mapped[str | None] = mapped_column(String(32))  # our number (out) or to-number (in)
    channel: Mapped[str] = mapped_column(String(8))
    purpose: Mapped[str | None] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str | None] = mapped_column(String(100))
    body_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))  # received | sent | failed
    provider_ref: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(String(200))
    # The outbox (issue 7): queued -> sending -> sent -> delivered | failed | undelivered,
    # or cancelled (blocked by the check before sending). See phonelist.dispatch.
    campaign_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    contact_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    not_before: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    gateway: Mapped[str | None] = mapped_column(String(32))
    encoding: Mapped[str | None] = mapped_column(String(8))
    segments: Mapped[int | None] = mapped_column(Integer)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    error_code: Mapped[str | None] = mapped_column(String(32))


class ReviewItem(Base):
    """An inbound reply that may or may not revoke (O2), with its 10-business-day deadline."""

    __tablename__ = "review_items"
    __table_args__ = (Index(None, "workspace_id", "status", "due_at"),)

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id"))
    e164_index: Mapped[bytes] = mapped_column(LargeBinary(16))
    keyword: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    policy: Mapped[str] = mapped_column(String(16))  # opt_out (applied at once) | hold
    status: Mapped[str] = mapped_column(String(16))  # open | resolved
    resolution: Mapped[str | None] = mapped_column(String(16))  # opt_out | not_opt_out
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(100))


class RegistryImport(Base):
    """One file of a national registry, per area code, with the registry's own date (D2, D3)."""

    __tablename__ = "registry_imports"
    __table_args__ = (Index(None, "workspace_id", "registry_name", "area_code"),)

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()
    registry_name: Mapped[str] = mapped_column(String(16))  # us_dnc | pt_optout
    area_code: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16))  # full | changes
    registry_date: Mapped[dt.date] = mapped_column(Date)
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    imported_by: Mapped[str] = mapped_column(String(100))
    file_name: Mapped[str | None] = mapped_column(String(255))
    added: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[int] = mapped_column(Integer, default=0)


class RegistryNumber(Base):
    """A number on a national registry, by blind index."""

    __tablename__ = "registry_numbers"
    __table_args__ = (Index(None, "workspace_id", "registry_name", "area_code"),)

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), primary_key=True)
    registry_name: Mapped[str] = mapped_column(String(16), primary_key=True)
    e164_index: Mapped[bytes] = mapped_column(LargeBinary(16), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(8))
