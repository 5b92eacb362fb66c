"""Slots in the database: which worker posts which slot, decided by the database alone.

A slot is claimed by inserting its row; the unique (account, due_at) constraint lets exactly one
insert win, however many replicas try at once, on SQLite and PostgreSQL alike. A claim whose worker
died (its process is gone, or it has not finished within the lease) is taken over with a
compare-and-set update, so a slot is never lost to a crash and never run by two live workers.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.store.schema import UTCDateTime, metadata
from bot.worker.schedule import Slot

Status = Literal["claimed", "posted", "skipped", "failed"]
# A live worker finishes a slot well within this (network calls time out, retries are bounded);
# past it, a claim from another host is presumed dead and taken over.
LEASE = timedelta(minutes=10)

slots = Table(
    "slots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account", String(128), nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("kind", String(16), nullable=False),  # scheduled | manual (worker --once)
    Column("status", String(16), nullable=False),
    Column("claimed_by", String(200)),
    Column("claimed_at", UTCDateTime),
    Column("retry_at", UTCDateTime),  # set while the slot waits: a rate limit's reset, a back-off
    Column(
        "attempts", Integer, nullable=False, server_default="0"
    ),  # tries that failed for a transient reason
    Column("finished_at", UTCDateTime),
    Column("ref_id", String(64)),  # what the slot posts, once picked
    Column("paragraph", String(16)),
    Column("ledger_key", Text),  # the ledger's thread key for that post
    Column("reason", Text),  # why it was skipped or failed, for an editor
    UniqueConstraint("account", "due_at"),
    Index(None, "status", "account"),
)


@dataclass(frozen=True, slots=True)
class SlotRow:
    id: int
    account: str
    due_at: datetime
    kind: str
    status: str
    claimed_by: str | None
    claimed_at: datetime | None
    retry_at: datetime | None
    attempts: int
    finished_at: datetime | None
    ref_id: str | None
    paragraph: str | None
    ledger_key: str | None
    reason: str | None


def worker_id() -> str:
    """host:pid:token. The token tells this run from an earlier one that had the same pid (containers)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def _insert(conn: Connection):
    return pg_insert(slots) if conn.dialect.name == "postgresql" else sqlite_insert(slots)


def _row(mapping) -> SlotRow:
    return SlotRow(**{name: mapping[name] for name in SlotRow.__slots__})


def claim(engine: Engine, slot: Slot, me: str, now: datetime, kind: str = "scheduled") -> SlotRow | None:
    """Claim `slot` for this worker: its row, or None when another worker (or an earlier run) has it."""
    with engine.begin() as conn:
        stmt = (
            _insert(conn)
            .values(
                account=slot.account,
                due_at=slot.due_at,
                kind=kind,
                status="claimed",
                claimed_by=me,
                claimed_at=now,
            )
            .on_conflict_do_nothing(index_elements=["account", "due_at"])
            .returning(*slots.c)
        )
        row = conn.execute(stmt).mappings().first()
    return _row(row) if row else None


def record_skip(engine: Engine, slot: Slot, reason: str, now: datetime) -> bool:
    """Record that `slot` is passed over (unless some worker has it already); True when recorded."""
    with engine.begin() as conn:
        stmt = (
            _insert(conn)
            .values(
                account=slot.account,
                due_at=slot.due_at,
                kind="scheduled",
                status="skipped",
                finished_at=now,
                reason=reason,
            )
            .on_conflict_do_nothing(index_elements=["account", "due_at"])
            .returning(slots.c.id)
        )
        return conn.execute(stmt).first() is not None


def _owned(row: SlotRow, me: str):
    return and_(slots.c.id == row.id, slots.c.status == "claimed", slots.c.claimed_by == me)


def set_pick(engine: Engine, row: SlotRow, me: str, ref_id: str, paragraph: str, ledger_key: str) -> SlotRow:
    """Write down what the slot posts before posting it, so that a worker taking it over posts the same."""
    with engine.begin() as conn:
        conn.execute(
            update(slots)
            .where(_owned(row, me))
            .values(ref_id=ref_id, paragraph=paragraph, ledger_key=ledger_key)
        )
    return SlotRow(**{**_asdict(row), "ref_id": ref_id, "paragraph": paragraph, "ledger_key": ledger_key})


def finish(
    engine: Engine, row: SlotRow, me: str, status: Status, now: datetime, reason: str | None = None
) -> bool:
    """Close a slot this worker holds; False when it no longer holds it (taken over)."""
    with engine.begin() as conn:
        done = conn.execute(
            update(slots)
            .where(_owned(row, me))
            .values(status=status, finished_at=now, reason=reason, retry_at=None)
        )
    return done.rowcount == 1


def pause(
    engine: Engine, row: SlotRow, me: str, until: datetime, reason: str, failed_try: bool = False
) -> None:
    """Keep the slot, to be retried at `until` (a rate limit's reset, a back-off) by whichever worker is
    free then; `failed_try` counts one more transient failure."""
    values: dict = {"retry_at": until, "reason": reason}
    if failed_try:
        values["attempts"] = slots.c.attempts + 1
    with engine.begin() as conn:
        conn.execute(update(slots).where(_owned(row, me)).values(**values))


