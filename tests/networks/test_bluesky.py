"""Bluesky against the real reference PDS: posts, threads, facets, sessions, and no duplicate on retry."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import ConfigError
from bot.networks.base import AuthFailed, MemorySessions, RateLimited, Rejected, Transient
from bot.networks.bluesky import BlueskyNetwork, created_at, record_key
from bot.posting import RetryPolicy, publish_thread
from bot.store import open_store
from bot.store.ledger import SENT, UNKNOWN, DatabaseSessions, Ledger
from tests.networks.conftest import cited_post, thread_of
from tests.peers.proxy import forward_proxy
from tests.support import shared_dir

# The AT Protocol's TID syntax (atproto.com/specs/tid), checked below against the interop vectors.
TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
NO_WAIT = RetryPolicy(attempts=4, sleep=lambda _: None)


def vectors(name: str) -> list[str]:
    path = shared_dir() / "peers" / "bluesky-interop" / name
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def test_the_tid_syntax_accepts_every_valid_interop_vector_and_no_invalid_one():
    assert vectors("tid_syntax_valid.txt") and vectors("tid_syntax_invalid.txt")
    assert all(TID.match(v) for v in vectors("tid_syntax_valid.txt"))
    assert not any(TID.match(v) for v in vectors("tid_syntax_invalid.txt"))


@given(
    key=st.text(min_size=1, max_size=80),
    position=st.integers(min_value=1, max_value=50),
    planned=st.datetimes(datetime(2000, 1, 1), datetime(2200, 1, 1), timezones=st.just(UTC)),
)
def test_a_record_key_is_a_valid_tid_and_the_same_on_every_attempt(key, position, planned):
    rkey = record_key(key, position, planned)
    assert TID.match(rkey)
    assert record_key(key, position, planned) == rkey
    assert record_key(key, position, planned + timedelta(microseconds=999)) == rkey or planned.microsecond > 0


@given(key=st.text(min_size=1, max_size=40), parts=st.integers(min_value=2, max_value=20))
def test_the_posts_of_a_thread_get_distinct_keys_that_sort_in_order(key, parts):
    planned = datetime(2026, 11, 28, 5, 0, tzinfo=UTC)
    keys = [record_key(key, p, planned) for p in range(1, parts + 1)]
    assert keys == sorted(keys) and len(set(keys)) == parts


def test_created_at_is_stable_and_in_the_lexicon_format():
    planned = datetime(2026, 11, 28, 5, 0, 7, 123456, tzinfo=UTC)
    assert created_at(2, planned) == "2026-11-28T05:00:07.002Z"
    assert created_at(2, planned.replace(microsecond=9)) == created_at(2, planned)


def test_an_account_without_its_password_variable_names_the_account_and_the_variable():
    with pytest.raises(ConfigError) as caught:
        table = {"network": "bluesky", "password_env": "NEWSROOM_PW"}
        BlueskyNetwork.from_account("newsroom-bsky", table, {}, MemorySessions())
    message = str(caught.value)
    assert "[accounts.newsroom-bsky]" in message and "NEWSROOM_PW" in message and "handle" in message


# --- against the real PDS ------------------------------------------------------------------------


def account(pds, handle: str, *, proxy: str | None = None, password: str | None = None) -> dict:
    table = {"network": "bluesky", "service": pds.url, "handle": handle, "password_env": "TEST_BSKY_PW"}
    if proxy:
        table["proxy"] = proxy
    return table


def adapter(pds, handle: str, sessions=None, *, proxy: str | None = None, password: str | None = None):
    env = {"TEST_BSKY_PW": password or pds_password(handle)}
    return BlueskyNetwork.from_account(
        handle.split(".")[0], account(pds, handle, proxy=proxy), env, sessions or MemorySessions()
    )


def pds_password(handle: str) -> str:
    from tests.networks.conftest import PDS_ACCOUNTS

    return dict(PDS_ACCOUNTS)[handle]


def records(pds, did: str) -> list[dict]:
    """Every post in the account's repository, as the PDS stores it (raw com.atproto.repo.listRecords)."""
    found: list[dict] = []
    params = {"repo": did, "collection": "app.bsky.feed.post", "limit": 100}
    while True:
        response = httpx.get(f"{pds.url}/xrpc/com.atproto.repo.listRecords", params=params)
        page = response.raise_for_status().json()
        found += page["records"]
        if not page.get("cursor") or not page["records"]:
            return found
        params["cursor"] = page["cursor"]


def thread_records(pds, handle: str, thread) -> list[dict]:
    """The records of this test's thread (its paragraph is in every text) in the account's repository."""
    return [r for r in records(pds, pds.account(handle).did) if f"[{thread.paragraph}]" in r["value"]["text"]]


