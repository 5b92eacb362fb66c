"""Cables and their paragraphs, the picker's corpus statistics, and the editors' queue.

Written out rather than derived from bot.store.schema: a migration is a snapshot of the schema at its
revision, and must not change when schema.py moves on.

Revision ID: 0001_cables
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_cables"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cables",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ref_id", sa.Text, nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released", sa.DateTime(timezone=True)),
        sa.Column("classification", sa.Text, nullable=False),
        sa.Column("origin", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("refs", sa.JSON, nullable=False),
        sa.Column("source_format", sa.Text),
        sa.Column("source_location", sa.Text),
        sa.Column("fullness", sa.BigInteger, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cables"),
        sa.UniqueConstraint("ref_id", name="uq_cables_ref_id"),
    )
    op.create_index("ix_cables_created", "cables", ["created"])
    op.create_index("ix_cables_origin", "cables", ["origin"])

    op.create_table(
        "paragraphs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("cable_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("number", sa.Text, nullable=False),
        sa.Column("marking", sa.Text),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("text_length", sa.Integer, nullable=False),
        sa.Column("anchored", sa.Boolean, nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("blocked", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("block_reason", sa.Text),
        sa.Column("reasons", sa.JSON),
        sa.PrimaryKeyConstraint("id", name="pk_paragraphs"),
        sa.ForeignKeyConstraint(
            ["cable_id"], ["cables.id"], name="fk_paragraphs_cable_id_cables", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("cable_id", "position", name="uq_paragraphs_cable_id_position"),
    )
    postable = sa.text("anchored AND NOT blocked")
    op.create_index(
        "ix_paragraphs_next",
        "paragraphs",
        [sa.text("score DESC"), "cable_id"],
        postgresql_where=postable,
        sqlite_where=postable,
    )

    op.create_table(
        "corpus_terms",
        sa.Column("term", sa.String(128), nullable=False),
        sa.Column("df", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("term", name="pk_corpus_terms"),
    )
    op.create_table(
        "corpus_stats",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_corpus_stats"),
    )

    op.create_table(
        "queue",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ref_id", sa.Text, nullable=False),
        sa.Column("account", sa.Text),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.Text),
        sa.Column("done_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_queue"),
    )
    pending = sa.text("done_at IS NULL")
    op.create_index(
        "ix_queue_pending", "queue", ["requested_at"], postgresql_where=pending, sqlite_where=pending
    )


def downgrade() -> None:
    op.drop_table("queue")
    op.drop_table("corpus_stats")
    op.drop_table("corpus_terms")
    op.drop_index("ix_paragraphs_next", table_name="paragraphs")
    op.drop_table("paragraphs")
    op.drop_index("ix_cables_origin", table_name="cables")
    op.drop_index("ix_cables_created", table_name="cables")
    op.drop_table("cables")
