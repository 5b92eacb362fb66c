"""Bring the schema to the newest revision, once, even when several replicas start at the same moment.

PostgreSQL: the upgrade runs in one transaction under a transaction-scoped advisory lock (keyed by the
schema), so a second replica waits, then finds the schema current and does nothing. SQLite: the upgrade
runs in one exclusive transaction (SQLite's DDL is transactional), which serialises starters the same way.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_LOCK_NAME = "cablebot.migrate."


def alembic_config() -> AlembicConfig:
    """Alembic's configuration, built in code: users need no alembic.ini."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to `revision` (newest by default) unless the schema is already there."""
    heads = head_revisions()
    if revision == "head":
        with engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
            if current_revisions(conn) == heads:
                return
    begin = "EXCLUSIVE" if engine.dialect.name == "sqlite" else None
    with engine.connect().execution_options(sqlite_begin=begin) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:name || coalesce(current_schema(), '')))"),
                {"name": _LOCK_NAME},
            )
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
