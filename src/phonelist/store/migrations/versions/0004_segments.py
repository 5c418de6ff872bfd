"""saved segments, and contact facts kept by triggers for segment counts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 22:10:00
"""

# ruff: noqa: S608 - the SQL below is built from constants of this file only, never from input

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_segments_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_segments_workspace_id_name")),
    )

    _create_facts()


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, table, _ in _triggers():
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("contact_facts")
    op.drop_index(op.f("ix_list_members_contact_id"), table_name="list_members")
    op.drop_table("segments")


# -- contact facts --------------------------------------------------------------------------------
# Written out here rather than imported, so that this migration stays what it was when the code
# around it changes.
COPIED = (
    "country", "region", "city", "postal_code", "time_zone", "status", "source",
    "created_at", "updated_at", "last_contacted_at",
)  # fmt: skip
PAIRS = tuple((c, p) for c in ("sms", "voice") for p in ("marketing", "informational", "emergency"))


def _create_facts() -> None:
    text, when = sa.String, sa.DateTime
    consent_columns: list[sa.Column[Any]] = []
    for channel, purpose in PAIRS:
        consent_columns.append(sa.Column(f"{channel}_{purpose}", text(length=16), nullable=True))
        consent_columns.append(sa.Column(f"{channel}_{purpose}_expires", when(), nullable=True))
    op.create_table(
        "contact_facts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", text(length=26), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("country", text(length=2), nullable=True),
        sa.Column("region", text(length=100), nullable=True),
        sa.Column("city", text(length=100), nullable=True),
        sa.Column("postal_code", text(length=20), nullable=True),
        sa.Column("time_zone", text(length=64), nullable=True),
        sa.Column("status", text(length=32), nullable=True),
        sa.Column("source", text(length=100), nullable=True),
        sa.Column("created_at", when(), nullable=True),
        sa.Column("updated_at", when(), nullable=True),
        sa.Column("last_contacted_at", when(), nullable=True),
        sa.Column("primary_index", sa.LargeBinary(length=16), nullable=True),
        sa.Column("number_type", text(length=32), nullable=True),
        sa.Column("number_region", text(length=2), nullable=True),
        sa.Column("carrier", text(length=100), nullable=True),
        *consent_columns,
        sa.Column("suppressed", sa.Boolean(), nullable=False),
        sa.Column("last_out", when(), nullable=True),
        sa.Column("last_in", when(), nullable=True),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("lists", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_contact_facts_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_facts")),
        sa.UniqueConstraint("contact_id", name=op.f("uq_contact_facts_contact_id")),
    )
    for columns in (
        ("country", "region", "workspace_id"),
        ("status", "workspace_id"),
        ("created_at", "workspace_id"),
        ("sms_marketing", "sms_marketing_expires", "workspace_id"),
        ("workspace_id", "primary_index"),
    ):
        op.create_index(
            op.f(f"ix_contact_facts_{'_'.join(columns)}"), "contact_facts", list(columns)
        )
    op.create_index(op.f("ix_list_members_contact_id"), "list_members", ["contact_id"])
    dialect = op.get_bind().dialect.name
    for name, table, (event, body) in _triggers():
        for statement in _trigger_sql(dialect, name, table, event, body):
            op.execute(statement)
    _backfill(dialect)
    if dialect == "postgresql":
        op.execute("ANALYZE contact_facts")  # the planner needs the new table's statistics


def _phone_refresh(contact: str) -> str:
    # The primary number with the lowest position; min() instead of ORDER BY, which made
    # SQLite build a temporary B-tree for each of these four look-ups (100 µs a number).
    lowest = (
        f"(SELECT min(q.position) FROM phone_numbers q WHERE q.contact_id = {contact} "
        "AND q.is_primary = TRUE)"
    )

    def first(column: str) -> str:
        return (
            f"(SELECT p.{column} FROM phone_numbers p WHERE p.contact_id = {contact} "
            f"AND p.is_primary = TRUE AND p.position = {lowest} LIMIT 1)"
        )

    return (
        f"UPDATE contact_facts SET primary_index = {first('e164_index')}, "
        f"number_type = {first('number_type')}, number_region = {first('region')}, "
        f"carrier = {first('carrier')} WHERE contact_id = {contact}"
    )


def _same_number(alias: str) -> str:
    return (
        f"{alias}.workspace_id = contact_facts.workspace_id "
        f"AND {alias}.e164_index = contact_facts.primary_index"
    )


def _messages_set() -> str:
    newest = "(SELECT max(m.at) FROM messages m WHERE " + _same_number("m")
    return (
        f"last_out = {newest} AND m.direction = 'out' AND m.status IN ('sent', 'delivered')), "
        f"last_in = {newest} AND m.direction = 'in')"
    )


def _number_refresh(where: str) -> str:
    parts = []
    for channel, purpose in PAIRS:
        state = (
            f"FROM consent_states s WHERE {_same_number('s')} "
            f"AND s.channel = '{channel}' AND s.purpose = '{purpose}')"
        )
        parts.append(f"{channel}_{purpose} = (SELECT s.status {state}")
        parts.append(f"{channel}_{purpose}_expires = (SELECT s.expires_at {state}")
    parts.append(
        "suppressed = EXISTS (SELECT 1 FROM suppressions x WHERE "
        f"{_same_number('x')} AND x.lifted_at IS NULL)"
    )
    parts.append(_messages_set())
    return f"UPDATE contact_facts SET {', '.join(parts)} WHERE {where}"


def _holds_number_facts() -> str:
    """The contact's facts hold something of a number, or its primary number has rows: a
    refresh could change something. A new contact with a new number has neither (imports)."""
    held = [f"{c}_{p} IS NOT NULL" for c, p in PAIRS]
    held += ["suppressed = TRUE", "last_out IS NOT NULL", "last_in IS NOT NULL"]
    held += [
        f"EXISTS (SELECT 1 FROM {table} r WHERE {_same_number('r')})"
        for table in ("consent_states", "suppressions", "messages")
    ]
    return f"({' OR '.join(held)})"


def _by_number(row: str) -> str:
    return f"workspace_id = {row}.workspace_id AND primary_index = {row}.e164_index"


def _links_refresh(column: str, table: str, key: str, contact: str, aggregate: str) -> str:
    return (
        f"UPDATE contact_facts SET {column} = '|' || coalesce((SELECT "
        f"{aggregate}(CAST(t.{key} AS TEXT) || '|', '') FROM {table} t "
        f"WHERE t.contact_id = {contact}), '') WHERE contact_id = {contact}"
    )


def _triggers() -> list[tuple[str, str, tuple[str, list[str]]]]:
    """(name, table, (event, statements)); ``AGG`` stands for the string aggregate."""
    copied = ", ".join(COPIED)
    values = ", ".join(f"NEW.{c}" for c in COPIED)
    found: list[tuple[str, str, tuple[str, list[str]]]] = [
        (
            "pl_facts_contacts_insert",
            "contacts",
            (
                "INSERT",
                [
                    f"INSERT INTO contact_facts (contact_id, workspace_id, {copied}, "
                    f"suppressed, tags, lists) VALUES (NEW.id, NEW.workspace_id, {values}, "
                    "FALSE, '|', '|')"
                ],
            ),
        ),
        (
            "pl_facts_contacts_update",
            "contacts",
            (
                "UPDATE",
                [
                    "UPDATE contact_facts SET "
                    + ", ".join(f"{c} = NEW.{c}" for c in COPIED)
                    + " WHERE contact_id = NEW.id"
                ],
            ),
        ),
    ]
    for event, rows in (("INSERT", ["NEW"]), ("UPDATE", ["OLD", "NEW"]), ("DELETE", ["OLD"])):
        low = event.lower()
        phone = []
        for row in rows:
            phone += [
                _phone_refresh(f"{row}.contact_id"),
                _number_refresh(f"contact_id = {row}.contact_id AND {_holds_number_facts()}"),
            ]
        # A number added as not primary changes no fact.
        when = " WHEN (NEW.is_primary = TRUE)" if event == "INSERT" else ""
        found.append((f"pl_facts_phones_{low}", "phone_numbers", (event + when, phone)))
        for table in ("consent_states", "suppressions"):
            short = table.split("_")[0]
            body = [_number_refresh(_by_number(row)) for row in rows]
            found.append((f"pl_facts_{short}_{low}", table, (event, body)))
        body = [f"UPDATE contact_facts SET {_messages_set()} WHERE {_by_number(r)}" for r in rows]
        found.append((f"pl_facts_messages_{low}", "messages", (event, body)))
        for column, table, key in (
            ("tags", "contact_tags", "tag_id"),
            ("lists", "list_members", "list_id"),
        ):
            body = [_links_refresh(column, table, key, f"{row}.contact_id", "AGG") for row in rows]
            found.append((f"pl_facts_{column}_{low}", table, (event, body)))
    return found


def _trigger_sql(dialect: str, name: str, table: str, event: str, body: list[str]) -> list[str]:
    aggregate = "string_agg" if dialect == "postgresql" else "group_concat"
    body = [statement.replace("AGG(", f"{aggregate}(") for statement in body]
    verb, _, condition = event.partition(" WHEN ")
    when = f" WHEN {condition}" if condition else ""
    if dialect == "postgresql":
        statements = "; ".join(body)
        return [
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {statements}; RETURN NULL; END $$",
            f"CREATE TRIGGER {name} AFTER {verb} ON {table} FOR EACH ROW{when} "
            f"EXECUTE FUNCTION {name}()",
        ]
    statements = "; ".join(body)
    return [
        f"CREATE TRIGGER {name} AFTER {verb} ON {table} FOR EACH ROW{when} BEGIN {statements}; END"
    ]


def _backfill(dialect: str) -> None:
    aggregate = "string_agg" if dialect == "postgresql" else "group_concat"
    copied = ", ".join(COPIED)
    op.execute(
        f"INSERT INTO contact_facts (contact_id, workspace_id, {copied}, suppressed, tags, lists) "
        f"SELECT id, workspace_id, {copied}, FALSE, '|', '|' FROM contacts"
    )
    op.execute(_phone_refresh("contact_facts.contact_id"))
    op.execute(_number_refresh("primary_index IS NOT NULL"))
    for column, table, key in (
        ("tags", "contact_tags", "tag_id"),
        ("lists", "list_members", "list_id"),
    ):
        op.execute(_links_refresh(column, table, key, "contact_facts.contact_id", aggregate))
