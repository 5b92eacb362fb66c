"""SIGTERM, as a host sends it before stopping a worker (about 30 s to go): the post in hand is finished or
safely abandoned, nothing is half-recorded, and the worker exits 0."""

from __future__ import annotations

import time

import pytest

from tests.worker.conftest import Newsroom, json_logs, stop, wait_for

pytestmark = pytest.mark.slow


def ledger_statuses(newsroom: Newsroom) -> list[str]:
    from bot.store.ledger import Ledger

    with newsroom.store() as store:
        return [e.status for e in Ledger(store.engine).history()]


def slot_rows(newsroom: Newsroom) -> list:
    from bot.worker import slots

    with newsroom.store() as store:
        return slots.recent(store.engine, limit=1000)


def test_sigterm_during_a_network_call_finishes_the_post_then_exits_0(newsroom: Newsroom):
    newsroom.add_account("local", network="outbox", every="1s")
    # The network call takes 4 s: SIGTERM arrives while it is out.
    worker = newsroom.start("worker", env={"CABLEBOT_SLOW_AT": "during-send:4"})
    wait_for(lambda: "sending" in ledger_statuses(newsroom), timeout=60, what="a post being sent")
    started = time.monotonic()
    code, out, err = stop(worker, timeout=30)
    assert code == 0, err
    assert time.monotonic() - started < 30
    assert set(ledger_statuses(newsroom)) == {"sent"}, "the post in hand was finished and recorded"
    [line] = newsroom.outbox_lines()
    rows = slot_rows(newsroom)
    assert [r.status for r in rows] == ["posted"] and rows[0].ledger_key == line["key"]
    assert any(e["message"] == "stopped" for e in json_logs(out))


def test_sigterm_during_a_back_off_abandons_the_post_safely_and_the_next_start_ends_it(newsroom: Newsroom):
    blocked = newsroom.root / "blocked-outbox"
    blocked.mkdir()  # a folder where the outbox file should be: every write fails, transiently
    newsroom.add_account("local", network="outbox", every="1s", path=str(blocked))
    worker = newsroom.start("worker")
    wait_for(lambda: "unknown" in ledger_statuses(newsroom), timeout=60, what="a failed attempt")
    code, out, err = stop(worker, timeout=30)
    assert code == 0, err
    logs = json_logs(out)
    assert any(e["message"] == "slot abandoned at shutdown" for e in logs), [e["message"] for e in logs]
    [row] = slot_rows(newsroom)
    assert row.status == "claimed" and row.retry_at is not None and "shutdown" in (row.reason or "")
    assert set(ledger_statuses(newsroom)) <= {"planned", "unknown"}, "recorded as it stands, not half-written"

    # The editor fixes the path; the next start completes the abandoned post first, exactly once.
    blocked.rmdir()
    done = newsroom.run("worker", "--once", "--format", "json")
    assert done.returncode == 0, done.stderr
    lines = newsroom.outbox_lines_at(blocked)
    assert [line["key"] for line in lines].count(row.ledger_key) == 1
    statuses = {r.ledger_key: r.status for r in slot_rows(newsroom)}
    assert statuses[row.ledger_key] == "posted"
    assert set(ledger_statuses(newsroom)) == {"sent"}
