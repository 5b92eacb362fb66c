"""No secret (password, token) ever reaches a log line, an error message, the store or the outbox.

Every network is used with its secrets in the environment, successfully and unsuccessfully, while both
log formatters capture everything at DEBUG (cablebot's own loggers and the SDKs' through the root
logger); then the logs, every error message and command output, every table of the store and the
outbox are searched for each secret.
"""

from __future__ import annotations

import io
import json
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import inspect

from bot.logs import JsonLinesFormatter, ReadableFormatter
from bot.networks.base import PublishError
from bot.networks.registry import network_class
from bot.posting import RetryPolicy, publish_thread
from bot.store import open_store
from bot.store.ledger import DatabaseSessions, Ledger
from tests.networks.conftest import PDS_ACCOUNTS, thread_of
from tests.networks.test_cli import write_config
from tests.peers.mastodon import mastodon_instance
from tests.peers.x import x_api

# Fresh values each run, so that no test secret can be found by searching the code.
SECRETS = {
    name: f"{prefix}-{secrets.token_hex(12)}"
    for name, prefix in {
        "SECRET_TEST_MASTODON_TOKEN": "mt",
        "SECRET_TEST_X_CONSUMER_KEY": "ck",
        "SECRET_TEST_X_CONSUMER_SECRET": "cs",
        "SECRET_TEST_X_ACCESS_TOKEN": "at",
        "SECRET_TEST_X_ACCESS_TOKEN_SECRET": "ats",
    }.items()
}
X_TABLE = {
    "network": "x",
    "consumer_key_env": "SECRET_TEST_X_CONSUMER_KEY",
    "consumer_secret_env": "SECRET_TEST_X_CONSUMER_SECRET",
    "access_token_env": "SECRET_TEST_X_ACCESS_TOKEN",
    "access_token_secret_env": "SECRET_TEST_X_ACCESS_TOKEN_SECRET",
}
ONCE = RetryPolicy(attempts=2, sleep=lambda _: None)