def texts_of(pds, handle: str, thread) -> list[str]:
    return [r["value"]["text"] for r in thread_records(pds, handle, thread)]


def value(feature: dict) -> str:
    return feature.get("uri") or feature["tag"]


def facets_of(record: dict) -> list[tuple]:
    """The facets of a stored record: byte span, kind and value."""
    return [
        (f["index"]["byteStart"], f["index"]["byteEnd"], feature["$type"], value(feature))
        for f in record["value"].get("facets", [])
        for feature in f["features"]
    ]


def ledger_at(tmp_path: Path) -> Ledger:
    return Ledger(open_store(f"sqlite:///{tmp_path / 'cablebot.db'}").engine)


@pytest.mark.pds
def test_a_thread_reads_back_with_its_text_byte_exact_facets_and_reply_refs(pds):
    network = adapter(pds, "alice.test")
    thread = thread_of("Kazakhstan 🇰🇿 — naïve “quotes” first", "then the second part", "and the third")
    planned = datetime.now(UTC)
    published = list(network.publish(thread, f"alice/{thread.paragraph}/0", [], planned))
    assert [p.position for p in published] == [1, 2, 3]

    by_uri = {r["uri"]: r for r in records(pds, pds.account("alice.test").did)}
    sent = [by_uri[p.remote_id] for p in published]
    for post, record in zip(thread.posts, sent, strict=True):
        assert record["value"]["text"] == post.text
        sent_facets = [f.to_atproto() for f in post.facets]
        assert facets_of(record) == facets_of({"value": {"facets": sent_facets}})
        spans = [post.text.encode()[f.byte_start : f.byte_end].decode() for f in post.facets]
        assert spans[1:] == ["#cablegate", "#08ASTANA2079"]

    def ref(strong: dict) -> tuple[str, str]:
        return strong["uri"], strong["cid"]

    def reply(record: dict) -> tuple[tuple[str, str], tuple[str, str]]:
        return ref(record["value"]["reply"]["root"]), ref(record["value"]["reply"]["parent"])

    assert "reply" not in sent[0]["value"]
    assert reply(sent[1]) == (ref(sent[0]), ref(sent[0]))
    assert reply(sent[2]) == (ref(sent[0]), ref(sent[1]))
    assert all(p.url.startswith("https://bsky.app/profile/did:plc:") for p in published)


@pytest.mark.pds
def test_a_post_over_300_graphemes_is_rejected_with_the_servers_reason(pds):
    network = adapter(pds, "alice.test")
    thread = thread_of("x" * 300)
    with pytest.raises(Rejected) as caught:
        list(network.publish(thread, f"alice/{thread.paragraph}/0", [], datetime.now(UTC)))
    assert "grapheme" in str(caught.value) and "[accounts.alice]" in str(caught.value)


@pytest.mark.pds
def test_publishing_the_same_thread_again_posts_nothing_new(pds):
    network = adapter(pds, "bob.test")
    thread = thread_of("once", "only once")
    key, planned = f"bob/{thread.paragraph}/0", datetime.now(UTC)
    first = list(network.publish(thread, key, [], planned))
    again = list(adapter(pds, "bob.test").publish(thread, key, [], planned))
    assert again == first
    assert sorted(texts_of(pds, "bob.test", thread)) == sorted(p.text for p in thread.posts)


@pytest.mark.pds
def test_a_different_post_under_an_existing_key_is_rejected_not_overwritten(pds):
    network = adapter(pds, "bob.test")
    thread = thread_of("the original")
    key, planned = f"bob/{thread.paragraph}/0", datetime.now(UTC)
    [first] = network.publish(thread, key, [], planned)
    other = thread_of("an impostor", paragraph=thread.paragraph)
    with pytest.raises(Rejected, match="different post"):
        list(network.publish(other, key, [], planned))
    assert network.recover(key, 1, thread.posts[0], planned) == first


@pytest.mark.pds
def test_recover_finds_a_sent_post_and_nothing_for_one_never_sent(pds):
    network = adapter(pds, "alice.test")
    thread = thread_of("recover me", "never sent")
    key, planned = f"alice/{thread.paragraph}/0", datetime.now(UTC)
    posts = network.publish(thread, key, [], planned)
    first = next(posts)
    posts.close()
    assert network.recover(key, 1, thread.posts[0], planned) == first
    assert network.recover(key, 2, thread.posts[1], planned) is None


