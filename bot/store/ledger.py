"""The ledger: every post cablebot plans or makes, one row per post of a thread, and login sessions.

A post moves planned -> sending -> sent (remote id and URL), or to failed (the network's reason, not
retried) or unknown (the outcome was not seen: a crash or timeout after the request left). Each change
is its own short transaction, written before and after each network call, so that after any crash the
ledger says exactly which posts may need checking (`sending`, `unknown`) and none is half-recorded.

A paragraph counts as posted by an account when it has any ledger row that is not failed; `--force`
posts it again as a new generation (the rows of a thread are unique per account, cable, paragraph,
generation and position).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from bot.store.engine import store_errors
from bot.store.schema import UTCDateTime, cables, metadata, paragraphs

PLANNED, SENDING, SENT, FAILED, UNKNOWN = "planned", "sending", "sent", "failed", "unknown"
STATUSES = (PLANNED, SENDING, SENT, FAILED, UNKNOWN)

posts = Table(
    "posts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account", String(128), nullable=False),
    Column("network", String(32), nullable=False),
    Column("ref_id", String(64), nullable=False),
    Column("paragraph_id", Integer, ForeignKey("paragraphs.id", ondelete="SET NULL")),
    Column("paragraph", String(16), nullable=False),
    Column("generation", Integer, nullable=False, server_default="0"),
    Column("thread_key", String(255), nullable=False),
    Column("position", Integer, nullable=False),  # 1-based within the thread
    Column("parts", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("remote_id", Text),
    Column("url", Text),
    Column("error", Text),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("account", "ref_id", "paragraph", "generation", "position"),
    # "Has this account posted this paragraph?" and "what did it post lately?" (the picker's next query).
    Index(None, "account", "paragraph_id"),
    Index(None, "account", "created_at"),
    Index(None, "thread_key"),
    Index(None, "status"),
)

network_sessions = Table(
    "network_sessions",
    metadata,
    Column("account", String(128), primary_key=True),
    Column("session", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: int
    account: str
    network: str
    ref_id: str
    paragraph_id: int | None
    paragraph: str
    generation: int
    thread_key: str
    position: int
    parts: int
    status: str
    text: str
    remote_id: str | None
    url: str | None
    error: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime

    def as_dict(self) -> dict[str, object]:
        """The entry as `history --format json` shows it (`at`: when it last changed)."""
        return {
            "account": self.account,
            "network": self.network,
            "ref_id": self.ref_id,
            "paragraph": self.paragraph,
            "generation": self.generation,
            "position": self.position,
            "parts": self.parts,
            "status": self.status,
            "remote_id": self.remote_id,
            "url": self.url,
            "error": self.error,
            "attempts": self.attempts,
            "at": self.updated_at.isoformat(),
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class PlannedPost:
    """What the ledger needs to plan one post of a thread."""

    position: int
    text: str


def thread_key(account: str, ref_id: str, paragraph: str, generation: int) -> str:
    """The deterministic idempotency key of one thread: the same on every attempt, on every replica."""
    return f"{account}/{ref_id}/{paragraph}/{generation}"


class Ledger:
    def __init__(self, engine: Engine, clock: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self.clock = clock or (lambda: datetime.now(UTC))

    # -- reading ---------------------------------------------------------------------------------

    def thread(self, key: str) -> list[LedgerEntry]:
        with store_errors(self.engine.url), self.engine.connect() as conn:
            rows = conn.execute(select(posts).where(posts.c.thread_key == key).order_by(posts.c.position))
            return [LedgerEntry(**row._mapping) for row in rows]

    def posted(self, account: str, ref_id: str, paragraph: str) -> list[LedgerEntry]:
        """Every row that makes this paragraph count as posted by the account (all but failed ones)."""
        query = (
            select(posts)
            .where(
                posts.c.account == account,
                posts.c.ref_id == ref_id,
                posts.c.paragraph == paragraph,
                posts.c.status != FAILED,
            )
            .order_by(posts.c.generation, posts.c.position)
        )
        with store_errors(self.engine.url), self.engine.connect() as conn:
            return [LedgerEntry(**row._mapping) for row in conn.execute(query)]

    def latest_generation(self, account: str, ref_id: str, paragraph: str) -> int | None:
        query = select(func.max(posts.c.generation)).where(
            posts.c.account == account, posts.c.ref_id == ref_id, posts.c.paragraph == paragraph
        )
        with store_errors(self.engine.url), self.engine.connect() as conn:
            return conn.execute(query).scalar()

    def history(self, account: str | None = None, limit: int | None = None) -> list[LedgerEntry]:
        """Newest threads first, the posts of a thread in order."""
        query = select(posts)
        if account:
            query = query.where(posts.c.account == account)
        query = query.order_by(posts.c.created_at.desc(), posts.c.thread_key, posts.c.position)
        if limit:
            query = query.limit(limit)
        with store_errors(self.engine.url), self.engine.connect() as conn:
            return [LedgerEntry(**row._mapping) for row in conn.execute(query)]

    def pending(self, account: str | None = None) -> list[LedgerEntry]:
        """Posts not settled: planned, being sent, or of unknown outcome (what a restart must resume)."""
        query = select(posts).where(posts.c.status.in_((PLANNED, SENDING, UNKNOWN)))
        if account:
            query = query.where(posts.c.account == account)
        with store_errors(self.engine.url), self.engine.connect() as conn:
            rows = conn.execute(query.order_by(posts.c.created_at, posts.c.thread_key, posts.c.position))
            return [LedgerEntry(**row._mapping) for row in rows]

    def paragraph_id(self, ref_id: str, number: str) -> int | None:
        """The stored paragraph a post cites (the first with that number: the one its anchor lands on)."""
        query = (
            select(paragraphs.c.id)
            .join(cables, cables.c.id == paragraphs.c.cable_id)
            .where(cables.c.ref_id == ref_id, paragraphs.c.number == number)
            .order_by(paragraphs.c.position)
            .limit(1)
        )
        with store_errors(self.engine.url), self.engine.connect() as conn:
            return conn.execute(query).scalar()

    # -- writing: each call is one short transaction ---------------------------------------------

    def plan(
        self,
        *,
        account: str,
        network: str,
        ref_id: str,
        paragraph: str,
        generation: int,
        texts: Sequence[str],
        paragraph_id: int | None = None,
    ) -> list[LedgerEntry]:
        """The thread's rows, planned now unless they exist already (a thread being resumed).

        A thread none of whose posts reached the network is re-planned with the new texts (an editor may
        have fixed a template after a rejection); one with any post out keeps its rows.
        """
        key = thread_key(account, ref_id, paragraph, generation)
        existing = self.thread(key)
        if existing and any(e.status not in (PLANNED, FAILED) for e in existing):
            return existing
        if existing and [e.text for e in existing] == list(texts):
            return existing
        now = self.clock()
        created = existing[0].created_at if existing else now
        rows = [
            {
                "account": account,
                "network": network,
                "ref_id": ref_id,
                "paragraph_id": paragraph_id,
                "paragraph": paragraph,
                "generation": generation,
                "thread_key": key,
                "position": position,
                "parts": len(texts),
                "status": PLANNED,
                "text": text,
                "attempts": 0,
                "created_at": created,
                "updated_at": now,
            }
            for position, text in enumerate(texts, start=1)
        ]
        try:
            with store_errors(self.engine.url), self.engine.begin() as conn:
                if existing:
                    conn.execute(
                        delete(posts).where(posts.c.thread_key == key, posts.c.status.in_((PLANNED, FAILED)))
                    )
                conn.execute(insert(posts), rows)
        except IntegrityError:
            pass  # another process planned it first: theirs stands
        return self.thread(key)

    def mark(
        self,
        entry_id: int,
        status: str,
        *,
        remote_id: str | None = None,
        url: str | None = None,
        error: str | None = None,
        attempt: bool = False,
    ) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown ledger status {status!r}")
        values: dict[str, object] = {"status": status, "updated_at": self.clock(), "error": error}
        if remote_id is not None:
            values["remote_id"] = remote_id
        if url is not None:
            values["url"] = url
        if attempt:
            values["attempts"] = posts.c.attempts + 1
        with store_errors(self.engine.url), self.engine.begin() as conn:
            conn.execute(update(posts).where(posts.c.id == entry_id).values(**values))

    def mark_many(self, entry_ids: Iterable[int], status: str, *, error: str | None = None) -> None:
        ids = list(entry_ids)
        if not ids:
            return
        with store_errors(self.engine.url), self.engine.begin() as conn:
            conn.execute(
                update(posts)
                .where(and_(posts.c.id.in_(ids), posts.c.status != SENT))
                .values(status=status, error=error, updated_at=self.clock())
            )


class DatabaseSessions:
    """Login sessions kept in the store (`network_sessions`): they survive restarts on hosts with no disk."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self.clock = clock or (lambda: datetime.now(UTC))

    def load(self, account: str) -> str | None:
        with store_errors(self.engine.url), self.engine.connect() as conn:
            return conn.execute(
                select(network_sessions.c.session).where(network_sessions.c.account == account)
            ).scalar()

    def save(self, account: str, session: str) -> None:
        """Insert or replace, in one statement: replicas refreshing at once never collide."""
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert
        now = self.clock()
        statement = upsert(network_sessions).values(account=account, session=session, updated_at=now)
        statement = statement.on_conflict_do_update(
            index_elements=[network_sessions.c.account], set_={"session": session, "updated_at": now}
        )
        with store_errors(self.engine.url), self.engine.begin() as conn:
            conn.execute(statement)
