"""The worker as editors run it: `worker --once`, `worker` until SIGTERM, `queue`, `status`, bad accounts."""

from __future__ import annotations

import json
import secrets
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.worker.conftest import Newsroom, json_logs, stop, wait_for


def citations_ok(line: dict) -> None:
    """A post the outbox received carries both hashtags and the paragraph's permalink."""
    text = "\n".join(line["posts"])
    assert "#cablegate" in text and f"#{line['ref_id']}" in text
    assert f"{line['ref_id']}.html#par{line['paragraph']}" in text


def test_worker_once_posts_one_paragraph_per_account_and_says_what(newsroom: Newsroom):
    newsroom.add_account("local", network="outbox")
    newsroom.add_account("second", network="outbox", every="4h")
    done = newsroom.run("worker", "--once", "--format", "json")
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert {r["account"]: r["status"] for r in results} == {"local": "posted", "second": "posted"}
    for account in ("local", "second"):
        [line] = newsroom.outbox_lines(account)
        citations_ok(line)
        [result] = [r for r in results if r["account"] == account]
        assert (result["ref_id"], result["paragraph"]) == (line["ref_id"], line["paragraph"])
    from bot.store.ledger import Ledger

    with newsroom.store() as store:
        history = Ledger(store.engine).history()
    assert sorted((e.account, e.status) for e in history) == [("local", "sent"), ("second", "sent")]


def test_each_run_posts_a_paragraph_the_account_has_not_posted(newsroom: Newsroom):
    newsroom.add_account("local", network="outbox")
    for _ in range(4):
        assert newsroom.run("worker", "--once").returncode == 0
    lines = newsroom.outbox_lines()
    assert len(lines) == 4
    assert len({(line["ref_id"], line["paragraph"]) for line in lines}) == 4


def test_a_queued_cable_is_posted_first(newsroom: Newsroom):
    newsroom.add_account("local", network="outbox")
    queued = newsroom.run("queue", "08KUWAIT560")
    assert queued.returncode == 0, queued.stderr
    assert "queued 08KUWAIT560" in queued.stdout
    assert newsroom.run("worker", "--once").returncode == 0
    [line] = newsroom.outbox_lines()
    assert line["ref_id"] == "08KUWAIT560"


def test_queueing_a_cable_that_is_not_in_the_store_is_a_clear_error(newsroom: Newsroom):
    newsroom.add_account("local", network="outbox")
    done = newsroom.run("queue", "99NOWHERE1234")
    assert done.returncode == 1
    assert "cable 99NOWHERE1234 is not in the store" in done.stderr
    assert "Traceback" not in done.stderr
    unknown = newsroom.run("queue", "08ASTANA2079", "--account", "nobody")
    assert unknown.returncode == 1 and "no account 'nobody'" in unknown.stderr


def test_a_bad_account_is_reported_and_the_others_are_served(newsroom: Newsroom):
    newsroom.add_account("local", network="outbox")
    newsroom.add_account("badcron", network="outbox", cron="0 25 * * *")
    newsroom.add_account("badzone", network="outbox", every="1h", timezone="Mars/Olympus")
    newsroom.add_account(
        "nosecret", network="bluesky", handle="newsroom.example", password_env="CB_TEST_UNSET_PW"
    )
    done = newsroom.run("worker", "--once", "--format", "json", env={"CB_TEST_UNSET_PW": None})
    assert done.returncode == 1
    results = {r["account"]: r for r in json.loads(done.stdout)}
    assert results["local"]["status"] == "posted"
    assert "[accounts.badcron] cron: invalid cron expression '0 25 * * *'" in results["badcron"]["reason"]
    assert "[accounts.badzone] timezone: unknown timezone 'Mars/Olympus'" in results["badzone"]["reason"]
    assert "CB_TEST_UNSET_PW" in results["nosecret"]["reason"]
    assert "Traceback" not in done.stderr


def test_check_reports_every_bad_schedule_and_missing_secret_at_once(newsroom: Newsroom):
    newsroom.add_account("local", network="outbox", every="1h")
    newsroom.add_account("badcron", network="outbox", cron="0 25 * * *")
    newsroom.add_account("badzone", network="outbox", every="1h", timezone="Mars/Olympus")
    newsroom.add_account("badevery", network="outbox", every="4 hours")
    newsroom.add_account("nosecret", network="bluesky", handle="x.test", password_env="CB_TEST_UNSET_PW")
    done = newsroom.run("check", env={"CB_TEST_UNSET_PW": None})
    assert done.returncode == 1
    assert "4 problems" in done.stderr
    assert "[accounts.badcron] cron: invalid cron expression '0 25 * * *'" in done.stderr
    assert "[accounts.badzone] timezone: unknown timezone 'Mars/Olympus'" in done.stderr
    assert "[accounts.badevery] every: '4 hours' is not a duration" in done.stderr
    assert "CB_TEST_UNSET_PW" in done.stderr and "Traceback" not in done.stderr


def test_status_shows_next_slots_queue_recent_posts_and_failures(newsroom: Newsroom):
    newsroom.add_account("local", network="outbox", cron="0 9,13,17 * * *", timezone="Europe/Paris")
    newsroom.add_account("badcron", network="outbox", cron="61 * * * *")
    assert newsroom.run("worker", "--once", "--account", "local").returncode == 0
    assert newsroom.run("queue", "08KUWAIT560", "--account", "local").returncode == 0
    done = newsroom.run("status", "--format", "json")
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    accounts = {a["account"]: a for a in status["accounts"]}
    nexts = [datetime.fromisoformat(t) for t in accounts["local"]["next_slots"]]
    assert len(nexts) == 3 and nexts == sorted(nexts)
    assert all(t.astimezone().tzinfo and t > datetime.now(UTC) for t in nexts)
    assert "invalid cron" in accounts["badcron"]["problem"]
    assert [q["ref_id"] for q in status["queue"]] == ["08KUWAIT560"]
    assert [p["status"] for p in status["recent_posts"]] == ["sent"]
    text = newsroom.run("status")
    assert "NOT SERVED" in text.stdout and "08KUWAIT560" in text.stdout


