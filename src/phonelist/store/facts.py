"""Bulk inserts with their facts filled in two statements, not by a trigger per row.

``contact_facts`` (segments) and ``policy_facts`` (bulk policy decisions) are kept by database
triggers in the writing transaction. For a bulk insert of new contacts (the importer's
``create_many``), those insert triggers cost about a third of the import: for every row they
look things up and update a facts row inserted a moment before. Instead, inside one
transaction:

    with deferred_facts(session):
        ...insert contacts, numbers, tags, list memberships...
    fill_facts(session, contact_ids)

The deferral is invisible to every other transaction (migration 0011 says how, per backend),
and ends with the block, so the caller's later writes in the same transaction fire the
triggers as usual. ``fill_facts`` computes the same rows the triggers would have written, from
the same source tables; ``tests/store/test_deferred_facts.py`` compares the two ways on both
backends, with numbers that already have consent, suppressions, registry entries, line checks
and messages.
"""

# ruff: noqa: S608 - the SQL below is built from constants of this module only; values are bound

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Column, Integer, Table, bindparam, text
from sqlalchemy.orm import Session

from phonelist.store.models import Base
from phonelist.store.policy_models import CONSENT_PAIRS

__all__ = ["deferred_facts", "facts_deferral", "fill_facts"]

# SQLite's deferral flag: a row here, inside the bulk insert's transaction only.
facts_deferral = Table("facts_deferral", Base.metadata, Column("id", Integer, primary_key=True))

CHUNK = 5_000  # ids per statement: under every backend's limit of bound values
COPIED = (
    "country",
    "region",
    "city",
    "postal_code",
    "time_zone",
    "status",
    "source",
    "created_at",
    "updated_at",
    "last_contacted_at",
)  # fmt: skip  (contacts -> contact_facts, as migration 0004 copies them)
CONSENT = (
    ("status", "status"),
    ("method", "method"),
    ("written", "written"),
    ("sender", "sender"),
    ("since", "since"),
    ("expires", "expires_at"),
    ("evidence", "evidence"),
)  # fmt: skip  (policy_facts column suffix, consent_states column; migration 0008)
CONTACT = (
    ("contact_time_zone", "time_zone"),
    ("country", "country"),
    ("contact_region", "region"),
    ("legal_person", "legal_person"),
    ("last_purchase_at", "last_purchase_at"),
    ("last_inquiry_at", "last_inquiry_at"),
)  # fmt: skip  (policy_facts column, contacts column; migration 0008)
NUMBER = ("is_primary", "region", "area_code", "time_zones")


@contextmanager
def deferred_facts(session: Session) -> Iterator[None]:
    """Inside the block, inserts into the fact-keeping tables fire no fact trigger."""
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        connection.execute(text("SELECT set_config('phonelist.defer_facts', 'on', true)"))
    else:
        connection.execute(text("INSERT INTO facts_deferral (id) VALUES (1)"))
    try:
        yield
    except BaseException:
        # PostgreSQL has aborted the transaction (or the savepoint), which undoes the setting;
        # SQLite has not: a caller that went on would commit with the triggers off.
        if not postgres:
            connection.execute(text("DELETE FROM facts_deferral"))
        raise
    if postgres:
        connection.execute(text("SELECT set_config('phonelist.defer_facts', 'off', true)"))
    else:
        connection.execute(text("DELETE FROM facts_deferral"))


def fill_facts(session: Session, contact_ids: Sequence[str]) -> None:
    """Write the facts rows of these new contacts and their numbers (inserted while deferred)."""
    connection = session.connection()
    aggregate = "string_agg" if connection.dialect.name == "postgresql" else "group_concat"
    statements = [
        text(sql.replace("AGG(", f"{aggregate}(")).bindparams(bindparam("ids", expanding=True))
        for sql in (CONTACT_FACTS, POLICY_FACTS)
    ]
    for start in range(0, len(contact_ids), CHUNK):
        chunk = list(contact_ids[start : start + CHUNK])
        for statement in statements:
            connection.execute(statement, {"ids": chunk})


