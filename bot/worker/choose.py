"""What an account should post next: an indexed query over the picker's stored scores, the ledger and the
editors' queue. It lives with the worker, the edge that reads both ends of the data flow (picks and the
ledger), so that the picker itself never reads what was posted.

    choose_next(conn, account, settings, n=1) -> [Choice, ...]

The rules, in order:
1. Never a paragraph the account has any ledger row for, whatever its status or generation, whatever
   else is true: only an editor's `--force` on the post command posts one again. A post the network
   rejected for good (`failed`) waits for an editor too: choosing it again would only meet the same
   rejection at every slot.
2. An editor's queue first: the pending entries of `queue` for this account (or for any account), oldest
   first; each serves its cable's best unposted paragraphs, up to `[picks] queue_paragraphs` of them.
   `finish_served_queue` closes an entry (`done_at`) once every account it names is served.
3. Otherwise the best-scored postable paragraph (anchored, not blocked), read through the
   `ix_paragraphs_next` index (score DESC): a few hundred candidates, never a scan of the corpus, and
   weighed on the index alone (score, cable, number, id), their paragraph rows never read.
4. No two posts from the same cable within `[picks] same_cable_window` (the queue is exempt: an editor
   asked for that cable).
5. Variety: among the candidates, a paragraph whose origin or year the account posted recently
   (its last `[picks.variety] recent_posts` posts) loses `origin_penalty` / `year_penalty`.
6. The stored block decision is checked again against the current config (exclusions, blocked keywords,
   protection patterns and releases), so an editor's change applies at once, before any rescore.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, literal, not_, or_, select, text, update

from bot.errors import UnknownCable
from bot.picks.score import score_cable
from bot.picks.settings import PickSettings, format_duration
from bot.store.ledger import FAILED, posts
from bot.store.schema import cables, paragraphs, queue

_POSTABLE = text("paragraphs.anchored AND NOT paragraphs.blocked")


@dataclass(frozen=True)
class Choice:
    """A paragraph the account would post, and why this one."""

    ref_id: str
    number: str
    paragraph_id: int
    score: float  # as stored at ingest
    rank: float  # after variety penalties
    origin: str
    created: datetime
    reasons: dict[str, float] = field(default_factory=dict)
    why: tuple[str, ...] = ()
    queued: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "ref_id": self.ref_id,
            "number": self.number,
            "score": self.score,
            "rank": self.rank,
            "origin": self.origin,
            "created": self.created.isoformat(),
            "queued": self.queued,
            "why": list(self.why),
            "reasons": self.reasons,
        }


def _not_posted(account: str):
    """No ledger row at all (any status, any generation) of this account for this paragraph.

    Checked row by row through the ledger's unique key (account, ref_id, paragraph...), as the score
    index yields candidates. The OFFSET 0 keeps PostgreSQL from turning the check into a join, whose plan
    depends on table statistics: right after a bulk load they are stale, and the join took 200 ms where
    the per-row probe takes a few.
    """
    posted = (
        select(literal(1))
        .where(
            posts.c.account == account,
            posts.c.ref_id == cables.c.ref_id,
            posts.c.paragraph == paragraphs.c.number,
        )
        .offset(0)
    )
    return not_(posted.exists())


def _not_linked_to_a_post(account: str):
    """Not a paragraph row that one of the account's ledger rows names by id (`posts.paragraph_id`).

    Implied by `_not_posted` (a post records the row of the paragraph it cites: same cable, same
    number), and cheaper by far: it is decided on the score index alone, before the paragraph's row or
    its cable's row is read. The account's best paragraphs are the ones it posted, so the score index
    starts with them: without this test each costs a paragraph row, a cable row and a ledger probe
    before it is passed over (bench/next.py, 2,000 posts on SQLite: 6,700 pages read against 700, and
    380-470 ms against 50-65 ms with the OS page cache emptied). `_not_posted` still decides the rows
    no post names by id: those of a post planned without it, or whose paragraph row a re-ingest
    replaced.
    """
    linked = select(posts.c.paragraph_id).where(posts.c.account == account, posts.c.paragraph_id.is_not(None))
    return paragraphs.c.id.not_in(linked)


def _outside_window(account: str, since: datetime):
    """No post of this account from this paragraph's cable since `since` (the same-cable window).

    A correlated probe rather than a list of the window's cables: at a high post rate that list runs
    into thousands, and each length is a new statement. The probe reads the account's posts of this one
    cable through the ledger's unique (account, ref_id, ...) key and compares their latest time. A range
    on (account, created_at) reads every post of the window for each candidate instead: `next` took
    67 ms that way against 15 ms this way with 2,000 posts in the window (bench/next.py --in-window 2000).
    """
    recent = (
        select(literal(1))
        .where(posts.c.account == account, posts.c.ref_id == cables.c.ref_id, posts.c.status != FAILED)
        .group_by(posts.c.ref_id)
        .having(func.max(posts.c.created_at) >= since)
    )
    return not_(recent.exists())


def _columns():
    """What `next` reads of a paragraph it weighs: all in the `ix_paragraphs_next` index but the cable's
    columns, so that the candidates' own rows are never read (their reasons are, for the chosen)."""
    return (
        paragraphs.c.id,
        paragraphs.c.number,
        paragraphs.c.score,
        cables.c.ref_id,
        cables.c.origin,
        cables.c.created,
    )