def _asdict(row: SlotRow) -> dict:
    return {name: getattr(row, name) for name in SlotRow.__slots__}


def _is_dead(claimed_by: str | None, me: str) -> bool:
    """True when the claim belongs to a process of this host that no longer runs."""
    if not claimed_by:
        return True
    host, _, rest = claimed_by.partition(":")
    pid_text = rest.partition(":")[0]
    my_host = me.partition(":")[0]
    if host != my_host or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return claimed_by != me  # an earlier run that had this pid (a restarted container)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def open_claims(engine: Engine, account: str | None = None) -> list[SlotRow]:
    with engine.connect() as conn:
        query = select(slots).where(slots.c.status == "claimed").order_by(slots.c.due_at)
        if account is not None:
            query = query.where(slots.c.account == account)
        return [_row(r) for r in conn.execute(query).mappings()]


def take_over(engine: Engine, me: str, now: datetime, account: str | None = None) -> list[SlotRow]:
    """Claims left by dead workers, or paused ones whose wait is over, now held by this worker."""
    taken = []
    for row in open_claims(engine, account):
        if row.claimed_by == me and row.retry_at is None:
            continue
        waited = row.retry_at is not None and row.retry_at <= now
        paused = row.retry_at is not None and row.retry_at > now
        expired = row.claimed_at is not None and row.claimed_at < now - LEASE
        if paused or not (waited or expired or _is_dead(row.claimed_by, me)):
            continue
        with engine.begin() as conn:
            guard = [slots.c.id == row.id, slots.c.status == "claimed"]
            guard.append(
                slots.c.claimed_by == row.claimed_by if row.claimed_by else slots.c.claimed_by.is_(None)
            )
            guard.append(
                slots.c.claimed_at == row.claimed_at if row.claimed_at else slots.c.claimed_at.is_(None)
            )
            done = conn.execute(
                update(slots).where(*guard).values(claimed_by=me, claimed_at=now, retry_at=None)
            )
        if done.rowcount == 1:
            taken.append(SlotRow(**{**_asdict(row), "claimed_by": me, "claimed_at": now, "retry_at": None}))
    return taken


def waiting(engine: Engine, account: str, now: datetime) -> SlotRow | None:
    """The account's slot waiting for a rate limit to reset or a back-off to pass, if any: the account
    posts nothing else until then (no burst afterwards)."""
    with engine.connect() as conn:
        row = (
            conn.execute(
                select(slots)
                .where(slots.c.account == account, slots.c.status == "claimed", slots.c.retry_at > now)
                .order_by(slots.c.retry_at.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
    return _row(row) if row else None


def paused_until(engine: Engine, account: str, now: datetime) -> datetime | None:
    row = waiting(engine, account, now)
    return row.retry_at if row else None


def pause_reason(row: SlotRow) -> str:
    return f"account paused until {row.retry_at:%Y-%m-%d %H:%M:%S} UTC ({row.reason or 'waiting'})"


def last_due(engine: Engine, account: str) -> datetime | None:
    """The newest scheduled slot any worker has handled for this account."""
    with engine.connect() as conn:
        return conn.execute(
            select(func.max(slots.c.due_at)).where(slots.c.account == account, slots.c.kind == "scheduled")
        ).scalar()


def recent(engine: Engine, limit: int = 20, statuses: tuple[str, ...] | None = None) -> list[SlotRow]:
    with engine.connect() as conn:
        query = select(slots).order_by(slots.c.due_at.desc(), slots.c.id.desc()).limit(limit)
        if statuses:
            query = query.where(slots.c.status.in_(statuses))
        return [_row(r) for r in conn.execute(query).mappings()]


def slots_between(engine: Engine, start: datetime, end: datetime) -> list[SlotRow]:
    with engine.connect() as conn:
        query = (
            select(slots)
            .where(slots.c.due_at >= start, slots.c.due_at <= end)
            .order_by(slots.c.account, slots.c.due_at)
        )
        return [_row(r) for r in conn.execute(query).mappings()]


def utcnow() -> datetime:
    return datetime.now(UTC)


@contextmanager
def pick_lock(engine: Engine, account: str) -> Iterator[None]:
    """One worker at a time chooses an account's next paragraph and plans it in the ledger, so that two
    replicas serving consecutive slots never choose the same paragraph.

    PostgreSQL: a session advisory lock (released by the server if the worker dies). SQLite lives on one
    host: an exclusive lock on a file beside the database (released by the kernel if the worker dies);
    a database lock would block the very writes made while holding it.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            key = f"cablebot.pick.{account}"
            conn.execute(text("SELECT pg_advisory_lock(hashtext(:key))"), {"key": key})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(hashtext(:key))"), {"key": key})
                conn.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    import fcntl

    path = Path(database).with_name(Path(database).name + ".pick.lock")
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
