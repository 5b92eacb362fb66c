"""Slots in the database: each slot is claimed by exactly one worker; a dead worker's slot is taken over."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.worker import slots
from bot.worker.schedule import Slot
from tests.support import REPO_ROOT

NOW = datetime(2026, 5, 4, 9, tzinfo=UTC)


def slot(account: str = "news", minutes: int = 0) -> Slot:
    due = NOW + timedelta(minutes=minutes)
    return Slot(account, due, due)


def test_a_slot_is_claimed_once(store):
    first = slots.claim(store.engine, slot(), "host:1:a", NOW)
    assert first is not None and first.status == "claimed" and first.claimed_by == "host:1:a"
    assert slots.claim(store.engine, slot(), "host:2:b", NOW) is None
    assert slots.claim(store.engine, slot("other"), "host:2:b", NOW) is not None


def test_a_skipped_slot_cannot_be_claimed_and_a_claimed_one_cannot_be_skipped(store):
    assert slots.record_skip(store.engine, slot(minutes=1), "missed", NOW)
    assert slots.claim(store.engine, slot(minutes=1), "host:1:a", NOW) is None
    assert slots.claim(store.engine, slot(minutes=2), "host:1:a", NOW) is not None
    assert not slots.record_skip(store.engine, slot(minutes=2), "missed", NOW)


def test_only_the_holder_finishes_a_slot(store):
    row = slots.claim(store.engine, slot(), "host:1:a", NOW)
    assert not slots.finish(store.engine, row, "host:2:b", "posted", NOW)
    assert slots.finish(store.engine, row, "host:1:a", "posted", NOW)
    [done] = slots.recent(store.engine)
    assert done.status == "posted" and done.finished_at == NOW


def test_a_claim_of_a_process_that_died_is_taken_over_at_once(store):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    me = slots.worker_id()
    host = me.split(":")[0]
    slots.claim(store.engine, slot(), f"{host}:{dead.stdout.strip()}:0000", NOW)
    [taken] = slots.take_over(store.engine, me, NOW + timedelta(seconds=1))
    assert taken.claimed_by == me and taken.due_at == NOW


def test_a_live_claim_on_another_host_is_left_alone_until_its_lease_runs_out(store):
    me = slots.worker_id()
    slots.claim(store.engine, slot(), "elsewhere:1:abcd", NOW)
    assert slots.take_over(store.engine, me, NOW + timedelta(minutes=1)) == []
    [taken] = slots.take_over(store.engine, me, NOW + slots.LEASE + timedelta(seconds=1))
    assert taken.claimed_by == me


def test_a_slot_paused_by_a_rate_limit_waits_for_the_reset(store):
    me = slots.worker_id()
    row = slots.claim(store.engine, slot(), me, NOW)
    reset = NOW + timedelta(minutes=15)
    slots.pause(store.engine, row, me, reset, "rate limited")
    assert slots.paused_until(store.engine, "news", NOW) == reset
    other = slots.worker_id()
    assert slots.take_over(store.engine, other, NOW + timedelta(minutes=14)) == []
    [taken] = slots.take_over(store.engine, other, reset)
    assert taken.claimed_by == other and taken.retry_at is None
    assert slots.paused_until(store.engine, "news", reset) is None


def test_a_claim_taken_over_twice_at_once_goes_to_one_worker(store):
    slots.claim(store.engine, slot(), "elsewhere:1:abcd", NOW)
    later = NOW + slots.LEASE + timedelta(seconds=1)
    first = slots.take_over(store.engine, "here:1:aaaa", later)
    second = slots.take_over(store.engine, "here:2:bbbb", later)
    assert len(first) == 1 and second == []


CLAIMER = textwrap.dedent(
    """
    import json, sys, time
    from datetime import UTC, datetime, timedelta
    from bot.store import open_store
    from bot.worker import slots
    from bot.worker.schedule import Slot
    store = open_store(sys.argv[1])
    me = slots.worker_id()
    start = datetime(2026, 5, 4, 9, tzinfo=UTC)
    won = []
    time.sleep(max(0.0, float(sys.argv[3]) - time.time()))  # start together, migrations done
    for i in range(int(sys.argv[2])):
        due = start + timedelta(seconds=i)
        if slots.claim(store.engine, Slot("news", due, due), me, datetime.now(UTC)):
            won.append(i)
    print(json.dumps(won))
    """
)


@pytest.mark.postgres
@pytest.mark.slow
def test_replicas_racing_for_the_same_slots_on_postgresql_each_win_distinct_ones(postgres_store_url):
    """Four processes, started together (migrations included), claim the same 300 slots."""
    count = 300
    go = time.time() + 4
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, postgres_store_url, str(count), str(go)],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    won = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        won.append(json.loads(out))
    every = sorted(i for w in won for i in w)
    assert every == list(range(count)), "every slot claimed exactly once"
    assert sum(1 for w in won if w) >= 2, "the race was real: more than one process won slots"
