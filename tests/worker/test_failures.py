"""Retries, written once against the shared error vocabulary, seen from the worker, against a local HTTP
server answering as Mastodon does: a transient failure is retried after a back-off, a rate limit pauses
the account until its reset while the others go on, a rejection is recorded, shown and never retried."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.peers.http_fake import Reply
from tests.peers.mastodon import mastodon_instance
from tests.worker.conftest import Newsroom, json_logs, stop, wait_for

TOKEN = "masto-token-4c1d9e7f"
STATUSES = "/api/v1/statuses"


@pytest.fixture
def masto(newsroom: Newsroom):
    with mastodon_instance(TOKEN) as (server, instance):
        newsroom.secrets = {"CB_TEST_MASTO_TOKEN": TOKEN}
        yield server, instance


def add_masto(newsroom: Newsroom, server, **schedule) -> None:
    newsroom.add_account(
        "masto", network="mastodon", instance=server.url, access_token_env="CB_TEST_MASTO_TOKEN", **schedule
    )


def test_a_transient_failure_is_retried_after_a_back_off_and_posted_once(newsroom: Newsroom, masto):
    server, instance = masto
    add_masto(newsroom, server)
    server.script("POST", STATUSES, Reply(503, {"error": "Service Unavailable"}))
    server.drop_after("POST", STATUSES, nth=2)  # the next one is created, but its answer is lost
    done = newsroom.run("worker", "--once", "--format", "json")
    assert done.returncode == 0, done.stderr
    [result] = json.loads(done.stdout)
    assert result["status"] == "posted"
    # One status per post of the thread, although a call failed and the answer of another was lost.
    assert len(instance.statuses) == len(result["urls"])
    assert len({s["content"] for s in instance.statuses}) == len(instance.statuses)
    assert len(server.seen("POST", STATUSES)) >= len(result["urls"]) + 1


@pytest.mark.slow
def test_a_rate_limit_pauses_the_account_until_its_reset_while_the_others_go_on(newsroom: Newsroom, masto):
    server, instance = masto
    add_masto(newsroom, server, every="1s")
    newsroom.add_account("local", network="outbox", every="1s")
    reset = datetime.now(UTC) + timedelta(seconds=12)
    limited = {
        "X-RateLimit-Limit": "300",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    }
    server.script("POST", STATUSES, Reply(429, {"error": "Too many requests"}, limited))
    worker = newsroom.start("worker")
    wait_for(lambda: len(server.seen("POST", STATUSES)) >= 1, timeout=60, what="the first post")
    time.sleep(3)
    status = json.loads(newsroom.run("status", "--format", "json").stdout)
    assert [a["account"] for a in status["paused"]] == ["masto"]
    posts_while_paused = len(newsroom.outbox_lines())
    assert posts_while_paused >= 2, "the other account went on"
    assert len(server.seen("POST", STATUSES)) == 1, "no call during the pause"
    wait_for(lambda: len(instance.statuses) >= 1, timeout=60, what="the post after the reset")
    time.sleep(2)
    code, out, err = stop(worker)
    assert code == 0, err
    first = instance.statuses[0]
    assert datetime.fromisoformat(first["created_at"].replace("Z", "+00:00")) >= reset - timedelta(seconds=1)
    logs = json_logs(out)
    assert any(e["message"] == "account paused by a rate limit" for e in logs)
    skipped = [e for e in logs if e["message"] == "slot skipped" and e["account"] == "masto"]
    assert skipped and all("account paused until" in e["reason"] for e in skipped), "no burst after the pause"
    assert len(newsroom.outbox_lines()) > posts_while_paused


def test_a_rejection_is_recorded_shown_and_never_retried(newsroom: Newsroom, masto):
    server, instance = masto
    add_masto(newsroom, server)
    refusal = "Validation failed: Text character limit of 500 exceeded"
    server.script("POST", STATUSES, Reply(422, {"error": refusal}))
    done = newsroom.run("worker", "--once", "--format", "json")
    assert done.returncode == 1
    [result] = json.loads(done.stdout)
    assert result["status"] == "failed" and refusal in result["reason"]
    rejected = (result["ref_id"], result["paragraph"])
    assert len(server.seen("POST", STATUSES)) == 1, "a rejection is not retried"

    status = json.loads(newsroom.run("status", "--format", "json").stdout)
    assert any(refusal in (f["reason"] or "") for f in status["failures"])

    # The next slots post other paragraphs: the rejected one waits for an editor.
    for _ in range(2):
        again = newsroom.run("worker", "--once", "--format", "json")
        assert again.returncode == 0, again.stderr
        [result] = json.loads(again.stdout)
        assert (result["ref_id"], result["paragraph"]) != rejected
    assert len({s["content"] for s in instance.statuses}) == len(instance.statuses)


@pytest.mark.slow
def test_a_slot_that_keeps_failing_transiently_waits_then_is_retried_by_the_worker(newsroom: Newsroom):
    """After the in-call retries are spent, the slot waits (a growing, jittered delay) and the account
    posts nothing else meanwhile; once the trouble is gone, the same post goes out, once."""
    from bot.config import load_config
    from bot.worker.run import Worker
    from tests.worker.test_worker import Clock

    blocked = newsroom.root / "outbox-being-fixed"
    blocked.mkdir()  # a folder where the outbox file should be: every write fails, transiently
    newsroom.add_account("local", network="outbox", every="20s", path=str(blocked))
    clock = Clock(datetime(2026, 3, 2, 7, 59, 50, tzinfo=UTC))
    with newsroom.store() as store:
        worker = Worker(store, load_config(newsroom.config), clock=clock)
        accounts = worker.start()
        clock.now += timedelta(seconds=11)
        [waiting] = worker.tick(accounts)
        assert waiting.status == "paused" and "try 1 of 5" in (waiting.reason or "")
        from bot.worker import slots

        [row] = slots.recent(store.engine)
        assert row.status == "claimed" and row.attempts == 1
        assert timedelta(seconds=30) <= row.retry_at - clock.now <= timedelta(minutes=1)
        # The next slot comes while it waits: skipped, not a second post later.
        clock.now += timedelta(seconds=20)
        [skipped] = worker.tick(accounts)
        assert skipped.status == "skipped" and "account paused until" in (skipped.reason or "")
        # Fixed; after the wait, the same slot posts its paragraph.
        blocked.rmdir()
        clock.now = row.retry_at + timedelta(seconds=1)
        results = worker.tick(accounts)
        assert (results[0].status, results[0].due_at) == ("posted", row.due_at)
    lines = newsroom.outbox_lines_at(blocked)
    assert [line["key"] for line in lines].count(row.ledger_key) == 1
