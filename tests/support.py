"""What tests share: where the real data and the real peers are, and how to get out of their way.

A test that needs something outside the project (the shared corpus, PostgreSQL, the PDS) asks for it
here. When it is missing the test skips with a plain reason, except under CABLEBOT_REQUIRE_PEERS=1
(CI sets it), where a missing peer is a failure: in CI nothing may silently skip.
"""

from __future__ import annotations

import functools
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def require_peers() -> bool:
    """True when a missing peer must fail the run instead of skipping (CI)."""
    return os.environ.get("CABLEBOT_REQUIRE_PEERS", "") not in ("", "0", "false", "no")


def unavailable(reason: str) -> None:
    """Skip the test with `reason`; fail it instead when peers are required."""
    if require_peers():
        pytest.fail(f"{reason} (CABLEBOT_REQUIRE_PEERS is set, so this is a failure, not a skip)")
    pytest.skip(reason)


def shared_dir() -> Path:
    """The shared folder (real cables, docs, peers): CABLEBOT_SHARED, else ../shared beside the repo."""
    path = Path(os.environ.get("CABLEBOT_SHARED") or REPO_ROOT / ".." / "shared").resolve()
    if not (path / "cables").is_dir():
        unavailable(f"the shared folder with the real cables is not at {path}; set CABLEBOT_SHARED")
    return path


def cables_dir() -> Path:
    """The real cables: html/, text/, seed/."""
    return shared_dir() / "cables"


def postgres_url() -> str:
    """The test PostgreSQL server's URL (CABLEBOT_TEST_POSTGRES_URL), once it answers."""
    url = os.environ.get("CABLEBOT_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL
    problem = _postgres_problem(url)
    if problem:
        unavailable(f"PostgreSQL is not reachable at {_without_password(url)}: {problem}")
    return url


@functools.cache
def _postgres_problem(url: str) -> str | None:
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    try:
        with psycopg.connect(
            host=u.host or "127.0.0.1",
            port=u.port or 5432,
            user=u.username,
            password=u.password,
            dbname=u.database,
            connect_timeout=3,
        ):
            return None
    except psycopg.Error as e:
        return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


def _without_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def with_search_path(url: str, schema: str) -> str:
    """The same server URL, with every connection's search_path set to `schema`.

    Carried in the URL (libpq `options`), so that engines made from it anywhere, including a
    `cablebot` subprocess given it as DATABASE_URL, land in the same schema.
    """
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return u.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@contextmanager
def postgres_schema(prefix: str = "t") -> Iterator[str]:
    """A fresh, uniquely named schema on the test server; yields a URL whose connections use it.

    Tests run in parallel (xdist), by several engineers' suites at once: a random name keeps them apart,
    and the schema is dropped afterwards.
    """
    import psycopg
    from sqlalchemy.engine import make_url

    base = postgres_url()
    schema = f"cb_{prefix}_{secrets.token_hex(6)}"
    u = make_url(base)
    conninfo = dict(
        host=u.host or "127.0.0.1",
        port=u.port or 5432,
        user=u.username,
        password=u.password,
        dbname=u.database,
        autocommit=True,
    )
    with psycopg.connect(**conninfo) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield with_search_path(base, schema)
    finally:
        with psycopg.connect(**conninfo) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def cablebot_env(extra: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """The environment for a `cablebot` subprocess: this one, minus variables that would leak a
    developer's own store or config into a test, plus `extra` (None removes a variable)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CABLEBOT_CONFIG")}
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_cablebot(
    *args: str, env: Mapping[str, str | None] | None = None, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run the real `cablebot` command (the installed console script) and capture its output."""
    exe = Path(sys.executable).with_name("cablebot")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "bot"]
    return subprocess.run(
        [*command, *args],
        env=cablebot_env(env),
        cwd=cwd or REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def make_cable(
    ref_id: str = "08ASTANA2079",
    paragraphs: Sequence[str | tuple[str, str | None, str]] = (),
    *,
    created: datetime | None = None,
    released: datetime | None = None,
    classification: str = "CONFIDENTIAL",
    origin: str = "Embassy Astana",
    subject: str = "KAZAKHSTAN: A SUBJECT WRITTEN FOR A TEST",
    tags: Sequence[str] = ("PREL", "KZ"),
    references: Sequence[str] = (),
    source: tuple[str, str] = ("html", "test.html"),
    anchored: bool = True,
):
    """A Cable built by hand, for tests that need one without parsing a file.

    `paragraphs` are texts (numbered 1, 2, ... and marked (C)) or (number, marking, text) triples;
    each gets the default permalink when `anchored`.
    """
    from bot.model import Cable, Paragraph, Source
    from bot.permalink import DEFAULT_PERMALINKS

    created = created or datetime(2008, 10, 20, 11, 3, tzinfo=UTC)
    paras = []
    for i, p in enumerate(paragraphs, start=1):
        number, marking, text = p if isinstance(p, tuple) else (str(i), "C", p)
        url = DEFAULT_PERMALINKS.paragraph_url(ref_id, created, number) if anchored else None
        paras.append(Paragraph(number=number, marking=marking, text=text, url=url))
    return Cable(
        ref_id=ref_id,
        created=created,
        released=released,
        classification=classification,
        origin=origin,
        subject=subject,
        tags=tuple(tags),
        references=tuple(references),
        url=DEFAULT_PERMALINKS.cable_url(ref_id, created),
        paragraphs=tuple(paras),
        source=Source(*source),
    )
