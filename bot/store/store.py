"""`Store`: an open, migrated database, and the cable operations callers use most.

Every operation turns a database failure into a StoreError naming the database (never its password).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from bot.model import Cable
from bot.permalink import PermalinkTemplate
from bot.store import cables as cable_rows
from bot.store.engine import create_store_engine, public_url, store_errors
from bot.store.migrate import upgrade


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def url(self) -> str:
        """The database URL, password masked: safe to show."""
        return public_url(self.engine.url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reading (on SQLite it does not take the write lock)."""
        with store_errors(self.engine.url), self.engine.connect() as conn:
            yield conn.execution_options(sqlite_begin="DEFERRED")

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One transaction, committed when the block ends, rolled back if it raises."""
        with store_errors(self.engine.url), self.engine.begin() as conn:
            yield conn

    def save_cables(self, batch: Iterable[Cable]) -> list[cable_rows.SavedCable]:
        with self.write() as conn:
            return cable_rows.save_cables(conn, batch)

    def get_cable(self, ref_id: str, permalinks: PermalinkTemplate | None = None) -> Cable:
        with self.read() as conn:
            return cable_rows.get_cable(conn, ref_id, permalinks)

    def iter_cables(self, permalinks: PermalinkTemplate | None = None) -> Iterator[Cable]:
        with self.read() as conn:
            yield from cable_rows.iter_cables(conn, permalinks)

    def counts(self) -> dict[str, int]:
        with self.read() as conn:
            return {"cables": cable_rows.count_cables(conn), "paragraphs": cable_rows.count_paragraphs(conn)}

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(url: str | None = None, *, migrate: bool = True) -> Store:
    """The store at `url` (else DATABASE_URL, else SQLite in the data folder), migrated to the newest."""
    if url is None:
        from bot.config import database_url

        url = database_url()
    engine = create_store_engine(url)
    if migrate:
        with store_errors(engine.url):
            upgrade(engine)
    return Store(engine)
