"""The ledger (bot.store.ledger) on SQLite and PostgreSQL: a row per post, each change its own commit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from bot.store.ledger import (
    FAILED,
    PLANNED,
    SENDING,
    SENT,
    UNKNOWN,
    DatabaseSessions,
    Ledger,
    posts,
    thread_key,
)


def plan(ledger: Ledger, texts=("one", "two"), *, account="local", paragraph="3", generation=0, **kw):
    return ledger.plan(
        account=account,
        network="outbox",
        ref_id="08ASTANA2079",
        paragraph=paragraph,
        generation=generation,
        texts=list(texts),
        **kw,
    )


def test_the_migration_creates_the_ledger_and_sessions_with_their_indexes(store):
    inspector = inspect(store.engine)
    columns = {c["name"] for c in inspector.get_columns("posts")}
    assert {
        "account",
        "network",
        "ref_id",
        "paragraph_id",
        "paragraph",
        "generation",
        "thread_key",
        "position",
        "parts",
        "status",
        "text",
        "remote_id",
        "url",
        "error",
        "attempts",
        "created_at",
        "updated_at",
    } <= columns
    indexed = {tuple(i["column_names"]) for i in inspector.get_indexes("posts")}
    assert {("account", "paragraph_id"), ("account", "created_at")} <= indexed
    sessions = {c["name"] for c in inspector.get_columns("network_sessions")}
    assert sessions == {"account", "session", "updated_at"}


def test_a_planned_thread_has_one_row_per_post_in_order(store):
    entries = plan(Ledger(store.engine), ["a", "b", "c"])
    assert [(e.position, e.parts, e.status, e.text) for e in entries] == [
        (1, 3, PLANNED, "a"),
        (2, 3, PLANNED, "b"),
        (3, 3, PLANNED, "c"),
    ]
    assert {e.thread_key for e in entries} == {thread_key("local", "08ASTANA2079", "3", 0)}
    assert all(e.created_at.tzinfo is not None for e in entries)


def test_planning_again_returns_the_same_rows(store):
    ledger = Ledger(store.engine)
    first = plan(ledger)
    assert plan(ledger) == first


def test_a_thread_with_a_post_out_keeps_its_rows_when_planned_with_other_texts(store):
    ledger = Ledger(store.engine)
    first = plan(ledger)
    ledger.mark(first[0].id, SENT, remote_id="r1", url="u1")
    again = plan(ledger, ["changed", "texts"])
    assert [e.text for e in again] == ["one", "two"]


def test_a_thread_nothing_of_which_went_out_is_planned_again_with_new_texts_and_time_kept(store):
    ledger = Ledger(store.engine)
    first = plan(ledger)
    ledger.mark(first[0].id, FAILED, error="rejected")
    again = plan(ledger, ["fixed"])
    assert [(e.text, e.status, e.parts) for e in again] == [("fixed", PLANNED, 1)]
    assert again[0].created_at == first[0].created_at  # the thread's identity (and record keys) stay


def test_rows_are_unique_per_account_cable_paragraph_generation_and_position(store):
    ledger = Ledger(store.engine)
    plan(ledger)
    row = {c.name: None for c in posts.columns if c.name != "id"}
    now = datetime.now(UTC)
    row.update(
        account="local",
        network="outbox",
        ref_id="08ASTANA2079",
        paragraph="3",
        generation=0,
        thread_key="other",
        position=1,
        parts=1,
        status=PLANNED,
        text="x",
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(posts.insert().values(**row))


def test_each_mark_records_status_ids_errors_and_attempts(store):
    ledger = Ledger(store.engine)
    entry = plan(ledger, ["x"])[0]
    ledger.mark(entry.id, SENDING, attempt=True)
    ledger.mark(entry.id, UNKNOWN, error="connection reset")
    ledger.mark(entry.id, SENDING, attempt=True)
    ledger.mark(entry.id, SENT, remote_id="at://did/app.bsky.feed.post/3k", url="https://bsky.app/x")
    [done] = ledger.thread(entry.thread_key)
    assert (done.status, done.remote_id, done.url, done.error, done.attempts) == (
        SENT,
        "at://did/app.bsky.feed.post/3k",
        "https://bsky.app/x",
        None,
        2,
    )
    assert done.updated_at >= done.created_at


def test_posted_counts_every_row_but_failed_ones(store):
    ledger = Ledger(store.engine)
    entries = plan(ledger)
    assert ledger.posted("local", "08ASTANA2079", "3")  # planned counts: the paragraph is taken
    ledger.mark_many([e.id for e in entries], FAILED, error="rejected")
    assert ledger.posted("local", "08ASTANA2079", "3") == []
    assert ledger.posted("other", "08ASTANA2079", "3") == []


def test_history_is_newest_first_and_filters_by_account(store):
    times = iter([datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=h) for h in range(100)])
    ledger = Ledger(store.engine, clock=lambda: next(times))
    plan(ledger, ["a"], paragraph="1")
    plan(ledger, ["b"], paragraph="2", account="bsky")
    plan(ledger, ["c"], paragraph="3")
    assert [e.paragraph for e in ledger.history()] == ["3", "2", "1"]
    assert [e.paragraph for e in ledger.history("local")] == ["3", "1"]
    assert [e.paragraph for e in ledger.history(limit=1)] == ["3"]
    assert ledger.history()[0].as_dict()["at"].startswith("2026-01-01T")


def test_pending_lists_what_a_restart_must_resume(store):
    ledger = Ledger(store.engine)
    a, b = plan(ledger)
    ledger.mark(a.id, SENT, remote_id="1", url="u")
    ledger.mark(b.id, UNKNOWN)
    assert [e.id for e in ledger.pending()] == [b.id]


def test_latest_generation(store):
    ledger = Ledger(store.engine)
    assert ledger.latest_generation("local", "08ASTANA2079", "3") is None
    plan(ledger, generation=0)
    plan(ledger, generation=1)
    assert ledger.latest_generation("local", "08ASTANA2079", "3") == 1


def test_a_session_is_saved_replaced_and_loaded(store):
    sessions = DatabaseSessions(store.engine)
    assert sessions.load("bsky") is None
    sessions.save("bsky", "first")
    sessions.save("bsky", "second")
    sessions.save("other", "third")
    assert (sessions.load("bsky"), sessions.load("other")) == ("second", "third")


def test_a_paragraph_deleted_from_the_store_leaves_its_posts_with_no_paragraph_id(store):
    from tests.networks.test_cli import ingest_sample

    ingest_sample(store)
    ledger = Ledger(store.engine)
    paragraph_id = ledger.paragraph_id("08ASTANA2079", "3")
    assert paragraph_id is not None
    entry = plan(ledger, ["x"], paragraph_id=paragraph_id)[0]
    from bot.store.schema import paragraphs

    with store.engine.begin() as conn:
        conn.execute(paragraphs.delete().where(paragraphs.c.id == paragraph_id))
    [kept] = ledger.thread(entry.thread_key)
    assert kept.paragraph_id is None and kept.paragraph == "3"
