"""consent ledger: records whose personal data can be erased

Ledger records get MAC version 2 (over a keyed digest of their personal values instead of the
values), so a privacy erasure can remove the number, IP address and user agent of a record and
the chain still verifies. Existing chains stay at version 1 (``consent_ledger_heads.mac_version``)
until the application, which holds the keys, verifies and re-chains them on the next write.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 01:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("consent_records") as batch:
        batch.alter_column("e164_enc", existing_type=sa.LargeBinary(), nullable=True)
        batch.add_column(sa.Column("mac_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("pii_digest", sa.String(64), nullable=True))
        batch.add_column(sa.Column("erased_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("consent_ledger_heads") as batch:
        batch.add_column(sa.Column("mac_version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("consent_ledger_heads") as batch:
        batch.drop_column("mac_version")
    with op.batch_alter_table("consent_records") as batch:
        batch.drop_column("erased_at")
        batch.drop_column("pii_digest")
        batch.drop_column("mac_version")
        batch.alter_column("e164_enc", existing_type=sa.LargeBinary(), nullable=False)
