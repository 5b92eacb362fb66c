"""The database engine: SQLite in the data folder by default, PostgreSQL (psycopg 3) via DATABASE_URL.

Every failure to reach the database becomes a StoreError that names the URL without its password, so
that an editor sees what to fix and no secret reaches a log.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

from bot.errors import StoreError
from bot.logs import register_secret

SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalize_url(url: str) -> URL:
    """The URL as SQLAlchemy wants it: hosts' postgres:// and a bare postgresql:// mean psycopg 3."""
    text = url.strip()
    for prefix in ("postgres://", "postgresql://"):
        if text.startswith(prefix):
            text = "postgresql+psycopg://" + text[len(prefix) :]
    try:
        parsed = make_url(text)
    except ArgumentError:
        raise StoreError(
            f"DATABASE_URL {text.split('@')[-1]!r} is not a database URL; "
            "use sqlite:///path/to/file.db or postgresql://user:password@host/dbname"
        ) from None
    register_secret(parsed.password)
    return parsed


def public_url(url: str | URL) -> str:
    """The URL as it may be shown to a person or logged: the password masked."""
    parsed = url if isinstance(url, URL) else make_url(url)
    return parsed.render_as_string(hide_password=True)


def create_store_engine(url: str) -> Engine:
    """An engine for `url`, set up for cablebot's use of each dialect."""
    parsed = normalize_url(url)
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            return _sqlite_engine(parsed)
        if backend == "postgresql":
            return create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=5)
    except NoSuchModuleError:
        pass
    raise StoreError(
        f"{public_url(parsed)}: cablebot stores cables in SQLite or PostgreSQL only; "
        "set DATABASE_URL to sqlite:///FILE or postgresql://USER@HOST/DB"
    )


def _sqlite_engine(url: URL) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin: sqlite3's implicit
        # BEGIN skips DDL, which would make migrations non-transactional.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")  # first: what follows may wait
        _use_wal(cursor)  # readers (the worker) never block the writer (ingest)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; a crash loses at most the last commit
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        # A writer takes the write lock up front (BEGIN IMMEDIATE): a deferred transaction that reads and
        # then writes fails at once, busy_timeout or not, when another writer got in between.
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _use_wal(cursor: sqlite3.Cursor) -> None:
    """Put the file in WAL mode, which it keeps: later connections find it there and take no lock.

    Converting reads the file, then needs it alone; SQLite fails that step at once ("database is
    locked"), without waiting in the busy handler, when another connection is writing or converting
    too, as replicas opening a new store together do. So it is tried again until one of them has
    converted the file or the busy timeout has passed.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    pause = 0.005
    while True:
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            return
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(2 * pause, 0.1)


@contextmanager
def store_errors(url: str | URL) -> Iterator[None]:
    """Turn the driver's failures into a StoreError an editor can act on."""
    try:
        yield
    except OperationalError as e:
        raise StoreError(
            f"cannot use the database at {public_url(url)}: {_reason(e)}; check DATABASE_URL"
        ) from None
    except DBAPIError as e:
        raise StoreError(f"the database at {public_url(url)} refused an operation: {_reason(e)}") from None


def _reason(error: DBAPIError) -> str:
    text = str(error.orig).strip() if error.orig is not None else str(error)
    first = text.splitlines()[0] if text else type(error.orig).__name__
    from bot.logs import redact

    return redact(first)
