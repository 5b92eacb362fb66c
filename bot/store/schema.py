"""The tables: the single definition that both the migrations and the queries use.

Paragraphs are rows of their own because everything after ingest works on paragraphs: the picker
scores them (score, blocked, reasons), the worker asks for the next one to post, the ledger records
posts about them. A paragraph's permalink is not stored: only whether the original site anchors it, so
that an editor can change the permalink template without re-ingesting.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.types import TypeDecorator

# Constraint names fixed by convention, so that migrations on SQLite and PostgreSQL agree.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on both dialects (SQLite has no time zones: it stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: cablebot stores timezone-aware UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


cables = Table(
    "cables",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ref_id", Text, nullable=False, unique=True),
    Column("created", UTCDateTime, nullable=False),
    Column("released", UTCDateTime),
    Column("classification", Text, nullable=False),
    Column("origin", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("refs", JSON, nullable=False),
    Column("source_format", Text),
    Column("source_location", Text),
    # How much of the cable a copy holds: paragraph count, then body length (see bot.store.merge).
    # The merge rule never lets a copy with less replace one with more.
    Column("fullness", BigInteger, nullable=False),
    # A digest of everything the cable says, so that re-ingesting an identical copy costs one lookup.
    Column("digest", String(64), nullable=False),
    Column("ingested_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "created"),
    Index(None, "origin"),
)

_postable = text("anchored AND NOT blocked")

paragraphs = Table(
    "paragraphs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cable_id", Integer, ForeignKey("cables.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),  # order within the cable, from 0
    Column("number", Text, nullable=False),
    Column("marking", Text),
    Column("text", Text, nullable=False),
    Column("text_length", Integer, nullable=False),
    # True when the original site anchors this paragraph, so its permalink lands on it (see Paragraph.url).
    Column("anchored", Boolean, nullable=False),
    # Written by the picker (bot.picks) as cables are ingested.
    Column("score", Float),
    Column("blocked", Boolean, nullable=False, default=False, server_default=false()),
    Column("block_reason", Text),
    Column("reasons", JSON),
    UniqueConstraint("cable_id", "position"),
    # "The next paragraph to post": the best-scored paragraphs that can be cited and may be posted,
    # with all that `next` reads of the paragraphs it weighs (id: SQLite's rowid, PostgreSQL's
    # included column), so that it never reads their rows (migration 0005).
    Index(
        "ix_paragraphs_next",
        text("score DESC"),
        "cable_id",
        "number",
        postgresql_include=["id"],
        postgresql_where=_postable,
        sqlite_where=_postable,
    ),
)

# Corpus statistics for the picker's "how distinctive are this paragraph's words": document frequency
# of each term over all paragraphs, and totals (e.g. the paragraph count) by name. Kept current at ingest.
corpus_terms = Table(
    "corpus_terms",
    metadata,
    Column("term", String(128), primary_key=True),
    Column("df", Integer, nullable=False),
    # Each ingested batch upserts tens of thousands of terms (migration 0004). On SQLite the table is
    # its primary-key B-tree, so each is looked up once, not in an index and then a table; on
    # PostgreSQL its pages keep room, so that an updated count is written beside the old one (a HOT
    # update: no new index entry).
    sqlite_with_rowid=False,
    postgresql_with={"fillfactor": 50},
)

corpus_stats = Table(
    "corpus_stats",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Float, nullable=False),
)

# Cables an editor asked to post soon (`cablebot queue REFID`): served before the picker's own choice.
queue = Table(
    "queue",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ref_id", Text, nullable=False),
    Column("account", Text),  # None: any account
    Column("requested_at", UTCDateTime, nullable=False),
    Column("requested_by", Text),
    Column("done_at", UTCDateTime),
    Index(
        "ix_queue_pending",
        "requested_at",
        postgresql_where=text("done_at IS NULL"),
        sqlite_where=text("done_at IS NULL"),
    ),
)
