"""The ledger of posts (planned, sending, sent, failed, unknown) and the networks' login sessions.

Written out rather than derived from bot.store.ledger: a migration is a snapshot of the schema at its
revision.

Revision ID: 0002_ledger
Revises: 0001_cables
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_ledger"
down_revision = "0001_cables"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "posts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account", sa.String(128), nullable=False),
        sa.Column("network", sa.String(32), nullable=False),
        sa.Column("ref_id", sa.String(64), nullable=False),
        sa.Column("paragraph_id", sa.Integer),
        sa.Column("paragraph", sa.String(16), nullable=False),
        sa.Column("generation", sa.Integer, nullable=False, server_default="0"),
        sa.Column("thread_key", sa.String(255), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("parts", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("remote_id", sa.Text),
        sa.Column("url", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_posts"),
        sa.ForeignKeyConstraint(
            ["paragraph_id"], ["paragraphs.id"], name="fk_posts_paragraph_id_paragraphs", ondelete="SET NULL"
        ),
        sa.UniqueConstraint(
            "account",
            "ref_id",
            "paragraph",
            "generation",
            "position",
            name="uq_posts_account_ref_id_paragraph_generation_position",
        ),
    )
    op.create_index("ix_posts_account_paragraph_id", "posts", ["account", "paragraph_id"])
    op.create_index("ix_posts_account_created_at", "posts", ["account", "created_at"])
    op.create_index("ix_posts_thread_key", "posts", ["thread_key"])
    op.create_index("ix_posts_status", "posts", ["status"])

    op.create_table(
        "network_sessions",
        sa.Column("account", sa.String(128), nullable=False),
        sa.Column("session", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account", name="pk_network_sessions"),
    )


def downgrade() -> None:
    op.drop_table("network_sessions")
    op.drop_index("ix_posts_status", table_name="posts")
    op.drop_index("ix_posts_thread_key", table_name="posts")
    op.drop_index("ix_posts_account_created_at", table_name="posts")
    op.drop_index("ix_posts_account_paragraph_id", table_name="posts")
    op.drop_table("posts")
