"""Fixtures every suite shares: a fresh store on each real database, and the command line.

`store` runs each test twice, on SQLite (a fresh file) and on the real PostgreSQL (a fresh schema, so
that suites running in parallel under xdist never see each other's rows).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import postgres_schema

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store' / 'cablebot.db'}"


@pytest.fixture
def postgres_store_url() -> Iterator[str]:
    """A URL on the real PostgreSQL whose connections all use a fresh schema of their own."""
    with postgres_schema() as url:
        yield url


@pytest.fixture(params=DATABASES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, once per dialect (nothing migrated yet)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store' / 'cablebot.db'}"
    else:
        with postgres_schema() as url:
            yield url


@pytest.fixture
def store(store_url: str):
    """An open, migrated store on a fresh database: SQLite and PostgreSQL."""
    from bot.store import open_store

    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


class Cli:
    """Runs `cablebot ARGS` in this process, exactly as the console script does (bot.cli.app.main).

    The environment starts clean of the developer's own store and config: the data folder is a fresh
    temporary one. Set `env` entries (None removes a variable) to point it elsewhere.
    """

    def __init__(self, data_dir: Path) -> None:
        self.env: dict[str, str | None] = {
            "CABLEBOT_DATA_DIR": str(data_dir),
            "DATABASE_URL": None,
            "CABLEBOT_CONFIG": None,
            "COLUMNS": "200",
        }

    def __call__(
        self, *args: str, env: Mapping[str, str | None] | None = None, input: str | None = None
    ) -> CliResult:
        from typer.testing import CliRunner

        from bot.cli.app import main

        runner = CliRunner()
        code = 0
        with runner.isolation(input=input, env={**self.env, **(env or {})}) as streams:
            argv, sys.argv = sys.argv, ["cablebot", *args]
            try:
                main()
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            except Exception:
                # What a person would see: keep it, so tests can insist there is no traceback.
                sys.stderr.write(traceback.format_exc())
                code = 1
            finally:
                sys.argv = argv
                sys.stdout.flush()
                sys.stderr.flush()
            stdout, stderr = streams[0].getvalue(), streams[1].getvalue()
        return CliResult(code, stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace"))


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "var")


@pytest.fixture(autouse=True)
def _no_developer_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's DATABASE_URL or config must never leak into (or be written by) a test."""
    for name in ("DATABASE_URL", "CABLEBOT_CONFIG"):
        if name in os.environ:
            monkeypatch.delenv(name)
