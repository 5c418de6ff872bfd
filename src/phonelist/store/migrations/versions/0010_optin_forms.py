"""public opt-in forms and their submissions

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 02:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opt_in_forms",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("list_name", sa.String(100), nullable=False),
        sa.Column("disclosure_name", sa.String(100), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("allowed_countries", sa.JSON(), nullable=False),
        sa.Column("embed_origins", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_opt_in_forms_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opt_in_forms")),
        sa.UniqueConstraint("slug", name=op.f("uq_opt_in_forms_slug")),
    )
    op.create_table(
        "opt_in_submissions",
        sa.Column("request_id", sa.String(26), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.String(26), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.String(26), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_opt_in_submissions_workspace_id_workspaces"),
        ),
        sa.ForeignKeyConstraint(
            ["form_id"],
            ["opt_in_forms.id"],
            name=op.f("fk_opt_in_submissions_form_id_opt_in_forms"),
        ),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_opt_in_submissions")),
    )


def downgrade() -> None:
    op.drop_table("opt_in_submissions")
    op.drop_table("opt_in_forms")
