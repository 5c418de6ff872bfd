"""The schema: one set of SQLAlchemy models for SQLite and PostgreSQL.

Personal data (names, numbers, emails, notes, sensitive custom values) lives only in ``*_enc``
columns, sealed by :mod:`phonelist.security.crypto`; exact lookups go through ``*_index``
blind-index columns. What segments need to query and does not identify a person on its own
(country, region, time zone, status, number type, tags) stays in plain columns.

Every table carries ``workspace_id`` so that later issues can host several workspaces in one
database; today there is one, id 1.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "ApiToken",
    "AuditEvent",
    "AuditHead",
    "Base",
    "ConsentRecord",
    "Contact",
    "ContactList",
    "ContactTag",
    "CustomField",
    "CustomValue",
    "Email",
    "ImportJob",
    "ImportReject",
    "LineLookup",
    "ListMember",
    "NameToken",
    "Note",
    "PhoneNumber",
    "Suppression",
    "Tag",
    "User",
    "Workspace",
]

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID_LENGTH = 26  # ULID


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores naive UTC on every backend and always returns an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _workspace_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("workspaces.id"), nullable=False)


class Workspace(Base):
    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    default_region: Mapped[str] = mapped_column(String(2))
    statuses: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("workspace_id", "username"),)

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()
    username: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Sign-in throttling and the optional second factor (issue 6).
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    totp_secret_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_enabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        Index(None, "workspace_id", "status"),
        Index(None, "workspace_id", "country", "region"),
    )

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()
    display_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    first_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    last_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    country: Mapped[str | None] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(100))
    city: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    source: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_contacted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Established business relationship (D2) and CASL implied consent (C8) start from these.
    last_purchase_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_inquiry_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    legal_person: Mapped[bool] = mapped_column(Boolean, default=False)  # D5

    phones: Mapped[list[PhoneNumber]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", order_by="PhoneNumber.position"
    )
    emails: Mapped[list[Email]] = relationship(
        cascade="all, delete-orphan", order_by="Email.position"
    )
    name_tokens: Mapped[list[NameToken]] = relationship(cascade="all, delete-orphan")
    tag_links: Mapped[list[ContactTag]] = relationship(cascade="all, delete-orphan")
    list_links: Mapped[list[ListMember]] = relationship(cascade="all, delete-orphan")
    custom_values: Mapped[list[CustomValue]] = relationship(cascade="all, delete-orphan")
    notes: Mapped[list[Note]] = relationship(cascade="all, delete-orphan", order_by="Note.id")


class PhoneNumber(Base):
    """A number belongs to at most one contact per workspace: the unique blind index says so."""

    __tablename__ = "phone_numbers"
    __table_args__ = (UniqueConstraint("workspace_id", "e164_index"),)

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    contact_id: Mapped[str] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    workspace_id: Mapped[int] = _workspace_fk()
    e164_enc: Mapped[bytes] = mapped_column(LargeBinary)
    e164_index: Mapped[bytes] = mapped_column(LargeBinary(16))
    label: Mapped[str | None] = mapped_column(String(32))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Derived, non-identifying facts; the numbers issue fills carrier and time zones.
    validity: Mapped[str | None] = mapped_column(String(16))
    number_type: Mapped[str | None] = mapped_column(String(32))
    region: Mapped[str | None] = mapped_column(String(2))
    country_code: Mapped[int | None] = mapped_column(Integer)
    carrier: Mapped[str | None] = mapped_column(String(100))
    time_zones: Mapped[list[str] | None] = mapped_column(JSON)
    area_code: Mapped[str | None] = mapped_column(String(8))  # NANP: state rules, registry (D2)
    analyzed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    contact: Mapped[Contact] = relationship(back_populates="phones")


class Email(Base):
    __tablename__ = "emails"
    __table_args__ = (Index(None, "workspace_id", "email_index"),)

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    contact_id: Mapped[str] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    workspace_id: Mapped[int] = _workspace_fk()
    email_enc: Mapped[bytes] = mapped_column(LargeBinary)
    email_index: Mapped[bytes] = mapped_column(LargeBinary(16))
    label: Mapped[str | None] = mapped_column(String(32))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)


class NameToken(Base):
    """Blind index of the words of a contact's names, for search by name token."""

    __tablename__ = "name_tokens"
    __table_args__ = (Index(None, "workspace_id", "token_index"),)

    contact_id: Mapped[str] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    token_index: Mapped[bytes] = mapped_column(LargeBinary(16), primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()
    name: Mapped[str] = mapped_column(String(64))


class ContactTag(Base):
    __tablename__ = "contact_tags"

    contact_id: Mapped[str] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    tag: Mapped[Tag] = relationship(lazy="joined")


class ContactList(Base):
    """A static list: contacts added by hand, by import, or frozen from a segment."""

    __tablename__ = "lists"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ListMember(Base):
    __tablename__ = "list_members"
    __table_args__ = (Index(None, "contact_id"),)  # a contact's lists (segment facts' triggers)

    list_id: Mapped[int] = mapped_column(
        ForeignKey("lists.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    contact_id: Mapped[str] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    contact_list: Mapped[ContactList] = relationship(lazy="joined")


class CustomField(Base):
    __tablename__ = "custom_fields"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()
    name: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(16))
    choices: Mapped[list[str] | None] = mapped_column(JSON)
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class CustomValue(Base):
    """One typed value; exactly one ``value_*`` column is set (``value_enc`` when sensitive)."""

    __tablename__ = "custom_values"

    contact_id: Mapped[str] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    field_id: Mapped[int] = mapped_column(
        ForeignKey("custom_fields.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    value_text: Mapped[str | None] = mapped_column(String(1000))
    value_number: Mapped[float | None] = mapped_column(Float)
    value_date: Mapped[dt.date | None] = mapped_column(Date)
    value_bool: Mapped[bool | None] = mapped_column(Boolean)
    value_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    field: Mapped[CustomField] = relationship(lazy="joined")


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    contact_id: Mapped[str] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    workspace_id: Mapped[int] = _workspace_fk()
    body_enc: Mapped[bytes] = mapped_column(LargeBinary)
    author: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class AuditEvent(Base):
    """Who did what to which record, when. ``detail`` never holds personal data in clear."""

    __tablename__ = "audit_events"
    __table_args__ = (Index(None, "workspace_id", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = _workspace_fk()
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The chain (issue 6): filled by phonelist.audit when the event is appended.
    seq: Mapped[int | None] = mapped_column(Integer)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditHead(Base):
    """The newest link of a workspace's audit chain: finds a cut tail, serialises appends."""

    __tablename__ = "audit_heads"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class ImportJob(Base):
    """One import of one file: its options, how far it got, and what it counted.

    ``rows_committed`` moves forward in the same transaction as the rows it counts, so an
    interrupted import resumes exactly after the last committed batch.
    """

    __tablename__ = "import_jobs"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()
    actor: Mapped[str] = mapped_column(String(100))
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_size: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(16))
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    rows_committed: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(String(500))


class ImportReject(Base):
    """A row an import could not use; the raw value is sealed (it may be personal data)."""

    __tablename__ = "import_rejects"

    job_id: Mapped[str] = mapped_column(
        ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True
    )
    row_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    column: Mapped[str | None] = mapped_column(String(255))
    raw_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    reason: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(String(300))


class Suppression(Base):
    """A number that must not be contacted, and why (COMPLIANCE.md D1-D5, O7, P2).

    Keyed on the number's blind index; never hard-deleted: lifting one sets ``lifted_at``.
    ``e164_enc`` is empty for erased persons, whose number survives only as the keyed hash.
    """

    __tablename__ = "suppressions"
    __table_args__ = (Index(None, "workspace_id", "e164_index"),)

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()
    e164_index: Mapped[bytes] = mapped_column(LargeBinary(16))
    e164_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    kind: Mapped[str] = mapped_column(String(32))
    source: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    import_job_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    lifted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    lifted_by: Mapped[str | None] = mapped_column(String(100))
    lift_reason: Mapped[str | None] = mapped_column(String(300))


class ConsentRecord(Base):
    """Evidence of one consent event, in the shape COMPLIANCE.md C2 asks for. Append-only.

    Written only by :mod:`phonelist.consent.ledger`, which numbers each record (``seq``) and
    chains it to the previous one of the workspace (``prev_hash``, ``hash``). ``scope`` "all"
    on a revocation covers every channel and purpose (O3). Records from before the chain
    existed get their links on the next append.
    """

    __tablename__ = "consent_records"
    __table_args__ = (
        Index(None, "workspace_id", "e164_index"),
        UniqueConstraint("workspace_id", "seq"),
    )

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()
    e164_index: Mapped[bytes] = mapped_column(LargeBinary(16))
    e164_enc: Mapped[bytes | None] = mapped_column(LargeBinary)  # None once erased
    channel: Mapped[str] = mapped_column(String(8))
    purpose: Mapped[str] = mapped_column(String(16))
    sender: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(16))  # grant | revoke
    occurred_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    method: Mapped[str] = mapped_column(String(32))
    affirmative_action: Mapped[str | None] = mapped_column(String(300))
    disclosure_text: Mapped[str | None] = mapped_column(Text)
    disclosure_version: Mapped[str | None] = mapped_column(String(64))
    disclosure_hash: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    source_url: Mapped[str | None] = mapped_column(String(500))
    form_id: Mapped[str | None] = mapped_column(String(100))
    ip_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    user_agent_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    actor: Mapped[str] = mapped_column(String(100))
    evidence_ref: Mapped[str | None] = mapped_column(String(500))
    import_job_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    basis: Mapped[str | None] = mapped_column(String(64))
    # The ledger (consent issue): C2 fields beyond the import's, and the hash chain.
    disclosure_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    written: Mapped[bool] = mapped_column(Boolean, default=False)
    scope: Mapped[str] = mapped_column(String(16), default="one")  # one | all (O3)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    seq: Mapped[int | None] = mapped_column(Integer)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))
    # Privacy erasure (P2): MAC version 2 covers ``pii_digest`` instead of the personal values,
    # so ``erased_at`` records can lose them (see phonelist.consent.ledger_mac).
    mac_version: Mapped[int | None] = mapped_column(Integer)
    pii_digest: Mapped[str | None] = mapped_column(String(64))
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class LineLookup(Base):
    """A cached live line check (e.g. Twilio Lookup), with the date it was made."""

    __tablename__ = "line_lookups"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), primary_key=True)
    e164_index: Mapped[bytes] = mapped_column(LargeBinary(16), primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    line_type: Mapped[str | None] = mapped_column(String(32))
    carrier: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool | None] = mapped_column(Boolean)
    reassigned_since: Mapped[dt.date | None] = mapped_column(Date)
    reassigned: Mapped[bool | None] = mapped_column(Boolean)
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
