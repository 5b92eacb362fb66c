"""Reaching the database: clear errors, never a password, SQLite's folder created."""

from __future__ import annotations

import sqlite3
import threading

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


def test_a_store_opened_while_another_process_writes_the_file_waits_for_it_and_turns_it_to_wal(tmp_path):
    # A new file is in rollback mode until one replica converts it; converting while another connection
    # writes fails at once in SQLite, busy timeout or not, so opening must wait for the writer instead.
    target = tmp_path / "cablebot.db"
    writer = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE other (x)")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO other VALUES (1)")
    done = threading.Timer(0.5, writer.execute, ["COMMIT"])
    done.start()
    try:
        with open_store(f"sqlite:///{target}") as store, store.read() as conn:
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar_one()
            written = conn.exec_driver_sql("SELECT count(*) FROM other").scalar_one()
    finally:
        done.join()
        writer.close()
    assert (mode, written) == ("wal", 1)