def _contact_facts() -> str:
    """One row per contact: what triggers 0004 write for an insert of the contact, its
    numbers, tags and lists (the primary number is the primary one of lowest position)."""

    def same_number(alias: str) -> str:
        return f"{alias}.workspace_id = c.workspace_id AND {alias}.e164_index = p.e164_index"

    consent = []
    for channel, purpose in CONSENT_PAIRS:
        state = (
            f"FROM consent_states s WHERE {same_number('s')} "
            f"AND s.channel = '{channel}' AND s.purpose = '{purpose}')"
        )
        consent += [f"(SELECT s.status {state}", f"(SELECT s.expires_at {state}"]
    newest = f"(SELECT max(m.at) FROM messages m WHERE {same_number('m')}"
    links = [
        f"'|' || coalesce((SELECT AGG(CAST(t.{key} AS TEXT) || '|', '') FROM {table} t "
        "WHERE t.contact_id = c.id), '')"
        for table, key in (("contact_tags", "tag_id"), ("list_members", "list_id"))
    ]
    values = [
        "c.id",
        "c.workspace_id",
        *(f"c.{column}" for column in COPIED),
        "p.e164_index",
        "p.number_type",
        "p.region",
        "p.carrier",
        *consent,
        f"EXISTS (SELECT 1 FROM suppressions x WHERE {same_number('x')} AND x.lifted_at IS NULL)",
        f"{newest} AND m.direction = 'out' AND m.status IN ('sent', 'delivered'))",
        f"{newest} AND m.direction = 'in')",
        *links,
    ]
    columns = [
        "contact_id",
        "workspace_id",
        *COPIED,
        "primary_index",
        "number_type",
        "number_region",
        "carrier",
        *(f"{c}_{p}{end}" for c, p in CONSENT_PAIRS for end in ("", "_expires")),
        "suppressed",
        "last_out",
        "last_in",
        "tags",
        "lists",
    ]
    lowest = (
        "(SELECT min(q.position) FROM phone_numbers q WHERE q.contact_id = c.id "
        "AND q.is_primary = TRUE)"
    )
    return (
        f"INSERT INTO contact_facts ({', '.join(columns)}) SELECT {', '.join(values)} "
        "FROM contacts c LEFT JOIN phone_numbers p ON p.contact_id = c.id "
        f"AND p.is_primary = TRUE AND p.position = {lowest} WHERE c.id IN :ids"
    )


def _policy_facts() -> str:
    """One row per number of these contacts: what trigger 0008 writes for a number's insert."""
    columns = ["workspace_id", "contact_id", "e164_index", *NUMBER]
    values = ["p.workspace_id", "p.contact_id", "p.e164_index", *(f"p.{c}" for c in NUMBER)]
    columns += [target for target, _ in CONTACT]
    values += [f"c.{column}" for _, column in CONTACT]
    joins = []
    for channel, purpose in CONSENT_PAIRS:
        alias = f"{channel[0]}{purpose[0]}"
        joins.append(
            f"LEFT JOIN consent_states {alias} ON {alias}.workspace_id = p.workspace_id "
            f"AND {alias}.e164_index = p.e164_index AND {alias}.channel = '{channel}' "
            f"AND {alias}.purpose = '{purpose}'"
        )
        columns += [f"{channel}_{purpose}_{suffix}" for suffix, _ in CONSENT]
        values += [f"{alias}.{column}" for _, column in CONSENT]

    def listed(name: str) -> str:
        return (
            "EXISTS (SELECT 1 FROM registry_numbers r WHERE r.workspace_id = p.workspace_id "
            f"AND r.registry_name = '{name}' AND r.e164_index = p.e164_index)"
        )

    columns += ["suppressions", "us_dnc", "pt_optout", "reassigned", "reassigned_since"]
    values += [
        "'|' || coalesce((SELECT AGG(x.kind || '|', '') FROM suppressions x WHERE "
        "x.workspace_id = p.workspace_id AND x.e164_index = p.e164_index "
        "AND x.lifted_at IS NULL), '')",
        listed("us_dnc"),
        listed("pt_optout"),
        "l.reassigned",
        "l.reassigned_since",
    ]
    joins.append(
        "LEFT JOIN line_lookups l ON l.workspace_id = p.workspace_id "
        "AND l.e164_index = p.e164_index"
    )
    return (
        f"INSERT INTO policy_facts ({', '.join(columns)}) SELECT {', '.join(values)} "
        f"FROM phone_numbers p JOIN contacts c ON c.id = p.contact_id {' '.join(joins)} "
        "WHERE p.contact_id IN :ids"
    )


CONTACT_FACTS = _contact_facts()
POLICY_FACTS = _policy_facts()
