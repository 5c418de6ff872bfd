"""privacy request register and retention

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 01:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_requests",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("contact_id", sa.String(length=26), nullable=True),
        sa.Column("e164_index", sa.LargeBinary(length=16), nullable=True),
        sa.Column("note_enc", sa.LargeBinary(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("extended_months", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("extension_reason", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("outcome_enc", sa.LargeBinary(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("handled_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_privacy_requests_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_requests")),
    )
    op.create_index(
        op.f("ix_privacy_requests_workspace_id_status_due_at"),
        "privacy_requests",
        ["workspace_id", "status", "due_at"],
    )
    op.create_table(
        "retention_rules",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_retention_rules_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("workspace_id", "field", name=op.f("pk_retention_rules")),
    )


def downgrade() -> None:
    op.drop_table("retention_rules")
    op.drop_index(
        op.f("ix_privacy_requests_workspace_id_status_due_at"), table_name="privacy_requests"
    )
    op.drop_table("privacy_requests")
