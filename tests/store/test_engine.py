"""Reaching the database: clear errors, never a password, SQLite's folder created."""

from __future__ import annotations

import pytest

from bot.errors import StoreError
from bot.store import open_store
from bot.store.engine import normalize_url


def test_an_unreachable_database_is_a_store_error_without_the_password():
    with pytest.raises(StoreError) as caught:
        open_store("postgresql://editor:hunter2-secret@127.0.0.1:1/cables")
    message = str(caught.value)
    assert "127.0.0.1:1" in message and "DATABASE_URL" in message
    assert "hunter2-secret" not in message


def test_a_url_that_is_not_a_database_is_a_store_error():
    with pytest.raises(StoreError, match="not a database URL"):
        open_store("just some words")


def test_a_database_cablebot_does_not_support_is_named():
    with pytest.raises(StoreError, match="SQLite or PostgreSQL"):
        open_store("mysql://root@localhost/cables")


@pytest.mark.parametrize("given", ["postgres://u:p@db.example/x", "postgresql://u:p@db.example/x"])
def test_hosts_postgres_urls_use_psycopg_3(given):
    assert normalize_url(given).drivername == "postgresql+psycopg"


def test_the_sqlite_data_folder_is_created(tmp_path):
    target = tmp_path / "deep" / "var" / "cablebot.db"
    with open_store(f"sqlite:///{target}") as store:
        assert store.counts() == {"cables": 0, "paragraphs": 0}
    assert target.exists()
