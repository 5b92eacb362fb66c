"""A newsroom for the worker tests: a store of real cables, a config, an outbox, real `cablebot` processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.networks.conftest import pds  # noqa: F401 - the real PDS, started once per session
from tests.support import REPO_ROOT, cablebot_env, cables_dir

SAMPLE = REPO_ROOT / "bot" / "samples" / "08ASTANA2079.txt"


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


@dataclass
class Newsroom:
    root: Path
    database_url: str
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)

    @property
    def config(self) -> Path:
        return self.root / "bot.toml"

    @property
    def data_dir(self) -> Path:
        return self.root / "var"

    def outbox(self, account: str = "local") -> Path:
        return self.root / f"outbox-{account}.jsonl"

    def add_account(self, name: str, **table: Any) -> None:
        if table.get("network") == "outbox":
            table.setdefault("path", str(self.outbox(name)))
        self.accounts[name] = table
        self.write_config()

    def write_config(self) -> None:
        lines = [f"[templates]\ndir = {toml_value(REPO_ROOT / 'templates')}\n"]
        for name, table in self.accounts.items():
            lines.append(f"[accounts.{name}]")
            lines += [f"{key} = {toml_value(value)}" for key, value in table.items()]
            lines.append("")
        self.config.write_text("\n".join(lines), encoding="utf-8")

    def env(self, extra: Mapping[str, str | None] | None = None) -> dict[str, str]:
        return cablebot_env(
            {
                "CABLEBOT_DATA_DIR": str(self.data_dir),
                "DATABASE_URL": self.database_url,
                "CABLEBOT_CONFIG": str(self.config),
                "CABLEBOT_CRASH_AT": None,
                "CABLEBOT_SLOW_AT": None,
                **self.secrets,
                **(extra or {}),
            }
        )

    def command(self) -> list[str]:
        exe = Path(sys.executable).with_name("cablebot")
        return [str(exe)] if exe.exists() else [sys.executable, "-m", "bot"]

    def run(self, *args: str, env: Mapping[str, str | None] | None = None, timeout: float = 120):
        return subprocess.run(
            [*self.command(), *args],
            env=self.env(env),
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, *args: str, env: Mapping[str, str | None] | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*self.command(), *args],
            env=self.env(env),
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def ingest(self, *paths: Path) -> None:
        done = self.run("ingest", *(str(p) for p in paths), timeout=600)
        assert done.returncode == 0, done.stderr

    def outbox_lines(self, account: str = "local") -> list[dict[str, Any]]:
        return self.outbox_lines_at(self.outbox(account))

    def outbox_lines_at(self, path: Path) -> list[dict[str, Any]]:
        if not path.is_file():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def store(self):
        from bot.store import open_store

        return open_store(self.database_url)


def stop(process: subprocess.Popen[str], timeout: float = 30) -> tuple[int, str, str]:
    """SIGTERM, as a host sends it, and the worker's exit code and output."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(
            f"the worker did not stop within {timeout} s of SIGTERM:\n{err[-3000:]}"
        ) from None
    return process.returncode, out, err


def wait_for(predicate, timeout: float = 60, every: float = 0.1, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def json_logs(text: str) -> list[dict[str, Any]]:
    """The worker's log lines (JSON lines when not on a terminal); anything else is a failure."""
    entries = []
    for line in text.splitlines():
        if line.strip():
            entries.append(json.loads(line))
    return entries


@pytest.fixture
def newsroom(tmp_path: Path, sqlite_url: str) -> Newsroom:
    """A SQLite newsroom with the bundled sample and the 57 real text exports ingested."""
    room = Newsroom(tmp_path, sqlite_url)
    room.write_config()
    room.ingest(SAMPLE, cables_dir() / "text")
    return room


@pytest.fixture
def pg_newsroom(tmp_path: Path, postgres_store_url: str) -> Iterator[Newsroom]:
    room = Newsroom(tmp_path, postgres_store_url)
    room.write_config()
    room.ingest(SAMPLE, cables_dir() / "text")
    yield room


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
