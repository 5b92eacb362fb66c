"""Bring the schema to the newest revision, once, even when several replicas start at the same moment.

PostgreSQL: the upgrade runs in one transaction under a transaction-scoped advisory lock (keyed by the
schema), so a second replica waits, then finds the schema current and does nothing. SQLite: the upgrade
runs in one exclusive transaction (SQLite's DDL is transactional), which serialises starters the same way.

Opening a store whose schema is current is the common case (every command, every worker start): it costs
a look at Alembic's version table, compared with `HEAD`, and Alembic itself (about 80 ms of imports) loads
only when there is something to migrate.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest revision of migrations/versions, so that a current schema is recognised without Alembic.
# A new migration changes it too: tests/store/test_migrate.py checks it against Alembic's own head.
HEAD = "0005_next_index"
VERSION_TABLE = "alembic_version"
_LOCK_NAME = "cablebot.migrate."


def alembic_config() -> AlembicConfig:
    """Alembic's configuration, built in code: users need no alembic.ini."""
    from alembic.config import Config as AlembicConfig  # Alembic loads only to migrate: see the docstring

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revisions() -> set[str]:
    """The heads of the migrations folder, as Alembic reads them (its scripts imported)."""
    from alembic.script import ScriptDirectory  # Alembic loads only to migrate: see the docstring

    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(connection: Connection) -> set[str]:
    """The revisions the database is at, as Alembic records them; none before its first migration."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return set()
    return set(connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to `revision` (newest by default) unless the schema is already there."""
    if revision == "head":
        with engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
            if current_revisions(conn) == {HEAD}:
                return
    from alembic import command  # Alembic loads only to migrate: see the docstring

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
