"""Record -> publish -> record (bot.posting): the one retry policy, written against the error vocabulary.

The network here is the real outbox, with failures injected in front of chosen calls (adapters are handed
in, so a test hands in the failures it needs).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.networks.base import AuthFailed, PublishedPost, RateLimited, Rejected, Transient
from bot.networks.outbox import OutboxNetwork
from bot.posting import AlreadyPosted, RetryPolicy, ThreadMismatch, choose_generation, publish_thread
from bot.posts.model import Post, Thread
from bot.store import open_store
from bot.store.ledger import FAILED, PLANNED, SENT, UNKNOWN, Ledger, thread_key
from tests.networks.conftest import thread_of


class FailingOutbox:
    """The outbox, with the errors of `script` raised in front of its calls, one per call, in order."""

    name = "outbox"

    def __init__(self, path: Path, script: Sequence[Exception | None]) -> None:
        self.inner = OutboxNetwork("local", path)
        self.script = list(script)
        self.publishes = 0
        self.recovers = 0

    def _next_failure(self) -> None:
        failure = self.script.pop(0) if self.script else None
        if failure:
            raise failure

    def publish(
        self, thread: Thread, key: str, done: Sequence[PublishedPost], planned_at: datetime
    ) -> Iterator[PublishedPost]:
        self.publishes += 1
        self._next_failure()
        yield from self.inner.publish(thread, key, done, planned_at)

    def recover(self, key: str, position: int, post: Post, planned_at: datetime) -> PublishedPost | None:
        self.recovers += 1
        return self.inner.recover(key, position, post, planned_at)


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def ledger(tmp_path) -> Ledger:
    return Ledger(open_store(f"sqlite:///{tmp_path / 'cablebot.db'}").engine)


def run(ledger, network, thread, **policy):
    sleeps = Sleeps()
    outcome = publish_thread(
        ledger, network, account="local", thread=thread, policy=RetryPolicy(sleep=sleeps, **policy)
    )
    return outcome, sleeps


def test_a_thread_is_recorded_sent_with_remote_ids_and_urls(ledger, tmp_path):
    thread = thread_of("one", "two", network="outbox")
    outcome, sleeps = run(ledger, FailingOutbox(tmp_path / "o.jsonl", []), thread)
    assert outcome.complete and outcome.error is None and sleeps == []
    assert [(e.status, e.remote_id, e.attempts) for e in outcome.entries] == [
        (SENT, f"{e.thread_key}/{e.position}", 1) for e in outcome.entries
    ]
    assert all(e.url.startswith("file://") for e in outcome.entries)


def test_transient_failures_are_retried_with_growing_jittered_back_off_then_succeed(ledger, tmp_path):
    network = FailingOutbox(tmp_path / "o.jsonl", [Transient("a"), Transient("b")])
    outcome, sleeps = run(ledger, network, thread_of("x", network="outbox"), base_delay=1.0, max_delay=30.0)
    assert outcome.complete and network.publishes == 3
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 1.0 and 0 <= sleeps[1] <= 2.0


def test_transient_failures_are_retried_a_bounded_number_of_times_then_reported(ledger, tmp_path):
    network = FailingOutbox(tmp_path / "o.jsonl", [Transient("down")] * 10)
    outcome, sleeps = run(ledger, network, thread_of("x", network="outbox"), attempts=3)
    assert isinstance(outcome.error, Transient) and network.publishes == 3 and len(sleeps) == 2
    # The request may have left: the post is unknown, and was checked before each new try.
    assert [e.status for e in outcome.entries] == [UNKNOWN] and network.recovers == 2


def test_a_rate_limit_beyond_the_bound_is_recorded_and_reported_without_sleeping(ledger, tmp_path):
    until = datetime.now(UTC) + timedelta(hours=3)
    network = FailingOutbox(tmp_path / "o.jsonl", [RateLimited("slow down", until)])
    outcome, sleeps = run(ledger, network, thread_of("x", network="outbox"), max_rate_wait=60)
    assert isinstance(outcome.error, RateLimited) and outcome.error.until == until
    assert sleeps == [] and [e.status for e in outcome.entries] == [PLANNED]
    assert outcome.entries[0].error == "slow down"


def test_a_rate_limit_within_the_bound_is_waited_out(ledger, tmp_path):
    until = datetime.now(UTC) + timedelta(seconds=20)
    network = FailingOutbox(tmp_path / "o.jsonl", [RateLimited("soon", until)])
    outcome, sleeps = run(ledger, network, thread_of("x", network="outbox"), max_rate_wait=60)
    assert outcome.complete and len(sleeps) == 1 and 0 < sleeps[0] <= 20


def test_a_rejection_is_recorded_on_the_post_and_the_rest_of_the_thread_never_retried(ledger, tmp_path):
    network = FailingOutbox(tmp_path / "o.jsonl", [Rejected("too long for the network")])
    outcome, sleeps = run(ledger, network, thread_of("a", "b", network="outbox"))
    assert isinstance(outcome.error, Rejected) and network.publishes == 1 and sleeps == []
    assert [(e.status, e.error) for e in outcome.entries] == [
        (FAILED, "too long for the network"),
        (FAILED, "not sent: post 1 was rejected"),
    ]


def test_a_rejected_post_is_not_sent_again_unless_an_editor_asks(ledger, tmp_path):
    thread = thread_of("a", network="outbox")
    network = FailingOutbox(tmp_path / "o.jsonl", [Rejected("not allowed")])
    run(ledger, network, thread)
    again, _ = run(ledger, network, thread)
    assert isinstance(again.error, Rejected) and "not allowed" in str(again.error)
    assert network.publishes == 1 and [e.status for e in again.entries] == [FAILED]
    asked = publish_thread(
        ledger,
        network,
        account="local",
        thread=thread,
        retry_rejected=True,
        policy=RetryPolicy(sleep=Sleeps()),
    )
    assert asked.complete and network.publishes == 2


def test_an_auth_failure_leaves_the_posts_planned_and_is_reported(ledger, tmp_path):
    network = FailingOutbox(tmp_path / "o.jsonl", [AuthFailed("[accounts.local]: set THE_TOKEN")])
    outcome, _ = run(ledger, network, thread_of("a", network="outbox"))
    assert isinstance(outcome.error, AuthFailed) and network.publishes == 1
    assert [(e.status, e.error) for e in outcome.entries] == [(PLANNED, "[accounts.local]: set THE_TOKEN")]


def test_an_interrupted_thread_is_completed_and_a_sent_post_found_not_resent(ledger, tmp_path):
    thread = thread_of("a", "b", network="outbox")
    network = FailingOutbox(tmp_path / "o.jsonl", [])
    # A crash left the thread written to the outbox but the ledger still saying `sending`.
    entries = ledger.plan(
        account="local",
        network="outbox",
        ref_id=thread.ref_id,
        paragraph=thread.paragraph,
        generation=0,
        texts=[p.text for p in thread.posts],
    )
    list(network.inner.publish(thread, entries[0].thread_key, [], entries[0].created_at))
    ledger.mark(entries[0].id, "sending", attempt=True)
    outcome, _ = run(ledger, network, thread)
    assert outcome.complete and network.recovers == 1
    assert len((tmp_path / "o.jsonl").read_text().splitlines()) == 1


def test_a_partly_posted_thread_that_now_renders_differently_is_refused(ledger, tmp_path):
    thread = thread_of("a", "b", network="outbox")
    entries = ledger.plan(
        account="local",
        network="outbox",
        ref_id=thread.ref_id,
        paragraph=thread.paragraph,
        generation=0,
        texts=[p.text for p in thread.posts],
    )
    ledger.mark(entries[0].id, SENT, remote_id="r", url="u")
    changed = thread_of("c", "d", network="outbox", paragraph=thread.paragraph)
    with pytest.raises(ThreadMismatch, match="--force"):
        run(ledger, FailingOutbox(tmp_path / "o.jsonl", []), changed)


def test_choosing_a_generation_resumes_unfinished_threads_and_refuses_finished_ones(ledger, tmp_path):
    def choose(force=False):
        return choose_generation(ledger, "local", "08ASTANA2079", "3", force=force)

    assert choose() == 0
    entries = ledger.plan(
        account="local",
        network="outbox",
        ref_id="08ASTANA2079",
        paragraph="3",
        generation=0,
        texts=["a", "b"],
    )
    ledger.mark(entries[0].id, SENT, remote_id="r", url="https://example.org/r")
    assert choose() == 0  # begun, not finished: complete it
    assert choose(force=True) == 0  # never a second thread beside an unfinished one
    ledger.mark(entries[1].id, SENT, remote_id="s", url="https://example.org/s")
    with pytest.raises(AlreadyPosted, match=r"already posted 08ASTANA2079 paragraph 3 .*--force"):
        choose()
    assert choose(force=True) == 1
    failed = ledger.plan(
        account="local", network="outbox", ref_id="08ASTANA2079", paragraph="3", generation=1, texts=["a"]
    )
    ledger.mark(failed[0].id, FAILED, error="rejected")
    assert choose() == 1  # only failures: that generation is planned again
    assert thread_key("local", "08ASTANA2079", "3", 1) == failed[0].thread_key


@given(attempt=st.integers(min_value=1, max_value=60), base=st.floats(0.01, 10), cap=st.floats(0.1, 600))
def test_back_off_never_exceeds_its_cap_or_the_doubled_base(attempt, base, cap):
    delay = RetryPolicy(base_delay=base, max_delay=cap).backoff(attempt)
    assert 0 <= delay <= min(cap, base * 2 ** (attempt - 1))
