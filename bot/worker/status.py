"""What `cablebot status` shows an editor: next slots per account, the queue, recent posts, failures
waiting for an editor, and accounts paused by a rate limit. Read from the store only: it works while
workers run, on any replica."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.config import Config
from bot.store import Store
from bot.worker import slots
from bot.worker.queue import finished, pending, progress
from bot.worker.run import prepare_account

NEXT_SLOTS = 3


@dataclass(frozen=True)
class AccountStatus:
    name: str
    network: str
    schedule: str | None  # None: posts only when asked (worker --once, post)
    problem: str | None
    next_slots: tuple[datetime, ...]
    paused_until: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "account": self.name,
            "network": self.network,
            "schedule": self.schedule,
            "problem": self.problem,
            "next_slots": [t.isoformat() for t in self.next_slots],
            "paused_until": self.paused_until.isoformat() if self.paused_until else None,
        }


@dataclass(frozen=True)
class WorkerStatus:
    accounts: list[AccountStatus]
    queue: list[dict[str, Any]]
    recent_posts: list[dict[str, Any]]
    failures: list[dict[str, Any]]
    queue_done: list[dict[str, Any]] = field(default_factory=list)  # served, newest first

    def as_dict(self) -> dict[str, Any]:
        return {
            "accounts": [a.as_dict() for a in self.accounts],
            "paused": [a.as_dict() for a in self.accounts if a.paused_until],
            "queue": self.queue,
            "queue_done": self.queue_done,
            "recent_posts": self.recent_posts,
            "failures": self.failures,
        }


def worker_status(
    store: Store, config: Config, now: datetime, env: Mapping[str, str], recent: int = 10
) -> WorkerStatus:
    from bot.posting import configured_accounts
    from bot.store.ledger import FAILED, UNKNOWN, Ledger

    accounts = []
    for name, table in configured_accounts(config).items():
        account = prepare_account(name, table, config, env, store.engine)
        upcoming: list[datetime] = []
        if account.schedule is not None:
            after = max(now, slots.last_due(store.engine, name) or now)
            for slot in account.schedule.slots(after):
                upcoming.append(slot.fire_at)
                if len(upcoming) == NEXT_SLOTS:
                    break
        accounts.append(
            AccountStatus(
                name=name,
                network=str(table.get("network")),
                schedule=account.schedule.description if account.schedule else None,
                problem=account.problem,
                next_slots=tuple(upcoming),
                paused_until=slots.paused_until(store.engine, name, now),
            )
        )
    from bot.picks.settings import parse_picks

    wanted = parse_picks(config.picks, config.where()).queue_paragraphs
    queue = []
    for entry in pending(store):
        served = progress(store, entry, [a.name for a in accounts], wanted)
        if served and all(n >= wanted for n in served.values()):
            continue  # every account has posted what the editor asked for; the next slot closes it
        queue.append(
            {
                "ref_id": entry.ref_id,
                "account": entry.account,
                "requested_at": entry.requested_at.isoformat(),
                "requested_by": entry.requested_by,
                "paragraphs_wanted": wanted,
                "posted": served,
            }
        )
    queue_done = [
        {
            "ref_id": e.ref_id,
            "account": e.account,
            "requested_at": e.requested_at.isoformat(),
            "requested_by": e.requested_by,
            "done_at": e.done_at.isoformat() if e.done_at else None,
        }
        for e in finished(store, recent)
    ]
    ledger = Ledger(store.engine)
    recent_posts = [e.as_dict() for e in ledger.history(limit=recent)]
    failures: list[dict[str, Any]] = []
    for row in slots.recent(store.engine, limit=recent, statuses=("failed",)):
        failures.append(
            {
                "kind": "slot",
                "account": row.account,
                "due_at": row.due_at.isoformat(),
                "ref_id": row.ref_id,
                "paragraph": row.paragraph,
                "reason": row.reason,
                "at": (row.finished_at or row.due_at).isoformat(),
            }
        )
    for entry in _unsettled(store, recent, (FAILED, UNKNOWN)):
        failures.append({"kind": "post", **entry.as_dict(), "reason": entry.error})
    return WorkerStatus(accounts, queue, recent_posts, failures, queue_done)


def _unsettled(store: Store, limit: int, statuses: tuple[str, ...]) -> list:
    """The ledger's newest posts in `statuses` (failed: rejected for good; unknown: not resolved yet)."""
    from sqlalchemy import select

    from bot.store.ledger import LedgerEntry, posts

    query = select(posts).where(posts.c.status.in_(statuses)).order_by(posts.c.updated_at.desc()).limit(limit)
    with store.read() as conn:
        return [LedgerEntry(**row._mapping) for row in conn.execute(query)]
