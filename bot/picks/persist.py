"""Scores and corpus statistics in the store (the edge of bot.picks: the only part that does I/O at ingest).

`score_saved` is the scorer bot.ingest calls for each saved batch, inside the batch's own transaction:
it updates the corpus statistics with the batch (forgetting the paragraphs a fuller copy replaced),
scores the batch's paragraphs against the updated statistics, and writes both. `rescore` measures every
stored paragraph again against the current statistics and config (`cablebot pick --rescore`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, select

from bot.logs import get_logger, log
from bot.model import Cable
from bot.picks.corpus import CorpusDelta, CorpusStats
from bot.picks.score import Score, score_cable
from bot.picks.settings import PickSettings
from bot.picks.signals import read, terms
from bot.store.schema import cables, corpus_stats, paragraphs

if TYPE_CHECKING:
    from bot.store.cables import SavedCable

PARAGRAPHS_KEY = "paragraphs"
_CHUNK = 900  # below every SQLite build's limit on bound parameters per statement
_logger = get_logger("picks")


def load_stats(conn: Connection, wanted: Iterable[str]) -> CorpusStats:
    """The corpus statistics for the terms `wanted` (only those are read) and the paragraph total."""
    wanted = sorted(set(wanted))
    df: dict[str, int] = {}
    # Driver-level statements here and below: at ingest they run for every batch, and SQLAlchemy's
    # compilation of thousands of bound parameters would cost more than the work itself.
    if conn.dialect.name == "postgresql":
        if wanted:
            rows = conn.exec_driver_sql("SELECT term, df FROM corpus_terms WHERE term = ANY(%s)", (wanted,))
            df.update((term, n) for term, n in rows)
    else:
        for start in range(0, len(wanted), _CHUNK):
            chunk = tuple(wanted[start : start + _CHUNK])
            marks = ",".join("?" * len(chunk))
            rows = conn.exec_driver_sql(f"SELECT term, df FROM corpus_terms WHERE term IN ({marks})", chunk)
            df.update((term, n) for term, n in rows)
    total = conn.execute(select(corpus_stats.c.value).where(corpus_stats.c.key == PARAGRAPHS_KEY)).scalar()
    return CorpusStats(df, int(total or 0))


def _mark(conn: Connection) -> str:
    return "%s" if conn.dialect.name == "postgresql" else "?"


def apply_delta(conn: Connection, delta: CorpusDelta) -> None:
    """Add a batch's counts to the stored statistics (one upsert per changed term)."""
    changed = delta.changed()
    q = _mark(conn)
    if changed:
        conn.exec_driver_sql(
            f"INSERT INTO corpus_terms (term, df) VALUES ({q}, {q}) "
            "ON CONFLICT (term) DO UPDATE SET df = corpus_terms.df + excluded.df",
            [(t[:128], n) for t, n in changed.items()],
        )
    if delta.paragraphs:
        conn.exec_driver_sql(
            f"INSERT INTO corpus_stats (key, value) VALUES ({q}, {q}) "
            "ON CONFLICT (key) DO UPDATE SET value = corpus_stats.value + excluded.value",
            [(PARAGRAPHS_KEY, float(delta.paragraphs))],
        )


def write_scores(conn: Connection, rows: Sequence[tuple[int, int, Score]]) -> None:
    """Store scores for paragraph rows given as (cable_id, position, score)."""
    if not rows:
        return
    q = _mark(conn)
    conn.exec_driver_sql(
        f"UPDATE paragraphs SET score = {q}, blocked = {q}, block_reason = {q}, reasons = {q} "
        f"WHERE cable_id = {q} AND position = {q}",
        [
            (s.value, s.blocked, s.block_reason, json.dumps(dict(s.reasons)), cable_id, position)
            for cable_id, position, s in rows
        ],
    )


def log_releases(cable: Cable, scores: Sequence[Score]) -> None:
    for para, s in zip(cable.paragraphs, scores, strict=True):
        if s.released:
            log(
                _logger,
                30,
                "protected paragraph released by an editor",
                ref_id=cable.ref_id,
                paragraph=para.number,
                release=s.released,
            )


def score_saved(conn: Connection, saved: Sequence[SavedCable], settings: PickSettings) -> None:
    """The ingest hook: update the corpus statistics with a saved batch, then score and store it."""
    written = [s for s in saved if s.paragraphs_written]
    if not written:
        return
    delta = CorpusDelta()
    readings = {}
    for s in written:
        delta.remove_texts(s.replaced)
        readings[s.cable_id] = [read(p.text) for p in s.cable.paragraphs]  # read once: for both uses
        for r in readings[s.cable_id]:
            delta.add_terms(r.terms)
    stats = load_stats(conn, delta.df).plus(delta)
    rows: list[tuple[int, int, Score]] = []
    for s in written:
        scores = score_cable(s.cable, settings, stats.df, stats.total, readings[s.cable_id])
        log_releases(s.cable, scores)
        rows.extend((s.cable_id, position, score) for position, score in enumerate(scores))
    write_scores(conn, rows)
    apply_delta(conn, delta)


def _stored_cables(
    conn: Connection, ref_ids: Sequence[str] | None, chunk: int = 200
) -> Iterator[tuple[int, Cable]]:
    from bot.store.cables import get_cable, iter_cables

    if ref_ids is not None:
        for ref_id in ref_ids:
            cable_id = conn.execute(select(cables.c.id).where(cables.c.ref_id == ref_id)).scalar()
            yield cable_id, get_cable(conn, ref_id)
        return
    ids = iter(conn.execute(select(cables.c.id).order_by(cables.c.id)).scalars().all())
    for cable_id, cable in zip(ids, iter_cables(conn, chunk=chunk), strict=False):
        yield cable_id, cable


def rescore(
    conn: Connection,
    settings: PickSettings,
    ref_ids: Sequence[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Score stored paragraphs again (all, or those of `ref_ids`) against the current statistics and
    settings: after an editor changes weights, keywords or protection patterns, or to bring early
    ingested cables up to the corpus as it is now. Returns the number of cables rescored."""
    count = 0
    pending: list[tuple[int, Cable]] = []

    def flush() -> None:
        wanted: set[str] = set()
        for _, cable in pending:
            for p in cable.paragraphs:
                wanted |= terms(p.text)
        stats = load_stats(conn, wanted)
        rows: list[tuple[int, int, Score]] = []
        for cable_id, cable in pending:
            scores = score_cable(cable, settings, stats.df, stats.total)
            log_releases(cable, scores)
            rows.extend((cable_id, position, s) for position, s in enumerate(scores))
        write_scores(conn, rows)
        if progress:
            progress(len(pending))
        pending.clear()

    for cable_id, cable in _stored_cables(conn, ref_ids):
        pending.append((cable_id, cable))
        count += 1
        if len(pending) >= 500:
            flush()
    if pending:
        flush()
    return count


def paragraph_total(conn: Connection) -> int:
    value = conn.execute(select(corpus_stats.c.value).where(corpus_stats.c.key == PARAGRAPHS_KEY)).scalar()
    if value is None:
        return int(conn.execute(select(func.count()).select_from(paragraphs)).scalar_one())
    return int(value)
