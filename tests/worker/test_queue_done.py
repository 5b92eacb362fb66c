"""An editor's queued cable leaves the queue once served: the worker closes the entry (`done_at`) and
`status` lists it as done."""

from __future__ import annotations

import json

from sqlalchemy import select

from tests.worker.conftest import Newsroom


def test_a_served_queue_entry_is_closed_by_the_worker_and_shown_as_done(newsroom: Newsroom):
    from bot.store.schema import queue

    newsroom.add_account("local", network="outbox")
    assert newsroom.run("queue", "08KUWAIT560", "--account", "local").returncode == 0
    for _ in range(3):  # [picks] queue_paragraphs: 3 by default
        done = newsroom.run("worker", "--once")
        assert done.returncode == 0, done.stderr
    assert [line["ref_id"] for line in newsroom.outbox_lines()] == ["08KUWAIT560"] * 3
    with newsroom.store() as store, store.read() as conn:
        assert conn.execute(select(queue.c.done_at)).scalar_one() is None  # noticed at the next slot

    assert newsroom.run("worker", "--once").returncode == 0
    lines = newsroom.outbox_lines()
    assert len(lines) == 4 and lines[-1]["ref_id"] != "08KUWAIT560"
    with newsroom.store() as store, store.read() as conn:
        closed = conn.execute(select(queue.c.done_at)).scalar_one()
    assert closed is not None

    status = json.loads(newsroom.run("status", "--format", "json").stdout)
    assert status["queue"] == []
    [entry] = status["queue_done"]
    assert (entry["ref_id"], entry["account"]) == ("08KUWAIT560", "local")
    assert entry["done_at"] == closed.isoformat()
    queued_again = newsroom.run("queue", "08KUWAIT560", "--account", "local")
    assert queued_again.returncode == 0 and queued_again.stdout.startswith("queued 08KUWAIT560")  # anew
