"""Corpus terms laid out for the upserts of every ingested batch (tens of thousands of terms each).

SQLite: a clustered table (WITHOUT ROWID). A rowid table keeps each term twice, in the table and in its
primary-key index, and an upsert looks it up in both; a WITHOUT ROWID table is the primary-key B-tree
itself. PostgreSQL: pages half full (fillfactor 50), so that an updated count fits beside the old one
(a HOT update, which adds no index entry). Existing pages keep their layout until rewritten.

Written out rather than derived from bot.store.schema: a migration is a snapshot of the schema at its
revision.

Revision ID: 0004_corpus_terms
Revises: 0003_worker
"""

from __future__ import annotations

from alembic import op

revision = "0004_corpus_terms"
down_revision = "0003_worker"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_on_sqlite(" WITHOUT ROWID")
    else:
        op.execute("ALTER TABLE corpus_terms SET (fillfactor = 50)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_on_sqlite("")
    else:
        op.execute("ALTER TABLE corpus_terms RESET (fillfactor)")


def _rebuild_on_sqlite(options: str) -> None:
    # SQLite cannot change a table's kind in place: build the new one, copy, swap, all in the
    # migration's transaction, so that a failure leaves the old table as it was.
    op.execute(
        "CREATE TABLE corpus_terms_new (term VARCHAR(128) NOT NULL, df INTEGER NOT NULL, "
        f"CONSTRAINT pk_corpus_terms PRIMARY KEY (term)){options}"
    )
    op.execute("INSERT INTO corpus_terms_new (term, df) SELECT term, df FROM corpus_terms")
    op.execute("DROP TABLE corpus_terms")
    op.execute("ALTER TABLE corpus_terms_new RENAME TO corpus_terms")
