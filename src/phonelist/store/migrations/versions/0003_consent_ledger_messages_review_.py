"""consent ledger messages review registries

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 18:47:46.827838
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_ledger_heads",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_consent_ledger_heads_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_consent_ledger_heads")),
    )
    op.create_table(
        "consent_states",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("e164_index", sa.LargeBinary(length=16), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("written", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("sender", sa.String(length=100), nullable=True),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("record_id", sa.String(length=26), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_consent_states_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint(
            "workspace_id", "e164_index", "channel", "purpose", name=op.f("pk_consent_states")
        ),
    )
    with op.batch_alter_table("consent_states", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consent_states_workspace_id_channel_purpose_status"),
            ["workspace_id", "channel", "purpose", "status"],
            unique=False,
        )

    op.create_table(
        "disclosures",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("automated_marketing", sa.Boolean(), nullable=False),
        sa.Column("not_condition_of_purchase", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_disclosures_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosures")),
        sa.UniqueConstraint(
            "workspace_id", "name", "version", name=op.f("uq_disclosures_workspace_id_name_version")
        ),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("e164_index", sa.LargeBinary(length=16), nullable=False),
        sa.Column("e164_enc", sa.LargeBinary(), nullable=False),
        sa.Column("sender", sa.String(length=32), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=True),
        sa.Column("body_enc", sa.LargeBinary(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("provider_ref", sa.String(length=100), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_messages_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_messages_workspace_id_e164_index_at"),
            ["workspace_id", "e164_index", "at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_messages_workspace_id_at"), ["workspace_id", "at"], unique=False
        )

    op.create_table(
        "registry_imports",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("registry_name", sa.String(length=16), nullable=False),
        sa.Column("area_code", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("registry_date", sa.Date(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_registry_imports_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_imports")),
    )
    with op.batch_alter_table("registry_imports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registry_imports_workspace_id_registry_name_area_code"),
            ["workspace_id", "registry_name", "area_code"],
            unique=False,
        )

    op.create_table(
        "registry_numbers",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("registry_name", sa.String(length=16), nullable=False),
        sa.Column("e164_index", sa.LargeBinary(length=16), nullable=False),
        sa.Column("area_code", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_registry_numbers_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint(
            "workspace_id", "registry_name", "e164_index", name=op.f("pk_registry_numbers")
        ),
    )
    with op.batch_alter_table("registry_numbers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registry_numbers_workspace_id_registry_name_area_code"),
            ["workspace_id", "registry_name", "area_code"],
            unique=False,
        )

    op.create_table(
        "consent_requests",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("e164_index", sa.LargeBinary(length=16), nullable=False),
        sa.Column("e164_enc", sa.LargeBinary(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("sender", sa.String(length=100), nullable=True),
        sa.Column("disclosure_id", sa.String(length=26), nullable=True),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("request_message_id", sa.String(length=26), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("reply_message_id", sa.String(length=26), nullable=True),
        sa.ForeignKeyConstraint(
            ["disclosure_id"],
            ["disclosures.id"],
            name=op.f("fk_consent_requests_disclosure_id_disclosures"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_consent_requests_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_requests")),
    )
    with op.batch_alter_table("consent_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consent_requests_workspace_id_e164_index_status"),
            ["workspace_id", "e164_index", "status"],
            unique=False,
        )

    op.create_table(
        "review_items",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=26), nullable=False),
        sa.Column("e164_index", sa.LargeBinary(length=16), nullable=False),
        sa.Column("keyword", sa.String(length=64), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("policy", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_review_items_message_id_messages")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_review_items_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_items")),
    )
    with op.batch_alter_table("review_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_items_workspace_id_status_due_at"),
            ["workspace_id", "status", "due_at"],
            unique=False,
        )

    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disclosure_id", sa.String(length=26), nullable=True))
        batch_op.add_column(
            sa.Column("written", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("scope", sa.String(length=16), nullable=False, server_default="one")
        )
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("evidence", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_consent_records_workspace_id_seq"), ["workspace_id", "seq"]
        )

    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_purchase_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_inquiry_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("legal_person", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("phone_numbers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("area_code", sa.String(length=8), nullable=True))

    with op.batch_alter_table("suppressions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lift_reason", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("suppressions", schema=None) as batch_op:
        batch_op.drop_column("lift_reason")

    with op.batch_alter_table("phone_numbers", schema=None) as batch_op:
        batch_op.drop_column("area_code")

    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("legal_person")
        batch_op.drop_column("last_inquiry_at")
        batch_op.drop_column("last_purchase_at")

    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_consent_records_workspace_id_seq"), type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
        batch_op.drop_column("evidence")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("scope")
        batch_op.drop_column("written")
        batch_op.drop_column("disclosure_id")

    with op.batch_alter_table("review_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_items_workspace_id_status_due_at"))

    op.drop_table("review_items")
    with op.batch_alter_table("consent_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_requests_workspace_id_e164_index_status"))

    op.drop_table("consent_requests")
    with op.batch_alter_table("registry_numbers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_numbers_workspace_id_registry_name_area_code"))

    op.drop_table("registry_numbers")
    with op.batch_alter_table("registry_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_imports_workspace_id_registry_name_area_code"))

    op.drop_table("registry_imports")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_workspace_id_at"))
        batch_op.drop_index(batch_op.f("ix_messages_workspace_id_e164_index_at"))

    op.drop_table("messages")
    op.drop_table("disclosures")
    with op.batch_alter_table("consent_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_states_workspace_id_channel_purpose_status"))

    op.drop_table("consent_states")
    op.drop_table("consent_ledger_heads")