@contextmanager
def captured_logs() -> Iterator[io.StringIO]:
    """Everything logged, by cablebot and by the SDKs, through both of cablebot's formatters."""
    sink = io.StringIO()
    handlers = []
    for formatter in (JsonLinesFormatter(), ReadableFormatter()):
        handler = logging.StreamHandler(sink)
        handler.setFormatter(formatter)
        handlers.append(handler)
    loggers = [logging.getLogger(), logging.getLogger("cablebot")]
    saved = [(lg, lg.level, lg.handlers[:], lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.handlers[:] = handlers
        lg.setLevel(logging.DEBUG)
    logging.getLogger("cablebot").propagate = False
    try:
        yield sink
    finally:
        for lg, level, old, propagate in saved:
            lg.handlers[:] = old
            lg.setLevel(level)
            lg.propagate = propagate


def store_dump(store) -> str:
    """Every row of every table, as text."""
    rows = []
    with store.engine.connect() as conn:
        for name in inspect(store.engine).get_table_names():
            rows += [f"{name}: {tuple(row)!r}" for row in conn.exec_driver_sql(f'SELECT * FROM "{name}"')]
    assert any(row.startswith("posts:") for row in rows)
    return "\n".join(rows)


def assert_secret_free(text: str, secrets: dict[str, str], where: str) -> None:
    for variable, secret in secrets.items():
        assert secret not in text, f"the secret in {variable} reached {where}"


def adapter(name: str, table: dict, env: dict, store):
    return network_class(table["network"]).from_account(name, table, env, DatabaseSessions(store.engine))


def test_no_secret_reaches_logs_errors_the_store_or_the_outbox(tmp_path, monkeypatch, cli):
    for variable, value in SECRETS.items():
        monkeypatch.setenv(variable, value)
    store = open_store(f"sqlite:///{tmp_path / 'cablebot.db'}")
    ledger = Ledger(store.engine)
    messages: list[str] = []
    outbox = tmp_path / "outbox.jsonl"

    with captured_logs() as logs:
        with mastodon_instance(SECRETS["SECRET_TEST_MASTODON_TOKEN"]) as (server, instance):
            masto = {
                "network": "mastodon",
                "instance": server.url,
                "access_token_env": "SECRET_TEST_MASTODON_TOKEN",
            }
            outcome = publish_thread(
                ledger,
                adapter("masto", masto, SECRETS, store),
                account="masto",
                thread=thread_of("a", "b", network="mastodon"),
                policy=ONCE,
            )
            assert outcome.complete and len(instance.statuses) == 2
            bad = {**SECRETS, "SECRET_TEST_MASTODON_TOKEN": "masto-wrong-token-zz99"}
            failed = publish_thread(
                ledger,
                adapter("masto-bad", masto, bad, store),
                account="masto-bad",
                thread=thread_of("c", network="mastodon"),
                policy=ONCE,
            )
            messages.append(str(failed.error))
            assert_secret_free(str(failed.error), {"wrong token": "masto-wrong-token-zz99"}, "an error")

        keys = SECRETS["SECRET_TEST_X_CONSUMER_KEY"], SECRETS["SECRET_TEST_X_ACCESS_TOKEN"]
        with x_api(*keys) as (server, x):
            xt = {**X_TABLE, "api_base": server.url}
            outcome = publish_thread(
                ledger,
                adapter("x", xt, SECRETS, store),
                account="x",
                thread=thread_of("d", "e", network="x"),
                policy=ONCE,
            )
            assert outcome.complete and len(x.tweets) == 2
            x.write = False
            failed = publish_thread(
                ledger,
                adapter("x", xt, SECRETS, store),
                account="x",
                thread=thread_of("f", network="x"),
                policy=ONCE,
            )
            assert isinstance(failed.error, PublishError)
            messages.append(str(failed.error))
            assert "oauth" in server.requests[0].headers["authorization"].lower()  # the secrets were in use

        local = {"network": "outbox", "path": str(outbox)}
        assert publish_thread(
            ledger,
            adapter("local", local, SECRETS, store),
            account="local",
            thread=thread_of("g", network="outbox"),
            policy=ONCE,
        ).complete

    # What a person sees from the commands, secrets set: `check`, and a `post` the instance refuses.
    with mastodon_instance("another-token-the-instance-wants") as (server, _):
        config = write_config(
            tmp_path,
            f"""
[accounts.masto]
network = "mastodon"
instance = "{server.url}"
access_token_env = "SECRET_TEST_MASTODON_TOKEN"
[accounts.x]
{chr(10).join(f'{k} = "{v}"' for k, v in X_TABLE.items())}
""",
        )
        cli("ingest", "--sample")
        outputs = [
            cli("check", "--config", config, env=SECRETS),
            cli("post", "08ASTANA2079", "-p", "3", "-a", "masto", "--config", config, env=SECRETS),
        ]
    assert outputs[0].exit_code == 0 and outputs[1].exit_code == 1
    assert "SECRET_TEST_MASTODON_TOKEN" in outputs[1].stderr

    text = logs.getvalue()
    assert "posted to Mastodon" in text and "posted to X" in text and '"level": "info"' in text
    assert_secret_free(text, SECRETS, "the logs")
    assert_secret_free("\n".join(messages), SECRETS, "an error message")
    assert_secret_free("\n".join(o.stdout + o.stderr for o in outputs), SECRETS, "a command's output")
    assert_secret_free(store_dump(store), SECRETS, "the store")
    assert_secret_free(outbox.read_text(encoding="utf-8"), SECRETS, "the outbox")
    assert json.loads(outbox.read_text(encoding="utf-8").splitlines()[0])["account"] == "local"


@pytest.mark.pds
def test_no_bluesky_password_reaches_logs_errors_or_the_store(tmp_path, pds):
    handle, password = PDS_ACCOUNTS[1]
    secrets = {"SECRET_TEST_BSKY_PASSWORD": password}
    store = open_store(f"sqlite:///{tmp_path / 'cablebot.db'}")
    ledger = Ledger(store.engine)
    table = {
        "network": "bluesky",
        "service": pds.url,
        "handle": handle,
        "password_env": "SECRET_TEST_BSKY_PASSWORD",
    }
    with captured_logs() as logs:
        outcome = publish_thread(
            ledger,
            adapter("bsky", table, secrets, store),
            account="bsky",
            thread=thread_of("h", "i"),
            policy=ONCE,
        )
        assert outcome.complete
        wrong = {"SECRET_TEST_BSKY_PASSWORD": "bsky-wrong-password-77"}
        failed = publish_thread(
            ledger,
            adapter("bsky-bad", table, wrong, store),
            account="bsky-bad",
            thread=thread_of("j"),
            policy=ONCE,
        )
    everything = {**secrets, **wrong}
    assert "posted to Bluesky" in logs.getvalue() and isinstance(failed.error, PublishError)
    assert_secret_free(logs.getvalue(), everything, "the logs")
    assert_secret_free(str(failed.error), everything, "an error message")
    assert_secret_free(store_dump(store), everything, "the store")