@pytest.mark.pds
def test_a_wrong_password_is_an_auth_failure_naming_the_account_and_variable_not_the_password(pds):
    network = adapter(pds, "alice.test", password="not-the-password-3141")
    with pytest.raises(AuthFailed) as caught:
        list(network.publish(thread_of("x"), "alice/wrong/0", [], datetime.now(UTC)))
    message = str(caught.value)
    assert "[accounts.alice]" in message and "TEST_BSKY_PW" in message
    assert "not-the-password-3141" not in message


@pytest.mark.pds
def test_an_unreachable_pds_is_transient(pds):
    from tests.peers.pds import free_port

    network = BlueskyNetwork.from_account(
        "alice",
        {**account(pds, "alice.test"), "service": f"http://127.0.0.1:{free_port()}"},
        {"TEST_BSKY_PW": "whatever"},
        MemorySessions(),
    )
    with pytest.raises(Transient, match=r"\[accounts.alice\]"):
        list(network.publish(thread_of("x"), "alice/unreachable/0", [], datetime.now(UTC)))


@pytest.mark.pds
def test_the_session_is_stored_and_reused_across_restarts_one_login_only(pds, tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'cablebot.db'}")
    with forward_proxy() as proxy:
        for run in range(3):  # three "processes": a new adapter and client each time, the same database
            network = adapter(pds, "carol.test", DatabaseSessions(store.engine), proxy=proxy.url)
            thread = thread_of(f"run {run}")
            list(network.publish(thread, f"carol/{thread.paragraph}/0", [], datetime.now(UTC)))
        assert proxy.count("/com.atproto.server.createSession") == 1
        assert proxy.count("/com.atproto.repo.putRecord") == 3
    assert DatabaseSessions(store.engine).load("carol").startswith("carol.test:::did:plc:")


@pytest.mark.pds
def test_a_revoked_session_leads_to_one_fresh_login(pds):
    sessions = MemorySessions()
    with forward_proxy() as proxy:
        network = adapter(pds, "erin.test", sessions, proxy=proxy.url)
        thread = thread_of("before the revocation")
        list(network.publish(thread, f"erin/{thread.paragraph}/0", [], datetime.now(UTC)))
        # The session is signed out (deleteSession revokes the refresh token) and its access token no
        # longer verifies (as after a password change): the stored session is dead.
        handle, did, access, refresh, service = sessions.load("erin").split(":::")
        httpx.post(
            f"{pds.url}/xrpc/com.atproto.server.deleteSession", headers={"Authorization": f"Bearer {refresh}"}
        ).raise_for_status()
        forged = access[:-6] + ("AAAAAA" if not access.endswith("AAAAAA") else "BBBBBB")
        sessions.save("erin", ":::".join([handle, did, forged, refresh, service]))
        later = adapter(pds, "erin.test", sessions, proxy=proxy.url)
        thread = thread_of("after the revocation")
        [post] = later.publish(thread, f"erin/{thread.paragraph}/0", [], datetime.now(UTC))
        assert post.position == 1
        assert proxy.count("/com.atproto.server.createSession") == 2


@pytest.mark.pds
def test_a_session_refreshed_on_the_way_is_stored_at_once(pds):
    import base64
    import json

    sessions = MemorySessions()
    with forward_proxy() as proxy:
        network = adapter(pds, "erin.test", sessions, proxy=proxy.url)
        first = thread_of("with a fresh session")
        list(network.publish(first, f"erin/{first.paragraph}/0", [], datetime.now(UTC)))
        # The stored access token says it has expired (as it does after two hours): the client must refresh.
        handle, did, access, refresh, service = sessions.load("erin").split(":::")
        head, payload, signature = access.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["exp"] = int(datetime.now(UTC).timestamp()) - 60
        expired = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        stale = ":::".join([handle, did, f"{head}.{expired}.{signature}", refresh, service])
        sessions.save("erin", stale)

        later = adapter(pds, "erin.test", sessions, proxy=proxy.url)
        second = thread_of("after a refresh")
        list(later.publish(second, f"erin/{second.paragraph}/0", [], datetime.now(UTC)))
        assert proxy.count("/com.atproto.server.refreshSession") == 1
        assert proxy.count("/com.atproto.server.createSession") == 1  # the first run's login only
    renewed = sessions.load("erin").split(":::")
    assert renewed[3] != refresh  # the rotated refresh token was stored: the old one is dead now


