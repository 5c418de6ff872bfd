"""The policy engine's facts of every stored number, one row each, kept by triggers (issue 4).

``policy_facts`` holds, for each row of ``phone_numbers``, what the bulk decision path
(``PolicyService.decide_audience``) reads about the number and its contact: the number's region,
area code and zones; the contact's address, zone, business relationship and legal person flag;
the consent state of every (channel, purpose); the active suppression kinds; registry
membership; the last reassigned-number check. An audience is then one ordered scan of this
table instead of seven look-ups per contact in five tables.

A cache written only by database triggers (migration 0008), in the same transaction as every
write to contacts, numbers, consent states, suppressions, registry numbers and line checks,
whichever code path makes it (the ORM, bulk inserts, COPY): an opt-out is in it when it commits.
``tests/policy/test_policy_facts.py`` compares it with the source tables after each write path.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from phonelist.store.models import ID_LENGTH, Base, UTCDateTime

__all__ = ["CONSENT_PAIRS", "policy_facts"]

# Every (channel, purpose) of policy.facts, spelled out: the schema must not follow a code change.
CONSENT_PAIRS = tuple(
    (c, p) for c in ("sms", "voice") for p in ("marketing", "informational", "emergency")
)


def _consent_columns() -> list[Column[Any]]:
    columns: list[Column[Any]] = []
    for channel, purpose in CONSENT_PAIRS:
        pair = f"{channel}_{purpose}"
        columns += [
            Column(f"{pair}_status", String(16)),
            Column(f"{pair}_method", String(32)),
            Column(f"{pair}_written", Boolean),
            Column(f"{pair}_sender", String(100)),
            Column(f"{pair}_since", UTCDateTime),
            Column(f"{pair}_expires", UTCDateTime),
            Column(f"{pair}_evidence", JSON),
        ]
    return columns


policy_facts = Table(
    "policy_facts",
    Base.metadata,
    # The key orders a workspace's rows by contact: a chunk of an audience is a range of it
    # (SQLite stores the table in key order: WITHOUT ROWID).
    Column("workspace_id", Integer, primary_key=True),
    Column("contact_id", String(ID_LENGTH), primary_key=True),
    Column("e164_index", LargeBinary(16), primary_key=True),
    Column("is_primary", Boolean),
    Column("region", String(2)),
    Column("area_code", String(8)),
    Column("time_zones", JSON),
    Column("contact_time_zone", String(64)),
    Column("country", String(2)),
    Column("contact_region", String(100)),
    Column("legal_person", Boolean),
    Column("last_purchase_at", UTCDateTime),
    Column("last_inquiry_at", UTCDateTime),
    *_consent_columns(),
    Column("suppressions", Text, nullable=False),  # active kinds as |kind|kind|, any order
    Column("us_dnc", Boolean, nullable=False),
    Column("pt_optout", Boolean, nullable=False),
    Column("reassigned", Boolean),
    Column("reassigned_since", Date),
    Index(None, "workspace_id", "e164_index"),  # the triggers' look-up by number
    sqlite_with_rowid=False,
)
