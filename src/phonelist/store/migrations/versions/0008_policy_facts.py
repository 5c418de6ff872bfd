"""policy facts of every number, kept by triggers, for bulk policy decisions

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 01:30:00
"""

# ruff: noqa: S608 - the SQL below is built from constants of this file only, never from input

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Written out here rather than imported, so that this migration stays what it was when the code
# around it changes.
PAIRS = tuple((c, p) for c in ("sms", "voice") for p in ("marketing", "informational", "emergency"))
CONSENT = (
    ("status", "status"),
    ("method", "method"),
    ("written", "written"),
    ("sender", "sender"),
    ("since", "since"),
    ("expires", "expires_at"),
    ("evidence", "evidence"),
)  # fmt: skip  (policy_facts column suffix, consent_states column)
CONTACT = (
    ("contact_time_zone", "time_zone"),
    ("country", "country"),
    ("contact_region", "region"),
    ("legal_person", "legal_person"),
    ("last_purchase_at", "last_purchase_at"),
    ("last_inquiry_at", "last_inquiry_at"),
)  # fmt: skip  (policy_facts column, contacts column)
NUMBER = ("is_primary", "region", "area_code", "time_zones")  # copied from phone_numbers


def upgrade() -> None:
    text, when = sa.String, sa.DateTime
    consent: list[sa.Column[Any]] = []
    for channel, purpose in PAIRS:
        pair = f"{channel}_{purpose}"
        consent += [
            sa.Column(f"{pair}_status", text(length=16), nullable=True),
            sa.Column(f"{pair}_method", text(length=32), nullable=True),
            sa.Column(f"{pair}_written", sa.Boolean(), nullable=True),
            sa.Column(f"{pair}_sender", text(length=100), nullable=True),
            sa.Column(f"{pair}_since", when(), nullable=True),
            sa.Column(f"{pair}_expires", when(), nullable=True),
            sa.Column(f"{pair}_evidence", sa.JSON(), nullable=True),
        ]
    op.create_table(
        "policy_facts",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", text(length=26), nullable=False),
        sa.Column("e164_index", sa.LargeBinary(length=16), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=True),
        sa.Column("region", text(length=2), nullable=True),
        sa.Column("area_code", text(length=8), nullable=True),
        sa.Column("time_zones", sa.JSON(), nullable=True),
        sa.Column("contact_time_zone", text(length=64), nullable=True),
        sa.Column("country", text(length=2), nullable=True),
        sa.Column("contact_region", text(length=100), nullable=True),
        sa.Column("legal_person", sa.Boolean(), nullable=True),
        sa.Column("last_purchase_at", when(), nullable=True),
        sa.Column("last_inquiry_at", when(), nullable=True),
        *consent,
        sa.Column("suppressions", sa.Text(), nullable=False),
        sa.Column("us_dnc", sa.Boolean(), nullable=False),
        sa.Column("pt_optout", sa.Boolean(), nullable=False),
        sa.Column("reassigned", sa.Boolean(), nullable=True),
        sa.Column("reassigned_since", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint(
            "workspace_id", "contact_id", "e164_index", name=op.f("pk_policy_facts")
        ),
        sqlite_with_rowid=False,
    )
    op.create_index(
        op.f("ix_policy_facts_workspace_id_e164_index"),
        "policy_facts",
        ["workspace_id", "e164_index"],
    )
    dialect = op.get_bind().dialect.name
    for name, table, event, body in triggers():
        for statement in trigger_sql(dialect, name, table, event, body):
            op.execute(statement)
    aggregate = "string_agg" if dialect == "postgresql" else "group_concat"
    op.execute(_insert_row("p", "phone_numbers p JOIN contacts c ON c.id = p.contact_id"))
    refresh = f"UPDATE policy_facts SET {_number_set()} WHERE {_has_number_facts('policy_facts')}"
    op.execute(refresh.replace("AGG(", f"{aggregate}("))
    if dialect == "postgresql":
        op.execute("ANALYZE policy_facts")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, table, _, _ in triggers():
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index(op.f("ix_policy_facts_workspace_id_e164_index"), table_name="policy_facts")
    op.drop_table("policy_facts")


# -- the SQL --------------------------------------------------------------------------------------


def _same_number(alias: str) -> str:
    return (
        f"{alias}.workspace_id = policy_facts.workspace_id "
        f"AND {alias}.e164_index = policy_facts.e164_index"
    )


def _consent_set(channel: str, purpose: str) -> str:
    pair = f"{channel}_{purpose}"
    targets = ", ".join(f"{pair}_{suffix}" for suffix, _ in CONSENT)
    sources = ", ".join(f"s.{column}" for _, column in CONSENT)
    return (
        f"({targets}) = (SELECT {sources} FROM consent_states s WHERE {_same_number('s')} "
        f"AND s.channel = '{channel}' AND s.purpose = '{purpose}')"
    )


def _suppressions_set() -> str:
    return (
        "suppressions = '|' || coalesce((SELECT AGG(x.kind || '|', '') FROM suppressions x "
        f"WHERE {_same_number('x')} AND x.lifted_at IS NULL), '')"
    )


def _registry_set() -> str:
    def listed(name: str) -> str:
        return (
            f"EXISTS (SELECT 1 FROM registry_numbers r WHERE r.workspace_id = "
            f"policy_facts.workspace_id AND r.registry_name = '{name}' "
            "AND r.e164_index = policy_facts.e164_index)"
        )

    return f"us_dnc = {listed('us_dnc')}, pt_optout = {listed('pt_optout')}"


def _line_set() -> str:
    return (
        "(reassigned, reassigned_since) = (SELECT l.reassigned, l.reassigned_since "
        f"FROM line_lookups l WHERE {_same_number('l')})"
    )


def _number_set() -> str:
    """Every fact kept by number (consents, suppressions, registries, line check)."""
    parts = [_consent_set(c, p) for c, p in PAIRS]
    return ", ".join([*parts, _suppressions_set(), _registry_set(), _line_set()])


def _has_number_facts(alias: str) -> str:
    """Some table holds a row of this number: a refresh can change something (imports of new
    numbers have none, and skip the refresh)."""
    found = [
        f"EXISTS (SELECT 1 FROM {table} r WHERE r.workspace_id = {alias}.workspace_id{middle} "
        f"AND r.e164_index = {alias}.e164_index)"
        for table, middle in (
            ("consent_states", ""),
            ("suppressions", ""),
            # the middle column of the key, so that the look-up is the key's and not a scan
            ("registry_numbers", " AND r.registry_name IN ('us_dnc', 'pt_optout')"),
            ("line_lookups", ""),
        )
    ]
    return f"({' OR '.join(found)})"


def _insert_row(row: str, source: str) -> str:
    """A number's row with its contact's facts (``c`` in ``source``); its own facts start empty."""
    number = ", ".join(f"{row}.{column}" for column in NUMBER)
    contact = ", ".join(f"c.{column}" for _, column in CONTACT)
    columns = ", ".join(("workspace_id", "contact_id", "e164_index", *NUMBER))
    columns += ", " + ", ".join(target for target, _ in CONTACT)
    return (
        f"INSERT INTO policy_facts ({columns}, suppressions, us_dnc, pt_optout) "
        f"SELECT {row}.workspace_id, {row}.contact_id, {row}.e164_index, {number}, {contact}, "
        f"'|', FALSE, FALSE FROM {source}"
    )


def _by_number(row: str) -> str:
    return f"workspace_id = {row}.workspace_id AND e164_index = {row}.e164_index"


def _phone_insert(row: str) -> list[str]:
    if_facts = (
        f"UPDATE policy_facts SET {_number_set()} WHERE {_by_number(row)} "
        f"AND contact_id = {row}.contact_id AND {_has_number_facts(row)}"
    )
    return [_insert_row(row, f"contacts c WHERE c.id = {row}.contact_id"), if_facts]


def triggers() -> list[tuple[str, str, str, list[str]]]:
    """(name, table, event, statements); ``AGG`` stands for the string aggregate."""
    found: list[tuple[str, str, str, list[str]]] = [
        (
            "pl_policy_contacts_update",
            "contacts",
            "UPDATE",
            [
                "UPDATE policy_facts SET "
                + ", ".join(f"{target} = NEW.{column}" for target, column in CONTACT)
                + " WHERE workspace_id = NEW.workspace_id AND contact_id = NEW.id"
            ],
        ),
        ("pl_policy_phones_insert", "phone_numbers", "INSERT", _phone_insert("NEW")),
        (
            "pl_policy_phones_update",
            "phone_numbers",
            "UPDATE",
            [
                "DELETE FROM policy_facts WHERE workspace_id = OLD.workspace_id "
                "AND contact_id = OLD.contact_id AND e164_index = OLD.e164_index",
                *_phone_insert("NEW"),
            ],
        ),
        (
            "pl_policy_phones_delete",
            "phone_numbers",
            "DELETE",
            [
                "DELETE FROM policy_facts WHERE workspace_id = OLD.workspace_id "
                "AND contact_id = OLD.contact_id AND e164_index = OLD.e164_index"
            ],
        ),
    ]
    for event, rows in (("INSERT", ["NEW"]), ("UPDATE", ["OLD", "NEW"]), ("DELETE", ["OLD"])):
        low = event.lower()
        consent = [
            f"UPDATE policy_facts SET {_consent_set(c, p)} WHERE {_by_number(row)} "
            f"AND {row}.channel = '{c}' AND {row}.purpose = '{p}'"
            for row in rows
            for c, p in PAIRS
        ]
        found.append((f"pl_policy_consent_{low}", "consent_states", event, consent))
        for table, assignment in (
            ("suppressions", _suppressions_set()),
            ("registry_numbers", _registry_set()),
            ("line_lookups", _line_set()),
        ):
            short = table.split("_")[0]
            body = [f"UPDATE policy_facts SET {assignment} WHERE {_by_number(row)}" for row in rows]
            found.append((f"pl_policy_{short}_{low}", table, event, body))
    return found


def trigger_sql(dialect: str, name: str, table: str, event: str, body: list[str]) -> list[str]:
    aggregate = "string_agg" if dialect == "postgresql" else "group_concat"
    statements = "; ".join(statement.replace("AGG(", f"{aggregate}(") for statement in body)
    if dialect == "postgresql":
        return [
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {statements}; RETURN NULL; END $$",
            f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW "
            f"EXECUTE FUNCTION {name}()",
        ]
    return [f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN {statements}; END"]
