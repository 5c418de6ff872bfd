"""campaigns, and the outbox columns of messages

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_OUTBOX = (
    ("campaign_id", sa.String(26)),
    ("contact_id", sa.String(26)),
    ("idempotency_key", sa.String(100)),
    ("not_before", sa.DateTime()),
    ("next_attempt_at", sa.DateTime()),
    ("claimed_by", sa.String(64)),
    ("claimed_until", sa.DateTime()),
    ("gateway", sa.String(32)),
    ("encoding", sa.String(8)),
    ("segments", sa.Integer()),
    ("sent_at", sa.DateTime()),
    ("delivered_at", sa.DateTime()),
    ("error_code", sa.String(32)),
)
_INDEXES = (
    ("status", "not_before"),
    ("workspace_id", "campaign_id", "status"),
    ("provider_ref",),
)


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("audience_kind", sa.String(16), nullable=False),
        sa.Column("audience", sa.Text(), nullable=False),
        sa.Column("schedule_kind", sa.String(8), nullable=False),
        sa.Column("send_at", sa.DateTime(), nullable=True),
        sa.Column("local_date", sa.Date(), nullable=True),
        sa.Column("local_time", sa.String(5), nullable=True),
        sa.Column("senders", sa.JSON(), nullable=False),
        sa.Column("rate_limit", sa.Float(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("preview", sa.JSON(), nullable=False),
        sa.Column("emergency_reason", sa.String(300), nullable=True),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("approved_by", sa.String(100), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("launched_by", sa.String(100), nullable=True),
        sa.Column("launched_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_campaigns_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_index(
        op.f("ix_campaigns_workspace_id_status"), "campaigns", ["workspace_id", "status"]
    )
    # Plain ADD COLUMN, not a batch copy: on SQLite a copy of ``messages`` would break the
    # segment-fact triggers that read it.
    for name, kind in _OUTBOX:
        op.add_column("messages", sa.Column(name, kind, nullable=True))
    op.add_column(
        "messages", sa.Column("attempts", sa.Integer(), nullable=False, server_default="0")
    )
    op.create_index(
        op.f("ix_messages_workspace_id_idempotency_key"),
        "messages",
        ["workspace_id", "idempotency_key"],
        unique=True,
    )
    for columns in _INDEXES:
        op.create_index(op.f(f"ix_messages_{'_'.join(columns)}"), "messages", list(columns))


def downgrade() -> None:
    for columns in _INDEXES:
        op.drop_index(op.f(f"ix_messages_{'_'.join(columns)}"), table_name="messages")
    op.drop_index(op.f("ix_messages_workspace_id_idempotency_key"), table_name="messages")
    for name in ("attempts", *(name for name, _kind in reversed(_OUTBOX))):
        op.drop_column("messages", name)
    op.drop_index(op.f("ix_campaigns_workspace_id_status"), table_name="campaigns")
    op.drop_table("campaigns")
