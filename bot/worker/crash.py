"""Injected crashes, for the tests that prove a killed worker neither doubles nor drops a post.

`CABLEBOT_CRASH_AT` names one point (or several, comma-separated; `random` picks one per run); the
worker process kills itself with SIGKILL when it reaches it, exactly as a host's OOM killer or a power
cut would, with no chance to clean up. Unset (always, outside tests), every hook is a no-op.

`CABLEBOT_SLOW_AT=POINT:SECONDS` instead makes the worker linger there (a slow network call), so that a
test can send SIGTERM while a post is in hand.

Points, in the order a slot reaches them:
- `after-claim`: the slot is claimed, nothing picked yet;
- `after-pick`: the paragraph is written on the slot, the ledger not planned yet;
- `before-send`: the ledger says `sending`, the request has not left;
- `during-send`: SIGKILL at a random moment while the network call runs;
- `after-send`: the network has the post, the ledger does not know yet;
- `before-finish`: the ledger says `sent`, the slot is not closed yet.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

POINTS = ("after-claim", "after-pick", "before-send", "during-send", "after-send", "before-finish")
ENV = "CABLEBOT_CRASH_AT"
SLOW_ENV = "CABLEBOT_SLOW_AT"


def armed() -> set[str]:
    wanted = {p.strip() for p in os.environ.get(ENV, "").split(",") if p.strip()}
    if "random" in wanted:
        wanted = {random.choice(POINTS)}
    return wanted


def slowed() -> dict[str, float]:
    wanted = {}
    for item in os.environ.get(SLOW_ENV, "").split(","):
        point, _, seconds = item.strip().partition(":")
        if point in POINTS:
            wanted[point] = float(seconds or 1)
    return wanted


_armed = armed()
_slowed = slowed()


def reached(point: str) -> None:
    if point in _armed:
        os.kill(os.getpid(), signal.SIGKILL)
    if point in _slowed:
        time.sleep(_slowed[point])  # resumed after a signal handler runs (PEP 475), like a network read


def around_network(network: Any) -> Any:
    """The adapter itself, or, with a send point armed, a wrapper that crashes around its calls."""
    if not (_armed | set(_slowed)) & {"before-send", "during-send", "after-send"}:
        return network
    return _CrashingNetwork(network)


class _CrashingNetwork:
    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.name = inner.name

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def publish(self, thread: Any, key: str, done: Sequence[Any], planned_at: datetime) -> Iterator[Any]:
        reached("before-send")
        if "during-send" in _armed:
            # Somewhere inside the call: before the request, while it is out, or after the answer.
            timer = threading.Timer(random.uniform(0.0, 0.3), os.kill, (os.getpid(), signal.SIGKILL))
            timer.daemon = True
            timer.start()
        if "during-send" in _slowed:
            time.sleep(_slowed["during-send"])
        for post in self._inner.publish(thread, key, done, planned_at):
            reached("after-send")
            yield post

    def recover(self, *args: Any, **kwargs: Any) -> Any:
        return self._inner.recover(*args, **kwargs)
