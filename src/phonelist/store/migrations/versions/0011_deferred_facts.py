"""fact triggers on inserts can be deferred for a bulk insert, which fills the facts itself

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 04:40:00

The insert triggers of ``contact_facts`` (0004) and ``policy_facts`` (0008) cost about a
third of a bulk import: per row, several look-ups and updates of a row inserted a moment
before. A bulk insert now defers them inside its own transaction and fills the facts of its
new contacts with two set-based statements (``phonelist.store.facts``). The triggers fire
unless a deferral is active:

- SQLite: a row in ``facts_deferral``, inserted and deleted by the bulk insert inside its
  transaction (one writer at a time, so no other writer can see it; a crash rolls it back);
- PostgreSQL: the transaction-local setting ``phonelist.defer_facts`` (``set_config(...,
  true)``), which no other transaction sees.

Only the insert triggers of the tables a bulk insert writes are guarded; updates and deletes
fire as before.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# (trigger, table, the trigger's own WHEN condition or None), as of revisions 0004 and 0008
GUARDED = (
    ("pl_facts_contacts_insert", "contacts", None),
    ("pl_facts_phones_insert", "phone_numbers", "NEW.is_primary = TRUE"),
    ("pl_facts_tags_insert", "contact_tags", None),
    ("pl_facts_lists_insert", "list_members", None),
    ("pl_policy_phones_insert", "phone_numbers", None),
)
SQLITE_GUARD = "NOT EXISTS (SELECT 1 FROM facts_deferral)"
POSTGRES_GUARD = "current_setting('phonelist.defer_facts', true) IS DISTINCT FROM 'on'"
_HEAD = re.compile(
    r"^(CREATE TRIGGER \w+ AFTER INSERT ON \w+ FOR EACH ROW)(?: WHEN \((.*?)\))? BEGIN ", re.S
)


def upgrade() -> None:
    op.create_table(
        "facts_deferral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facts_deferral")),
    )
    _guard(on=True)


def downgrade() -> None:
    _guard(on=False)
    op.drop_table("facts_deferral")


def _guard(*, on: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for name, table, condition in GUARDED:
            conditions = [c for c in (condition, POSTGRES_GUARD if on else None) if c]
            when = f" WHEN ({' AND '.join(conditions)})" if conditions else ""
            op.execute(f"DROP TRIGGER {name} ON {table}")
            op.execute(
                f"CREATE TRIGGER {name} AFTER INSERT ON {table} FOR EACH ROW{when} "
                f"EXECUTE FUNCTION {name}()"
            )
        return
    for name, _, condition in GUARDED:
        sql = bind.execute(
            sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
            {"name": name},
        ).scalar_one()
        head = _HEAD.match(sql)
        if head is None or (head.group(2) != condition and head.group(2) != _both(condition)):
            raise RuntimeError(f"trigger {name} is not the one revision 0011 expects")
        conditions = [c for c in (condition, SQLITE_GUARD if on else None) if c]
        when = f" WHEN ({' AND '.join(conditions)})" if conditions else ""
        op.execute(f"DROP TRIGGER {name}")
        op.execute(f"{head.group(1)}{when} BEGIN {sql[head.end() :]}")


def _both(condition: str | None) -> str:
    """The WHEN condition of a guarded trigger (for the downgrade)."""
    return " AND ".join(c for c in (condition, SQLITE_GUARD) if c)
