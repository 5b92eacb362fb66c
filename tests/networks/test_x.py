"""X: the recorded real exchanges replayed (vcrpy), and a local server answering as X does."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import ConfigError
from bot.networks.base import AuthFailed, RateLimited, Rejected, Transient
from bot.networks.x import XNetwork, comparable
from bot.posting import RetryPolicy, publish_thread
from bot.posts.model import Post, Thread
from bot.store import open_store
from bot.store.ledger import SENT, UNKNOWN, Ledger
from tests.networks.conftest import thread_of
from tests.peers.http_fake import Reply
from tests.peers.x import x_api
from tests.support import shared_dir

# Fresh credentials each run: the fake X checks they come through, and no test secret sits in the code.
ENV = {
    name: f"{prefix}-{secrets.token_hex(6)}"
    for name, prefix in {
        "TEST_X_CONSUMER_KEY": "ck",
        "TEST_X_CONSUMER_SECRET": "cs",
        "TEST_X_ACCESS_TOKEN": "at",
        "TEST_X_ACCESS_TOKEN_SECRET": "ats",
    }.items()
}
TABLE = {
    "network": "x",
    "consumer_key_env": "TEST_X_CONSUMER_KEY",
    "consumer_secret_env": "TEST_X_CONSUMER_SECRET",
    "access_token_env": "TEST_X_ACCESS_TOKEN",
    "access_token_secret_env": "TEST_X_ACCESS_TOKEN_SECRET",
}
NO_WAIT = RetryPolicy(attempts=4, sleep=lambda _: None)


def network(server=None, **table) -> XNetwork:
    options = {"api_base": server.url} if server else {}
    return XNetwork.from_account("newsroom-x", {**TABLE, **options, **table}, ENV)


def api(**options):
    return x_api(ENV["TEST_X_CONSUMER_KEY"], ENV["TEST_X_ACCESS_TOKEN"], **options)


def publish(adapter: XNetwork, thread) -> list:
    return list(adapter.publish(thread, f"newsroom-x/{thread.paragraph}/0", [], datetime.now(UTC)))


def one_post(text: str) -> Thread:
    return Thread("08ASTANA2079", "3", "x", "https://example.org", (Post(text, len(text), 280, text),))


# --- the recorded real exchange ------------------------------------------------------------------


def test_the_recorded_create_tweet_exchange_replays_into_a_published_post():
    import vcr

    cassette = shared_dir() / "peers" / "x" / "test_client_create_and_delete_tweet.yaml"
    replay = vcr.VCR(record_mode="none", match_on=["method", "uri", "body"], decode_compressed_response=True)
    with replay.use_cassette(str(cassette)) as recorded:
        [post] = publish(network(), one_post("Test Tweet"))
        assert recorded.play_count == 1
    assert post.remote_id == "1456012973835788293"
    assert post.url == "https://x.com/i/web/status/1456012973835788293"


# --- a local server answering as X does -----------------------------------------------------------


def test_a_thread_is_posted_as_replies_to_the_previous_post():
    with api() as (server, x):
        thread = thread_of("one", "two", "three", network="x")
        published = publish(network(server), thread)
    assert [t["text"] for t in x.tweets] == [p.text for p in thread.posts]
    assert [t["in_reply_to"] for t in x.tweets] == [None, published[0].remote_id, published[1].remote_id]


def test_no_write_permission_is_an_auth_failure_saying_what_to_fix_in_xs_words():
    with api(write=False) as (server, _), pytest.raises(AuthFailed) as caught:
        publish(network(server), thread_of("x", network="x"))
    message = str(caught.value)
    assert "appropriate oauth1 app permissions" in message and "Read and Write" in message
    assert "TEST_X_ACCESS_TOKEN" in message and not any(secret in message for secret in ENV.values())


def test_a_duplicate_of_an_older_post_is_rejected_with_xs_reason():
    with api() as (server, _):
        publish(network(server), one_post("the same words"))
        later = datetime.now(UTC) + timedelta(hours=2)  # another thread, planned well after the first post
        with pytest.raises(Rejected, match="duplicate content"):
            list(network(server).publish(one_post("the same words"), "newsroom-x/other/0", [], later))


def test_a_resend_refused_as_duplicate_finds_the_post_its_lost_answer_hid(tmp_path):
    ledger = Ledger(open_store(f"sqlite:///{tmp_path / 'cablebot.db'}").engine)
    thread = thread_of("only once", network="x")
    # The post goes out, its answer is lost, and X's timeline does not show it yet when first asked.
    with api(hidden_reads=1) as (server, x):
        server.drop_after("POST", "/2/tweets", nth=1)
        outcome = publish_thread(ledger, network(server), account="newsroom-x", thread=thread, policy=NO_WAIT)
        assert len(server.seen("POST", "/2/tweets")) == 2  # resent, and refused as a duplicate
    assert outcome.complete and len(x.tweets) == 1
    assert outcome.entries[0].remote_id == x.tweets[0]["id"]


def test_wrong_credentials_are_an_auth_failure_naming_the_variables():
    with api() as (server, _), pytest.raises(AuthFailed) as caught:
        XNetwork.from_account(
            "newsroom-x", {**TABLE, "api_base": server.url}, {**ENV, "TEST_X_ACCESS_TOKEN": "at-revoked-0000"}
        ).publish(one_post("x"), "k", [], datetime.now(UTC)).__next__()
    assert "TEST_X_CONSUMER_KEY" in str(caught.value) and "at-revoked-0000" not in str(caught.value)


def test_a_429_is_rate_limited_until_the_exhausted_24_hour_window_resets():
    with api() as (server, _):
        now = int(datetime.now(UTC).timestamp())
        reset_15m, reset_24h = now + 600, now + 80_000
        server.script(
            "POST",
            "/2/tweets",
            Reply(
                429,
                {"title": "Too Many Requests", "status": 429},
                {
                    "x-rate-limit-limit": "100",
                    "x-rate-limit-remaining": "57",
                    "x-rate-limit-reset": str(reset_15m),
                    "x-user-limit-24hour-limit": "17",
                    "x-user-limit-24hour-remaining": "0",
                    "x-user-limit-24hour-reset": str(reset_24h),
                },
            ),
        )
        with pytest.raises(RateLimited) as caught:
            publish(network(server), one_post("x"))
    assert caught.value.until == datetime.fromtimestamp(reset_24h, UTC)


def test_a_429_with_no_window_used_up_waits_for_the_15_minute_reset_not_a_day():
    with api() as (server, _):
        now = int(datetime.now(UTC).timestamp())
        server.script(
            "POST",
            "/2/tweets",
            Reply(
                429,
                {"title": "Too Many Requests", "status": 429},
                {
                    "x-rate-limit-limit": "100",
                    "x-rate-limit-remaining": "3",
                    "x-rate-limit-reset": str(now + 300),
                    "x-user-limit-24hour-limit": "17",
                    "x-user-limit-24hour-remaining": "9",
                    "x-user-limit-24hour-reset": str(now + 80_000),
                },
            ),
        )
        with pytest.raises(RateLimited) as caught:
            publish(network(server), one_post("x"))
    assert caught.value.until == datetime.fromtimestamp(now + 300, UTC)


def test_reading_the_timeline_with_its_own_window_used_up_does_not_stop_posting():
    with api() as (server, x):
        adapter = network(server)
        now = int(datetime.now(UTC).timestamp())
        server.script(
            "GET",
            "/2/users/me",
            Reply(
                200,
                {"data": {"id": x.user_id, "username": "newsroom"}},
                {
                    "x-rate-limit-limit": "75",
                    "x-rate-limit-remaining": "0",
                    "x-rate-limit-reset": str(now + 900),
                },
            ),
        )
        assert adapter.recover("k", 1, one_post("nothing").posts[0], datetime.now(UTC)) is None
        assert len(publish(adapter, one_post("still allowed"))) == 1


def test_a_success_that_exhausts_the_daily_cap_stops_the_thread_before_the_next_post():
    with api(daily_limit=2) as (server, x):
        with pytest.raises(RateLimited) as caught:
            publish(network(server), thread_of("a", "b", "c", network="x"))
        assert len(x.tweets) == 2 and len(server.seen("POST", "/2/tweets")) == 2
    assert caught.value.until > datetime.now(UTC) + timedelta(hours=23)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_is_transient(status):
    with api() as (server, _):
        server.script("POST", "/2/tweets", Reply(status, {"title": "Service Unavailable", "status": status}))
        with pytest.raises(Transient):
            publish(network(server), one_post("x"))


def test_every_missing_credential_is_reported_at_once():
    with pytest.raises(ConfigError) as caught:
        XNetwork.from_account("newsroom-x", TABLE, {"TEST_X_CONSUMER_KEY": "ck-1234"})
    message = str(caught.value)
    for variable in ("TEST_X_CONSUMER_SECRET", "TEST_X_ACCESS_TOKEN", "TEST_X_ACCESS_TOKEN_SECRET"):
        assert variable in message
    assert "ck-1234" not in message


def test_a_lost_answer_is_found_in_the_timeline_and_the_thread_completed_without_a_duplicate(tmp_path):
    ledger = Ledger(open_store(f"sqlite:///{tmp_path / 'cablebot.db'}").engine)
    thread = thread_of("first & foremost", "second", "third", network="x")
    with api() as (server, x):
        server.drop_after("POST", "/2/tweets", nth=2)
        first = publish_thread(
            ledger, network(server), account="newsroom-x", thread=thread, policy=RetryPolicy(attempts=1)
        )
        assert [e.status for e in first.entries] == [SENT, UNKNOWN, "planned"]
        done = publish_thread(ledger, network(server), account="newsroom-x", thread=thread, policy=NO_WAIT)
        assert len(server.seen("POST", "/2/tweets")) == 3
    assert done.complete
    assert [t["text"] for t in x.tweets] == [p.text for p in thread.posts]
    assert x.tweets[2]["in_reply_to"] == x.tweets[1]["id"]


def test_texts_compare_as_x_gives_them_back():
    sent = "A & B <c> https://wikileaks.org/cable/2008/10/08ASTANA2079.html#par3 #cablegate"
    shown = "A &amp; B &lt;c&gt; https://t.co/AbCdEf1234 #cablegate"
    assert comparable(sent) == comparable(shown)
    assert comparable(sent) != comparable(shown.replace("B", "C"))