def _reasons(conn: Connection, paragraph_ids: list[int]) -> dict[int, Any]:
    """The stored reasons of the chosen paragraphs, by id."""
    rows = conn.execute(
        select(paragraphs.c.id, paragraphs.c.reasons).where(
            paragraphs.c.id.in_(bindparam("ids", expanding=True))
        ),
        {"ids": paragraph_ids},
    )
    return dict(rows.all())


def recent_mix(conn: Connection, account: str, limit: int) -> tuple[dict[str, int], dict[int, int]]:
    """How often each origin and year appears among the account's last `limit` posted cables."""
    if limit <= 0:
        return {}, {}
    latest = _latest_cables(conn, account, limit)
    rows = conn.execute(
        select(cables.c.origin, cables.c.created).where(
            cables.c.ref_id.in_(bindparam("latest", expanding=True))
        ),
        {"latest": latest},
    )
    origins: dict[str, int] = {}
    years: dict[int, int] = {}
    for origin, created in rows:
        origins[origin] = origins.get(origin, 0) + 1
        years[created.year] = years.get(created.year, 0) + 1
    return origins, years


def _latest_cables(conn: Connection, account: str, limit: int) -> list[str]:
    """The account's last `limit` posted cables (failed posts not counted), newest first.

    Its posts are read newest first through the (account, created_at) index, a few more than `limit`
    (a thread has a row per post; a cable may have had several paragraphs posted), and more only when
    those hold fewer than `limit` cables: not every post the account ever made, as a GROUP BY would.
    A cable's first row in that order is its latest post, so the order is that of its latest post.
    """
    want = 4 * limit
    while True:
        ref_ids = (
            conn.execute(
                select(posts.c.ref_id)
                .where(posts.c.account == account, posts.c.status != FAILED)
                .order_by(posts.c.created_at.desc())
                .limit(want)
            )
            .scalars()
            .all()
        )
        latest = list(dict.fromkeys(ref_ids))[:limit]
        if len(latest) == limit or len(ref_ids) < want:
            return latest
        want *= 4


@dataclass(frozen=True)
class _QueueServing:
    """Where one queue entry stands for one account."""

    served: int  # distinct paragraphs of the cable posted since the editor asked (failed ones not counted)
    left: list[Any]  # the cable's postable paragraphs the account has no ledger row for, best first

    def done(self, settings: PickSettings) -> bool:
        return self.served >= settings.queue_paragraphs or not self.left


