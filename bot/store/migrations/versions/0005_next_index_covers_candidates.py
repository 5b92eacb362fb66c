"""The next-paragraph index holds what `next` reads of each paragraph it weighs: score, cable, number
and id. The account's posted paragraphs are passed over and the few hundred candidates read on the
index alone, not in the paragraphs table (about 1 KB a row, each on a page of its own): on SQLite the
id is the rowid every index entry carries; PostgreSQL keeps it as an included column, so that the
walk is an index-only scan.

Written out rather than derived from bot.store.schema: a migration is a snapshot of the schema at its
revision.

Revision ID: 0005_next_index
Revises: 0004_corpus_terms
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_next_index"
down_revision = "0004_corpus_terms"
branch_labels = None
depends_on = None

_POSTABLE = sa.text("anchored AND NOT blocked")


def upgrade() -> None:
    op.drop_index("ix_paragraphs_next", table_name="paragraphs")
    op.create_index(
        "ix_paragraphs_next",
        "paragraphs",
        [sa.text("score DESC"), "cable_id", "number"],
        postgresql_include=["id"],
        postgresql_where=_POSTABLE,
        sqlite_where=_POSTABLE,
    )


def downgrade() -> None:
    op.drop_index("ix_paragraphs_next", table_name="paragraphs")
    op.create_index(
        "ix_paragraphs_next",
        "paragraphs",
        [sa.text("score DESC"), "cable_id"],
        postgresql_where=_POSTABLE,
        sqlite_where=_POSTABLE,
    )