def test_the_worker_serves_its_schedule_until_sigterm_and_logs_json_lines(newsroom: Newsroom):
    newsroom.add_account("local", network="outbox", every="1s")
    newsroom.add_account("badcron", network="outbox", cron="* * *")
    worker = newsroom.start("worker")
    wait_for(lambda: len(newsroom.outbox_lines()) >= 3, timeout=60, what="three posts")
    code, out, err = stop(worker)
    assert code == 0, err
    logs = json_logs(out)  # stdout is not a terminal: every line is JSON
    assert any(e["message"] == "account not served" and e["account"] == "badcron" for e in logs)
    assert any(e["message"] == "stopped" for e in logs)
    posted = [e for e in logs if e["message"] == "slot posted"]
    assert len(posted) == len(newsroom.outbox_lines())
    with newsroom.store() as store:
        from bot.worker import slots

        rows = slots.recent(store.engine, limit=1000)
    assert all(r.status in ("posted", "skipped") for r in rows), "nothing left claimed after SIGTERM"


class Clock:
    """The time the worker sees, set by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_a_slot_missed_while_down_is_posted_once_within_grace_and_skipped_after(newsroom: Newsroom):
    """A worker restarted 20 minutes after a 09:00 slot posts it once; one restarted two hours after the
    next slot skips it, says why, and posts nothing."""
    from bot.config import load_config
    from bot.worker.run import Worker

    newsroom.add_account("local", network="outbox", cron="0 9 * * *", timezone="Europe/Paris", grace="30m")
    config = load_config(newsroom.config)
    clock = Clock(datetime(2026, 3, 2, 7, 59, tzinfo=UTC))  # 08:59 in Paris
    with newsroom.store() as store:
        worker = Worker(store, config, clock=clock)
        accounts = worker.start()
        assert worker.tick(accounts) == []
        clock.now += timedelta(minutes=1, seconds=5)
        assert [r.status for r in worker.tick(accounts)] == ["posted"]
        assert worker.tick(accounts) == []
        # Down until 20 minutes after the next day's slot, then restarted.
        clock.now += timedelta(days=1, minutes=20)
        worker = Worker(store, config, clock=clock)
        accounts = worker.start()
        assert [r.status for r in worker.tick(accounts)] == ["posted"]
        assert worker.tick(accounts) == []
        # Down until two hours after the third day's slot: skipped, nothing posted.
        clock.now += timedelta(days=1, hours=2)
        worker = Worker(store, config, clock=clock)
        accounts = worker.start()
        [skipped] = worker.tick(accounts)
        assert skipped.status == "skipped" and "grace" in (skipped.reason or "")
        assert worker.tick(accounts) == []
    assert len(newsroom.outbox_lines()) == 2


def test_after_a_long_outage_a_fast_schedule_posts_once_not_a_burst(newsroom: Newsroom):
    from bot.config import load_config
    from bot.worker.run import Worker

    newsroom.add_account("local", network="outbox", every="1m", grace="1h")
    config = load_config(newsroom.config)
    clock = Clock(datetime(2026, 3, 2, 7, 59, 30, tzinfo=UTC))
    with newsroom.store() as store:
        worker = Worker(store, config, clock=clock)
        accounts = worker.start()
        clock.now += timedelta(seconds=31)
        assert [r.status for r in worker.tick(accounts)] == ["posted"]
        clock.now += timedelta(minutes=45)
        later = Worker(store, config, clock=clock)
        results = later.tick(later.start())
    assert [r.status for r in results].count("posted") == 1
    assert [r.status for r in results].count("skipped") >= 20, "the missed slots are recorded as skipped"
    assert len(newsroom.outbox_lines()) == 2


def test_no_secret_reaches_the_logs(newsroom: Newsroom):
    """An account whose network cannot be reached: its errors are logged, its password never."""
    secret = f"pw-{secrets.token_hex(12)}"  # fresh each run: no test secret sits in the code
    newsroom.secrets = {"CB_TEST_BSKY_PW": secret}
    newsroom.add_account("local", network="outbox", every="1s")
    newsroom.add_account(
        "down",
        network="bluesky",
        service="http://127.0.0.1:9",
        handle="newsroom.test",
        password_env="CB_TEST_BSKY_PW",
        every="1s",
        timeout=2,
    )
    worker = newsroom.start("worker")
    time.sleep(6)
    code, out, err = stop(worker)
    assert code == 0, err
    assert secret not in out and secret not in err
    assert any(e.get("account") == "down" for e in json_logs(out))
    status = newsroom.run("status", "--format", "json")
    assert secret not in status.stdout


@pytest.mark.postgres
def test_worker_once_on_postgresql_given_as_hosts_give_it(pg_newsroom: Newsroom):
    """DATABASE_URL as Heroku or Render hand it out: postgres://..."""
    pg_newsroom.add_account("local", network="outbox")
    url = pg_newsroom.database_url.replace("postgresql+psycopg://", "postgres://")
    done = pg_newsroom.run("worker", "--once", env={"DATABASE_URL": url})
    assert done.returncode == 0, done.stderr
    [line] = pg_newsroom.outbox_lines()
    citations_ok(line)