def _queue_serving(conn: Connection, account: str, ref_id: str, requested_at: datetime) -> _QueueServing:
    rows = conn.execute(
        select(posts.c.paragraph, posts.c.created_at, posts.c.status).where(
            posts.c.account == account, posts.c.ref_id == ref_id
        )
    ).all()
    served = {paragraph for paragraph, at, status in rows if status != FAILED and at >= requested_at}
    touched = {paragraph for paragraph, _, _ in rows}
    # One cable's rows, read through its own key and ranked here: a score-ordered query would tempt
    # the planner into walking the whole score index for one cable.
    paragraph_rows = conn.execute(
        select(
            *_columns(),
            paragraphs.c.reasons,
            paragraphs.c.anchored,
            paragraphs.c.blocked,
            paragraphs.c.position,
        )
        .join(cables, cables.c.id == paragraphs.c.cable_id)
        .where(cables.c.ref_id == ref_id)
    ).all()
    left = sorted(
        (
            r
            for r in paragraph_rows
            if r.anchored and not r.blocked and r.score is not None and r.number not in touched
        ),
        key=lambda r: (-r.score, r.position),
    )
    return _QueueServing(len(served), left)


def _pending_queue(conn: Connection, account: str | None = None) -> list[Any]:
    """Queue entries not done, oldest first: every one, or those for `account` or for any account."""
    query = select(queue.c.id, queue.c.ref_id, queue.c.account, queue.c.requested_at).where(
        queue.c.done_at.is_(None)
    )
    if account is not None:
        query = query.where(or_(queue.c.account.is_(None), queue.c.account == account))
    return list(conn.execute(query.order_by(queue.c.requested_at, queue.c.id)).all())


def _queued(conn: Connection, account: str, settings: PickSettings) -> list[tuple[list[Any], datetime]]:
    """For each pending queue entry the account has not been served yet (oldest first), its cable's
    paragraphs the account has not posted, best first."""
    found = []
    for entry in _pending_queue(conn, account):
        serving = _queue_serving(conn, account, entry.ref_id, entry.requested_at)
        if not serving.done(settings):
            found.append((serving.left, entry.requested_at))
    return found


def finish_served_queue(
    conn: Connection, accounts: Sequence[str], settings: PickSettings, now: datetime
) -> list[int]:
    """Close (`done_at = now`) the pending queue entries whose accounts have all been served.

    An account is served by an entry once it has posted `[picks] queue_paragraphs` of the cable's
    paragraphs since the editor asked, or has no postable paragraph of it left. An entry for every
    account waits for each of `accounts` (the accounts being served). Run on a writing connection; the
    ids closed are returned. Closing twice is harmless: only entries still open are updated.
    """
    closed = []
    for entry in _pending_queue(conn):
        names = [entry.account] if entry.account else list(accounts)
        if not names:
            continue
        if all(_queue_serving(conn, name, entry.ref_id, entry.requested_at).done(settings) for name in names):
            closed.append(entry.id)
    if closed:
        conn.execute(
            update(queue).where(queue.c.id.in_(closed), queue.c.done_at.is_(None)).values(done_at=now)
        )
    return closed


def _candidates(
    conn: Connection, account: str, settings: PickSettings, skip: set[str], since: datetime
) -> list[Any]:
    conditions = [
        _POSTABLE,
        paragraphs.c.score.is_not(None),
        _not_linked_to_a_post(account),
        _not_posted(account),
        _outside_window(account, since),
    ]
    excluded = skip | set(settings.exclude_cables)  # a few: this call's picks and the editors' list
    if excluded:
        conditions.append(cables.c.ref_id.not_in(sorted(excluded)))
    query = (
        select(*_columns())
        .join(cables, cables.c.id == paragraphs.c.cable_id)
        .where(and_(*conditions))
        .order_by(paragraphs.c.score.desc())
        .limit(settings.candidates)
    )
    return conn.execute(query).all()


def _still_allowed(conn: Connection, row: Any, settings: PickSettings, cache: dict[str, Any]) -> bool:
    """Check the stored block decision against the current config (cheap: one cable)."""
    from bot.store.cables import get_cable

    cable = cache.get(row.ref_id)
    if cable is None:
        try:
            cable = cache[row.ref_id] = get_cable(conn, row.ref_id)
        except UnknownCable:
            return False
    for para, score in zip(cable.paragraphs, score_cable(cable, settings), strict=True):
        if para.number == row.number and para.url is not None:
            return not score.blocked
    return False


