"""The worker's slots: which worker posts which scheduled slot, claimed through a unique constraint.

Written out rather than derived from bot.worker.slots: a migration is a snapshot of the schema at its
revision.

Revision ID: 0003_worker
Revises: 0002_ledger
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_worker"
down_revision = "0002_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slots",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account", sa.String(128), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.String(200)),
        sa.Column("claimed_at", sa.DateTime(timezone=True)),
        sa.Column("retry_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("ref_id", sa.String(64)),
        sa.Column("paragraph", sa.String(16)),
        sa.Column("ledger_key", sa.Text),
        sa.Column("reason", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_slots"),
        sa.UniqueConstraint("account", "due_at", name="uq_slots_account_due_at"),
    )
    op.create_index("ix_slots_status_account", "slots", ["status", "account"])


def downgrade() -> None:
    op.drop_index("ix_slots_status_account", table_name="slots")
    op.drop_table("slots")
