"""Replicas: several worker processes on one real PostgreSQL post each slot once; the database decides."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest

from tests.worker.conftest import Newsroom, json_logs, stop

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

REPLICAS = 3
RUN_SECONDS = 15


def test_three_replicas_post_each_one_second_slot_exactly_once(pg_newsroom: Newsroom):
    pg_newsroom.add_account("local", network="outbox", every="1s")
    pg_newsroom.add_account("other", network="outbox", every="2s")
    # Started together: they also race to migrate the fresh schema (it must happen once, safely).
    workers = [pg_newsroom.start("worker") for _ in range(REPLICAS)]
    time.sleep(RUN_SECONDS)
    stopped = [stop(w) for w in workers]
    for code, _out, err in stopped:
        assert code == 0, err

    from bot.store.ledger import Ledger
    from bot.worker import slots

    with pg_newsroom.store() as store:
        rows = slots.recent(store.engine, limit=100_000)
        history = Ledger(store.engine).history()

    # Which process posted what, from each one's own log.
    posted_by = Counter()
    for index, (_code, out, _err) in enumerate(stopped):
        posted_by[index] = sum(1 for e in json_logs(out) if e["message"] == "slot posted")
    assert sum(1 for n in posted_by.values() if n) >= 2, f"the replicas shared the work: {posted_by}"

    for account, every in (("local", 1), ("other", 2)):
        mine = sorted((r for r in rows if r.account == account), key=lambda r: r.due_at)
        assert len({r.due_at for r in mine}) == len(mine), "one row per slot"
        posted = [r for r in mine if r.status == "posted"]
        assert len(posted) >= RUN_SECONDS // every - 4, f"{account}: {Counter(r.status for r in mine)}"
        assert all(r.status in ("posted", "skipped") for r in mine), [(r.status, r.reason) for r in mine]
        # No slot fell through the cracks between the first and the last one handled.
        span = (mine[-1].due_at - mine[0].due_at) // timedelta(seconds=every) + 1
        assert len(mine) == span, f"{account}: {len(mine)} slots handled out of {span}"

        lines = pg_newsroom.outbox_lines(account)
        keys = [line["key"] for line in lines]
        assert len(keys) == len(set(keys)), "no thread twice on the network"
        assert len({(line["ref_id"], line["paragraph"]) for line in lines}) == len(lines), (
            "no paragraph twice"
        )
        assert len(lines) == len(posted), "each posted slot is one post, and each post one slot"
        assert sorted(keys) == sorted(r.ledger_key for r in posted)
        entries = [e for e in history if e.account == account]
        assert {e.status for e in entries} == {"sent"}
        assert {e.thread_key for e in entries} == set(keys)
