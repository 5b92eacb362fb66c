"""The editors' queue: cables an editor wants posted in the next slots, ahead of the picker's own choice.

`cablebot queue REFID [--account NAME]` adds a row to the store's `queue` table; the picker's `next`
serves queued cables first (bot.worker.choose). A cable must be in the store to be queued, and a named
account must exist in the config: both are checked here so the editor hears about it at once, not at
the next slot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from bot.config import Config
from bot.errors import ConfigError
from bot.store import Store
from bot.store.schema import cables, queue


@dataclass(frozen=True, slots=True)
class QueueEntry:
    id: int
    ref_id: str
    account: str | None  # None: every account
    requested_at: datetime
    requested_by: str | None
    done_at: datetime | None


def enqueue(
    store: Store,
    config: Config,
    ref_id: str,
    now: datetime,
    account: str | None = None,
    requested_by: str | None = None,
) -> tuple[QueueEntry, bool]:
    """Queue `ref_id` for one account or all: (the new entry, True), or (the one already waiting, False)."""
    ref_id = ref_id.strip().upper()  # as `cablebot show` reads it
    if account is not None and account not in config.accounts:
        known = ", ".join(sorted(config.accounts)) or "none"
        raise ConfigError(f"{config.where()}: no account {account!r} to queue for (accounts: {known})")
    with store.read() as conn:
        found = conn.execute(select(cables.c.ref_id).where(cables.c.ref_id == ref_id)).scalar()
    if found is None:
        from bot.errors import UnknownCable

        raise UnknownCable(ref_id)
    with store.write() as conn:
        same = select(queue).where(queue.c.ref_id == ref_id, queue.c.done_at.is_(None))
        same = same.where(queue.c.account.is_(None) if account is None else queue.c.account == account)
        existing = conn.execute(same).mappings().first()
        if existing is not None:
            return QueueEntry(**existing), False
        row = (
            conn.execute(
                insert(queue)
                .values(ref_id=ref_id, account=account, requested_at=now, requested_by=requested_by)
                .returning(*queue.c)
            )
            .mappings()
            .one()
        )
    return QueueEntry(**row), True


def pending(store: Store) -> list[QueueEntry]:
    """Cables waiting in the queue, oldest request first (the order they are served in)."""
    with store.read() as conn:
        rows = conn.execute(
            select(queue).where(queue.c.done_at.is_(None)).order_by(queue.c.requested_at, queue.c.id)
        ).mappings()
        return [QueueEntry(**r) for r in rows]


def finished(store: Store, limit: int) -> list[QueueEntry]:
    """The newest entries the worker closed as served (`done_at`; see
    bot.worker.choose.finish_served_queue)."""
    with store.read() as conn:
        rows = conn.execute(
            select(queue).where(queue.c.done_at.is_not(None)).order_by(queue.c.done_at.desc()).limit(limit)
        ).mappings()
        return [QueueEntry(**r) for r in rows]


def progress(store: Store, entry: QueueEntry, accounts: list[str], wanted: int) -> dict[str, int]:
    """How many of the cable's paragraphs each account posted since the editor queued it (the picker
    serves a queued cable until `[picks] queue_paragraphs` of them are out, see bot.worker.choose)."""
    from sqlalchemy import func

    from bot.store.ledger import FAILED, posts

    names = [entry.account] if entry.account else accounts
    with store.read() as conn:
        rows = conn.execute(
            select(posts.c.account, func.count(func.distinct(posts.c.paragraph)))
            .where(
                posts.c.ref_id == entry.ref_id,
                posts.c.created_at >= entry.requested_at,
                posts.c.status != FAILED,
                posts.c.account.in_(names),
            )
            .group_by(posts.c.account)
        ).all()
    counts = {account: count for account, count in rows}
    return {name: min(counts.get(name, 0), wanted) for name in names}