@pytest.mark.pds
def test_a_connection_cut_after_the_pds_wrote_a_post_is_completed_without_a_duplicate(pds, tmp_path):
    ledger = ledger_at(tmp_path)
    thread = thread_of("first of three", "second of three", "third of three")
    with forward_proxy() as proxy:
        network = adapter(pds, "bob.test", proxy=proxy.url)
        proxy.cut("/com.atproto.repo.putRecord", nth=2, after_forwarding=True)
        outcome = publish_thread(ledger, network, account="bob", thread=thread, policy=NO_WAIT)
        assert proxy.count("/com.atproto.repo.putRecord") == 3  # post 2 was found, not sent again
        assert proxy.count("/com.atproto.repo.getRecord") >= 1
    assert outcome.complete and outcome.error is None
    assert [e.status for e in outcome.entries] == [SENT, SENT, SENT]

    mine = thread_records(pds, "bob.test", thread)
    assert sorted(r["value"]["text"] for r in mine) == sorted(p.text for p in thread.posts)  # each once
    assert {e.remote_id for e in outcome.entries} == {r["uri"] for r in mine}


@pytest.mark.pds
def test_a_thread_cut_mid_way_and_given_up_is_completed_by_the_next_run(pds, tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'cablebot.db'}")
    ledger = Ledger(store.engine)
    thread = thread_of("one", "two", "three", "four")
    with forward_proxy() as proxy:
        # The PDS writes post 2 but its answer is lost, and this run gives up at once: post 2 is unknown.
        proxy.cut("/com.atproto.repo.putRecord", nth=2, after_forwarding=True)
        network = adapter(pds, "alice.test", DatabaseSessions(store.engine), proxy=proxy.url)
        give_up = RetryPolicy(attempts=1)
        first = publish_thread(ledger, network, account="alice", thread=thread, policy=give_up)
        assert isinstance(first.error, Transient)
        assert [e.status for e in first.entries][:2] == [SENT, UNKNOWN]

        # A later run (a new process: new adapter, same database) checks post 2, finds it, sends 3 and 4.
        network = adapter(pds, "alice.test", DatabaseSessions(store.engine), proxy=proxy.url)
        second = publish_thread(ledger, network, account="alice", thread=thread, policy=NO_WAIT)
        assert second.complete
        assert proxy.count("/com.atproto.server.createSession") == 1
        assert proxy.count("/com.atproto.repo.putRecord") == 4  # post 2 was never sent again

    mine = thread_records(pds, "alice.test", thread)
    assert sorted(r["value"]["text"] for r in mine) == sorted(p.text for p in thread.posts)
    by_uri = {r["uri"]: r for r in mine}
    entries = second.entries
    root = by_uri[entries[0].remote_id]
    for before, entry in itertools.pairwise(entries):
        reply = by_uri[entry.remote_id]["value"]["reply"]
        assert reply["root"]["uri"] == root["uri"] and reply["parent"]["uri"] == before.remote_id


@pytest.mark.pds
def test_a_connection_cut_before_the_pds_saw_the_post_resends_it_once(pds, tmp_path):
    ledger = ledger_at(tmp_path)
    thread = thread_of("alpha", "beta")
    with forward_proxy() as proxy:
        proxy.cut("/com.atproto.repo.putRecord", nth=1, after_forwarding=False)
        outcome = publish_thread(
            ledger,
            adapter(pds, "carol.test", proxy=proxy.url),
            account="carol",
            thread=thread,
            policy=NO_WAIT,
        )
    assert outcome.complete
    assert sorted(texts_of(pds, "carol.test", thread)) == sorted(p.text for p in thread.posts)


@pytest.mark.pds
def test_a_429_is_rate_limited_until_the_pds_reset_header(pds):
    reset = int(datetime.now(UTC).timestamp()) + 3600
    with forward_proxy() as proxy:
        network = adapter(pds, "carol.test", proxy=proxy.url)
        body = {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}
        headers = {
            "RateLimit-Limit": "5000",
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(reset),
            "RateLimit-Policy": "5000;w=3600",
        }
        proxy.answer("/com.atproto.repo.putRecord", 429, body, headers)
        with pytest.raises(RateLimited) as caught:
            list(network.publish(thread_of("x"), "carol/ratelimited/0", [], datetime.now(UTC)))
    assert caught.value.until == datetime.fromtimestamp(reset, UTC)


@pytest.mark.pds
@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_from_the_pds_is_transient(pds, status):
    with forward_proxy() as proxy:
        network = adapter(pds, "carol.test", proxy=proxy.url)
        body = {"error": "InternalServerError", "message": "busy"}
        proxy.answer("/com.atproto.repo.putRecord", status, body)
        with pytest.raises(Transient, match=r"\[accounts.carol\]"):
            list(network.publish(thread_of("x"), f"carol/busy{status}/0", [], datetime.now(UTC)))


def test_the_same_text_in_a_different_thread_is_not_mistaken_for_it():
    planned = datetime(2026, 11, 28, tzinfo=UTC)
    assert record_key("a/08ASTANA2079/3/0", 1, planned) != record_key("a/08ASTANA2079/3/1", 1, planned)
    assert cited_post("x").facets[0].kind == "link"
