"""Never twice, never lost: worker processes really killed (SIGKILL) at injected points, then restarted.

Each cycle runs `cablebot worker --once` with CABLEBOT_CRASH_AT set, so the process kills itself at that
point: after claiming the slot, after choosing the paragraph, before the network call, at a random moment
during it, after the network has the post but before the ledger knows, or before the slot is closed. The
next cycle is the restart: it must first finish what the killed one left. At the end, every cycle's slot
is posted exactly once, on the outbox and on the real Bluesky PDS, and the ledger says exactly that.

A restarted process is armed too, so it is often killed again while it completes the previous run's slot,
before it claims one of its own: kills during recovery are part of what is proven.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from bot.worker.crash import POINTS
from tests.worker.conftest import Newsroom

pytestmark = pytest.mark.slow

CYCLES = 20
KILLED = -9


def kill_cycles(newsroom: Newsroom, accounts: list[str], cycles: int, seed: int) -> Counter[str]:
    rng = random.Random(seed)
    outcomes: Counter[str] = Counter()
    for cycle in range(cycles):
        point = POINTS[cycle % len(POINTS)] if cycle < 2 * len(POINTS) else rng.choice(POINTS)
        done = newsroom.run("worker", "--once", "--format", "json", env={"CABLEBOT_CRASH_AT": point})
        assert done.returncode in (0, KILLED), f"cycle {cycle} at {point}: {done.returncode}\n{done.stderr}"
        assert "Traceback" not in done.stderr, done.stderr
        outcomes[f"{point}:{'killed' if done.returncode == KILLED else 'finished'}"] += 1
    # The last restart, with nothing armed, completes whatever the last kill left.
    final = newsroom.run("worker", "--once", "--format", "json")
    assert final.returncode == 0, final.stderr
    outcomes["final:finished"] += 1
    print(f"kill cycles: {dict(sorted(outcomes.items()))}")  # shown with pytest -s
    return outcomes


def finished(outcomes: Counter[str]) -> int:
    return sum(n for k, n in outcomes.items() if k.endswith(":finished"))


def assert_ledger_right(newsroom: Newsroom, accounts: list[str], at_least: int) -> dict[str, list]:
    """Every slot claimed was posted, each thread sent whole, nothing left planned, sending or unknown."""
    from bot.store.ledger import Ledger
    from bot.worker import slots

    with newsroom.store() as store:
        rows = slots.recent(store.engine, limit=10_000)
        history = Ledger(store.engine).history()
    sent_threads: dict[str, list] = {}
    for account in accounts:
        mine = [r for r in rows if r.account == account]
        assert len(mine) >= at_least, f"{account}: {len(mine)} slots, expected at least {at_least}"
        assert Counter(r.status for r in mine) == {"posted": len(mine)}, [(r.status, r.reason) for r in mine]
        keys = [r.ledger_key for r in mine]
        assert len(set(keys)) == len(mine), "each slot posted a paragraph of its own"
        entries = [e for e in history if e.account == account]
        assert {e.status for e in entries} == {"sent"}, Counter(e.status for e in entries)
        # Taken over or not, a post names its paragraph row: `next` passes it over on its index alone.
        assert all(e.paragraph_id is not None for e in entries), [e.thread_key for e in entries]
        threads: dict[str, list] = {}
        for e in entries:
            threads.setdefault(e.thread_key, []).append(e)
        assert set(threads) == set(keys), "the ledger holds exactly the slots' threads"
        for key, posts in threads.items():
            assert sorted(p.position for p in posts) == list(range(1, posts[0].parts + 1)), key
        sent_threads[account] = entries
    return sent_threads


def test_killed_outbox_workers_never_double_or_drop_a_post(newsroom: Newsroom):
    newsroom.add_account("local", network="outbox")
    outcomes = kill_cycles(newsroom, ["local"], CYCLES, seed=20260504)
    assert sum(n for k, n in outcomes.items() if k.endswith(":killed")) >= CYCLES - 3, outcomes
    lines = newsroom.outbox_lines()
    keys = [line["key"] for line in lines]
    assert len(keys) == len(set(keys)), "no thread twice in the outbox"
    assert len({(line["ref_id"], line["paragraph"]) for line in lines}) == len(lines), "no paragraph twice"
    sent = assert_ledger_right(newsroom, ["local"], finished(outcomes))
    assert {e.thread_key for e in sent["local"]} == set(keys), "every slot's post is out, once, none lost"


@pytest.mark.pds
def test_killed_bluesky_workers_never_double_or_drop_a_post(newsroom: Newsroom, pds):
    """The same against the real PDS: every record read back once, each one in the ledger as sent."""
    from atproto import Client, models

    from tests.networks.conftest import PDS_ACCOUNTS

    handle, password = PDS_ACCOUNTS[3]  # an account of its own: other suites post with the others
    did = pds.account(handle).did
    client = Client(base_url=pds.url)
    client.login(handle, password, fetch_bsky_profile=False)

    def records() -> list:
        found, cursor = [], None
        while True:
            page = client.com.atproto.repo.list_records(
                models.ComAtprotoRepoListRecords.Params(
                    repo=did, collection="app.bsky.feed.post", limit=100, cursor=cursor
                )
            )
            found += page.records
            cursor = page.cursor
            if not cursor or not page.records:
                return found

    before = {r.uri for r in records()}
    newsroom.secrets = {"CB_TEST_PDS_PW": password}
    newsroom.add_account(
        "bsky", network="bluesky", service=pds.url, handle=handle, password_env="CB_TEST_PDS_PW"
    )
    newsroom.add_account("local", network="outbox")
    outcomes = kill_cycles(newsroom, ["bsky", "local"], CYCLES, seed=77)
    assert sum(n for k, n in outcomes.items() if k.endswith(":killed")) >= CYCLES - 3, outcomes

    sent = assert_ledger_right(newsroom, ["bsky", "local"], finished(outcomes))
    mine = [r for r in records() if r.uri not in before]
    uris = [r.uri for r in mine]
    assert len(uris) == len(set(uris))
    texts = Counter(r.value.text for r in mine)
    assert max(texts.values()) == 1, "no post twice on the network"
    ledger = {e.remote_id: e for e in sent["bsky"]}
    assert set(uris) == set(ledger), "every record on the PDS is a sent post of the ledger, and back"
    for record in mine:
        entry = ledger[record.uri]
        assert record.value.text == entry.text
        if entry.position > 1:
            assert record.value.reply is not None, "a thread's later posts reply to it"
    assert {line["key"] for line in newsroom.outbox_lines()} == {e.thread_key for e in sent["local"]}