def choose_next(
    conn: Connection, account: str, settings: PickSettings, n: int = 1, now: datetime | None = None
) -> list[Choice]:
    """The next `n` paragraphs the account would post, in order, each from a different cable."""
    now = now or datetime.now(UTC)
    origins, years = recent_mix(conn, account, settings.recent_posts)
    chosen: list[Choice] = []
    used: set[str] = set()
    cables_cache: dict[str, Any] = {}

    for left, requested_at in _queued(conn, account, settings):
        if len(chosen) >= n:
            break
        row = next((r for r in left if _still_allowed(conn, r, settings, cables_cache)), None)
        if row is None or row.ref_id in used:
            continue
        used.add(row.ref_id)
        chosen.append(
            _choice(
                row,
                float(row.score),
                (f"an editor queued this cable on {requested_at:%Y-%m-%d %H:%M}",),
                True,
                row.reasons,
            )
        )

    if len(chosen) < n:
        since = now - settings.same_cable_window
        # Each candidate with what its rank needs, read off the row once, not at each of the n rounds.
        pool = [
            (row, row.ref_id, float(row.score), row.origin, row.created.year)
            for row in _candidates(conn, account, settings, used, since)
        ]
        picked: list[tuple[Any, float, tuple[str, ...]]] = []
        while len(chosen) + len(picked) < n and pool:
            best_i, best_rank = -1, float("-inf")
            seen_cables: set[str] = set()
            for i, (_, ref_id, score, origin, year) in enumerate(pool):
                if ref_id in seen_cables:
                    continue  # a cable's best paragraph stands for it; the rest wait for the window
                seen_cables.add(ref_id)
                rank = _ranked(score, origin, year, origins, years, settings)
                if rank > best_rank:
                    best_i, best_rank = i, rank
            row = pool.pop(best_i)[0]
            best_why = _variety(row, origins, years, settings)
            if not _still_allowed(conn, row, settings, cables_cache):
                continue
            window_note = (
                f"not posted from this cable in the last {format_duration(settings.same_cable_window)}",
            )
            picked.append((row, best_rank, (*best_why, *window_note)))
            used.add(row.ref_id)
            pool = [weighed for weighed in pool if weighed[1] != row.ref_id]
            origins[row.origin] = origins.get(row.origin, 0) + 1
            years[row.created.year] = years.get(row.created.year, 0) + 1
        if picked:
            reasons = _reasons(conn, [row.id for row, _, _ in picked])
            chosen += [_choice(row, rank, why, False, reasons.get(row.id)) for row, rank, why in picked]
    return chosen


def _ranked(
    score: float,
    origin: str,
    year: int,
    origins: dict[str, int],
    years: dict[int, int],
    settings: PickSettings,
) -> float:
    """A candidate's score less the variety penalties its origin and year earn (see `_variety`)."""
    rank = score
    if origins.get(origin):
        rank -= settings.origin_penalty
    if years.get(year):
        rank -= settings.year_penalty
    return rank


def _variety(
    row: Any, origins: dict[str, int], years: dict[int, int], settings: PickSettings
) -> tuple[str, ...]:
    """Why the row ranks below its score, for the one chosen (not for each candidate weighed)."""
    why = []
    if origins.get(row.origin):
        why.append(f"variety: {row.origin} posted recently (-{settings.origin_penalty:g})")
    if years.get(row.created.year):
        why.append(f"variety: {row.created.year} posted recently (-{settings.year_penalty:g})")
    return tuple(why)


def _choice(row: Any, rank: float, why: tuple[str, ...], queued: bool, reasons: Any) -> Choice:
    return Choice(
        ref_id=row.ref_id,
        number=row.number,
        paragraph_id=row.id,
        score=float(row.score),
        rank=round(rank, 3),
        origin=row.origin,
        created=row.created,
        reasons=dict(reasons or {}),
        why=why,
        queued=queued,
    )
