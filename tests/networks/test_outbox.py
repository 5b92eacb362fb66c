"""The outbox: one JSON line per thread, never the same key twice, even from processes racing."""

from __future__ import annotations

import json
import multiprocessing
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.networks.outbox import OutboxNetwork
from tests.networks.conftest import thread_of


def outbox(path: Path, account: str = "local") -> OutboxNetwork:
    return OutboxNetwork.from_account(account, {"network": "outbox", "path": str(path)}, {})


def lines(path: Path) -> list[dict]:
    """The outbox's entries, read as any JSON-lines reader does, line breaks of every kind included."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_thread_is_one_json_line_with_its_account_cable_paragraph_texts_and_key(tmp_path):
    path = tmp_path / "out" / "outbox.jsonl"
    thread = thread_of("one", "two", network="outbox")
    published = list(outbox(path).publish(thread, "local/k/0", [], datetime.now(UTC)))
    [line] = lines(path)
    assert line["account"] == "local" and line["ref_id"] == "08ASTANA2079"
    assert line["paragraph"] == thread.paragraph and line["key"] == "local/k/0"
    assert line["posts"] == [p.text for p in thread.posts]
    assert datetime.fromisoformat(line["at"]).tzinfo is not None
    assert [p.position for p in published] == [1, 2]
    assert published[0].url.startswith("file://") and published[0].remote_id == "local/k/0/1"


def test_the_same_key_is_never_written_twice(tmp_path):
    path = tmp_path / "outbox.jsonl"
    thread = thread_of("once", network="outbox")
    first = list(outbox(path).publish(thread, "local/k/0", [], datetime.now(UTC)))
    again = list(outbox(path).publish(thread, "local/k/0", [], datetime.now(UTC)))
    assert first == again and len(lines(path)) == 1


def test_recover_finds_a_written_thread_and_nothing_for_another_key(tmp_path):
    path = tmp_path / "outbox.jsonl"
    adapter = outbox(path)
    thread = thread_of("x", network="outbox")
    assert adapter.recover("local/k/0", 1, thread.posts[0], datetime.now(UTC)) is None  # no file yet
    [post] = adapter.publish(thread, "local/k/0", [], datetime.now(UTC))
    assert adapter.recover("local/k/0", 1, thread.posts[0], datetime.now(UTC)) == post
    assert adapter.recover("local/k/1", 1, thread.posts[0], datetime.now(UTC)) is None


def test_a_torn_last_line_does_not_hide_keys_or_stop_appends(tmp_path):
    path = tmp_path / "outbox.jsonl"
    list(outbox(path).publish(thread_of("a", network="outbox"), "local/a/0", [], datetime.now(UTC)))
    with path.open("a", encoding="utf-8") as f:
        f.write('{"account": "local", "key": "local/b')  # a crash mid-write
    list(outbox(path).publish(thread_of("b", network="outbox"), "local/b/0", [], datetime.now(UTC)))
    text = path.read_text(encoding="utf-8")
    assert text.count('"key": "local/a/0"') == 1 and text.count('"key": "local/b/0"') == 1


def test_the_default_path_is_in_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("CABLEBOT_DATA_DIR", str(tmp_path / "data"))
    adapter = OutboxNetwork.from_account("local", {"network": "outbox"}, {})
    assert adapter.path == tmp_path / "data" / "outbox.jsonl"


def _race(path: str, key: str, start, results) -> None:  # runs in a child process
    thread = thread_of("raced", network="outbox", paragraph="9")
    start.wait()
    results.put(len(list(outbox(Path(path)).publish(thread, key, [], datetime.now(UTC)))))


@pytest.mark.slow
def test_processes_racing_on_one_key_write_it_once(tmp_path):
    path = tmp_path / "outbox.jsonl"
    context = multiprocessing.get_context("fork")
    start, results = context.Event(), context.Queue()
    args = (str(path), "local/race/0", start, results)
    workers = [context.Process(target=_race, args=args) for _ in range(8)]
    for w in workers:
        w.start()
    start.set()
    for w in workers:
        w.join(30)
    assert [results.get(timeout=5) for _ in workers] == [1] * 8
    assert len(lines(path)) == 1


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=st.lists(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=12), max_size=12))
def test_whatever_keys_are_published_in_whatever_order_each_is_written_exactly_once(tmp_path, keys):
    path = tmp_path / f"outbox-{uuid.uuid4().hex}.jsonl"
    adapter = outbox(path)
    thread = thread_of("x\u2028y\x85z", network="outbox", paragraph="1")
    for key in keys:
        list(adapter.publish(thread, key, [], datetime.now(UTC)))
    written = [line["key"] for line in lines(path)] if path.exists() else []
    assert sorted(written) == sorted(set(keys))
