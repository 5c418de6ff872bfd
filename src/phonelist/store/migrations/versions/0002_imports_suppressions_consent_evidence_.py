"""imports suppressions consent evidence line lookups

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 16:32:23.549312
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "consent_records",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("e164_index", sa.LargeBinary(length=16), nullable=False),
        sa.Column("e164_enc", sa.LargeBinary(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("sender", sa.String(length=100), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("affirmative_action", sa.String(length=300), nullable=True),
        sa.Column("disclosure_text", sa.Text(), nullable=True),
        sa.Column("disclosure_version", sa.String(length=64), nullable=True),
        sa.Column("disclosure_hash", sa.String(length=64), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("source_url", sa.String(length=500), nullable=True),
        sa.Column("form_id", sa.String(length=100), nullable=True),
        sa.Column("ip_enc", sa.LargeBinary(), nullable=True),
        sa.Column("user_agent_enc", sa.LargeBinary(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("evidence_ref", sa.String(length=500), nullable=True),
        sa.Column("import_job_id", sa.String(length=26), nullable=True),
        sa.Column("basis", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_consent_records_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_records")),
    )
    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consent_records_workspace_id_e164_index"),
            ["workspace_id", "e164_index"],
            unique=False,
        )

    op.create_table(
        "import_jobs",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_size", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rows_committed", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_import_jobs_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
    )
    op.create_table(
        "line_lookups",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("e164_index", sa.LargeBinary(length=16), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("line_type", sa.String(length=32), nullable=True),
        sa.Column("carrier", sa.String(length=100), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=True),
        sa.Column("reassigned_since", sa.Date(), nullable=True),
        sa.Column("reassigned", sa.Boolean(), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_line_lookups_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("workspace_id", "e164_index", name=op.f("pk_line_lookups")),
    )
    op.create_table(
        "suppressions",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("e164_index", sa.LargeBinary(length=16), nullable=False),
        sa.Column("e164_enc", sa.LargeBinary(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("import_job_id", sa.String(length=26), nullable=True),
        sa.Column("lifted_at", sa.DateTime(), nullable=True),
        sa.Column("lifted_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_suppressions_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppressions")),
    )
    with op.batch_alter_table("suppressions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_suppressions_workspace_id_e164_index"),
            ["workspace_id", "e164_index"],
            unique=False,
        )

    op.create_table(
        "import_rejects",
        sa.Column("job_id", sa.String(length=26), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("column", sa.String(length=255), nullable=True),
        sa.Column("raw_enc", sa.LargeBinary(), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("message", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["import_jobs.id"],
            name=op.f("fk_import_rejects_job_id_import_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "row_number", name=op.f("pk_import_rejects")),
    )


def downgrade() -> None:

    op.drop_table("import_rejects")
    with op.batch_alter_table("suppressions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_suppressions_workspace_id_e164_index"))

    op.drop_table("suppressions")
    op.drop_table("line_lookups")
    op.drop_table("import_jobs")
    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_records_workspace_id_e164_index"))

    op.drop_table("consent_records")
