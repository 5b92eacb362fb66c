"""Mastodon against a local server answering as a Mastodon instance does (status codes and headers)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import ConfigError
from bot.networks.base import AuthFailed, RateLimited, Rejected, Transient
from bot.networks.mastodon import MastodonNetwork
from bot.posting import RetryPolicy, publish_thread
from bot.store import open_store
from bot.store.ledger import SENT, UNKNOWN, Ledger
from tests.networks.conftest import thread_of
from tests.peers.http_fake import Reply
from tests.peers.mastodon import mastodon_instance

TOKEN = "mastodon-token-5d1e8c0b9a"
NO_WAIT = RetryPolicy(attempts=4, sleep=lambda _: None)


def network(server, token: str = TOKEN, **table) -> MastodonNetwork:
    account = {"network": "mastodon", "instance": server.url, "access_token_env": "TEST_MASTODON_TOKEN"}
    account.update(table)
    return MastodonNetwork.from_account("newsroom-masto", account, {"TEST_MASTODON_TOKEN": token})


def publish(adapter: MastodonNetwork, thread, key: str | None = None) -> list:
    return list(adapter.publish(thread, key or f"newsroom-masto/{thread.paragraph}/0", [], datetime.now(UTC)))


def test_a_thread_is_posted_as_replies_each_with_its_idempotency_key():
    with mastodon_instance(TOKEN) as (server, instance):
        thread = thread_of("one", "two", "three", network="mastodon")
        published = publish(network(server), thread)
        posts = server.seen("POST", "/api/v1/statuses")
    assert [p.position for p in published] == [1, 2, 3]
    assert [s["content"] for s in instance.statuses] == [instance.html(p.text) for p in thread.posts]
    assert [s["in_reply_to_id"] for s in instance.statuses] == [
        None,
        published[0].remote_id,
        published[1].remote_id,
    ]
    key = f"newsroom-masto/{thread.paragraph}/0"
    assert [r.headers["idempotency-key"] for r in posts] == [f"{key}/1", f"{key}/2", f"{key}/3"]
    assert published[0].url == instance.statuses[0]["url"]


def test_the_same_idempotency_key_returns_the_same_status_not_a_new_one():
    with mastodon_instance(TOKEN) as (server, instance):
        thread = thread_of("only once", network="mastodon")
        first = publish(network(server), thread)
        again = publish(network(server), thread)
    assert first == again and len(instance.statuses) == 1


def test_the_instances_own_limit_is_read_and_a_longer_post_is_refused_before_sending():
    with mastodon_instance(TOKEN, max_characters=120) as (server, _):
        adapter = network(server)
        assert adapter.live_rules().limit == 120
        with pytest.raises(Rejected, match="allows 120"):
            publish(adapter, thread_of("x" * 100, network="mastodon"))
        assert server.seen("POST", "/api/v1/statuses") == []
        # Read once, then cached.
        publish(adapter, thread_of("short", network="mastodon"))
        assert len(server.seen("GET", "/api/v2/instance")) == 1


def test_an_instance_without_v2_gives_its_limit_through_v1():
    with mastodon_instance(TOKEN, max_characters=1000, v2=False) as (server, _):
        assert network(server).live_rules().limit == 1000


def test_a_422_from_the_server_is_a_rejection_with_its_reason():
    with mastodon_instance(TOKEN) as (server, _):
        adapter = network(server)
        adapter.live_rules()
        adapter._rules = adapter.text_rules({"max_characters": 5000})  # as if the limit was lowered since
        with pytest.raises(Rejected, match="Text character limit of 500 exceeded"):
            publish(adapter, thread_of("y" * 520, network="mastodon"))


def test_a_429_is_rate_limited_until_the_servers_reset_without_sleeping():
    with mastodon_instance(TOKEN) as (server, _):
        reset = "2031-01-01T12:30:00.000Z"
        server.script(
            "POST",
            "/api/v1/statuses",
            Reply(
                429,
                {"error": "Too many requests"},
                {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
            ),
        )
        with pytest.raises(RateLimited) as caught:
            publish(network(server), thread_of("z", network="mastodon"))
    # Mastodon.py corrects the reset by the clock difference the server's Date header shows: seconds at most.
    assert abs((caught.value.until - datetime(2031, 1, 1, 12, 30, tzinfo=UTC)).total_seconds()) < 5


def test_a_bad_token_is_an_auth_failure_naming_the_variable_never_the_token():
    with mastodon_instance(TOKEN) as (server, _), pytest.raises(AuthFailed) as caught:
        publish(network(server, token="wrong-token-77aa11"), thread_of("z", network="mastodon"))
    assert "TEST_MASTODON_TOKEN" in str(caught.value) and "[accounts.newsroom-masto]" in str(caught.value)
    assert "wrong-token-77aa11" not in str(caught.value)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_server_error_is_transient(status):
    with mastodon_instance(TOKEN) as (server, _):
        server.script("POST", "/api/v1/statuses", Reply(status, {"error": "upstream trouble"}))
        with pytest.raises(Transient):
            publish(network(server), thread_of("z", network="mastodon"))


def test_a_missing_token_variable_or_instance_is_a_config_error_listing_both():
    with pytest.raises(ConfigError) as caught:
        MastodonNetwork.from_account("m", {"network": "mastodon", "access_token_env": "M_TOKEN"}, {})
    assert "instance" in str(caught.value) and "M_TOKEN" in str(caught.value)


def test_recover_finds_a_status_by_its_text_in_the_recent_ones():
    with mastodon_instance(TOKEN) as (server, _):
        thread = thread_of("find me", "not sent", network="mastodon")
        adapter = network(server)
        key, planned = f"m/{thread.paragraph}/0", datetime.now(UTC)
        posts = adapter.publish(thread, key, [], planned)
        first = next(posts)
        posts.close()
        assert adapter.recover(key, 1, thread.posts[0], planned) == first
        assert adapter.recover(key, 2, thread.posts[1], planned) is None


def test_a_lost_answer_mid_thread_is_completed_without_a_duplicate(tmp_path):
    ledger = Ledger(open_store(f"sqlite:///{tmp_path / 'cablebot.db'}").engine)
    thread = thread_of("first", "second", "third", network="mastodon")
    with mastodon_instance(TOKEN) as (server, instance):
        # The instance creates post 2, but the connection drops before its answer arrives.
        server.drop_after("POST", "/api/v1/statuses", nth=2)
        outcome = publish_thread(
            ledger, network(server), account="m", thread=thread, policy=RetryPolicy(attempts=1)
        )
        assert isinstance(outcome.error, Transient)
        assert [e.status for e in outcome.entries] == [SENT, UNKNOWN, "planned"]

        # The next run looks post 2 up before sending anything, finds it, and sends post 3 only.
        done = publish_thread(ledger, network(server), account="m", thread=thread, policy=NO_WAIT)
        assert len(server.seen("POST", "/api/v1/statuses")) == 3
    assert done.complete
    assert [s["content"] for s in instance.statuses] == [instance.html(p.text) for p in thread.posts]
    assert instance.statuses[2]["in_reply_to_id"] == instance.statuses[1]["id"]
    assert [e.remote_id for e in done.entries] == [s["id"] for s in instance.statuses]


def test_a_retry_within_one_run_reuses_the_idempotency_key_and_creates_no_duplicate(tmp_path):
    ledger = Ledger(open_store(f"sqlite:///{tmp_path / 'cablebot.db'}").engine)
    thread = thread_of("alpha", "beta", network="mastodon")
    with mastodon_instance(TOKEN) as (server, instance):
        server.drop_after("POST", "/api/v1/statuses", nth=1)
        server.script("GET", "/api/v1/accounts/verify_credentials", Reply(503, {"error": "busy"}))
        outcome = publish_thread(ledger, network(server), account="m", thread=thread, policy=NO_WAIT)
    assert outcome.complete and len(instance.statuses) == 2
