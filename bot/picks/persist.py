"""Scores and corpus statistics in the store (the edge of bot.picks: the only part that does I/O at ingest).

`score_writing` is the paragraph scorer the store calls at ingest (see bot.store.cables.save_cables),
inside the batch's own transaction, just before it writes the batch's paragraphs: it updates the corpus
statistics with them (forgetting the paragraphs a fuller copy replaces), writes those, and returns the
paragraphs' scores against the updated statistics, which the store writes in the paragraph rows
themselves. Each paragraph is read once for both; the statistics an ingest has seen stay in memory
(`CorpusCache`), so that a batch asks the store only for terms it has not seen yet and writes its
changes with one statement. `rescore` measures every stored paragraph again against the current
statistics and config (`cablebot pick --rescore`).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from itertools import chain
from operator import add
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from bot.logs import get_logger, log
from bot.model import Cable
from bot.picks.corpus import CorpusDelta, CorpusStats
from bot.picks.prepared import finish_scores
from bot.picks.score import Score, score_cable
from bot.picks.settings import PickSettings
from bot.picks.signals import _scorer, read, terms
from bot.store.schema import cables

if TYPE_CHECKING:
    from bot.store.cables import ScoreColumns, Writing

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
    return CorpusStats(df, paragraph_count(conn))


def paragraph_count(conn: Connection) -> int:
    """The paragraphs the stored corpus statistics count (0 before any)."""
    sql = f"SELECT value FROM corpus_stats WHERE key = {_mark(conn)}"
    total = conn.exec_driver_sql(sql, (PARAGRAPHS_KEY,)).scalar()
    return int(total or 0)


def _mark(conn: Connection) -> str:
    return "%s" if conn.dialect.name == "postgresql" else "?"


_TERM_SIZE = 128  # corpus_terms.term's length: a longer "term" (a run of letters) is stored cut there


def apply_delta(conn: Connection, delta: CorpusDelta) -> None:
    """Add a batch's counts to the stored statistics: one statement for all its terms."""
    changed = _changed_terms(delta.df)
    q = _mark(conn)
    if changed and conn.dialect.name == "postgresql":
        # One statement with two arrays: an executemany would cost a round trip per term.
        conn.exec_driver_sql(
            "INSERT INTO corpus_terms (term, df) SELECT * FROM unnest(%s::text[], %s::integer[]) "
            "ON CONFLICT (term) DO UPDATE SET df = corpus_terms.df + excluded.df",
            (list(changed), list(changed.values())),
        )
    elif changed:
        # SQLite: the counts as one JSON object, taken apart by json_each in C, about twice as fast as an
        # executemany (which binds and steps the statement once per term). "WHERE true" is SQLite's
        # documented way to tell an upsert's ON CONFLICT from a join condition after a SELECT.
        conn.exec_driver_sql(
            "INSERT INTO corpus_terms (term, df) SELECT key, value FROM json_each(?) WHERE true "
            "ON CONFLICT (term) DO UPDATE SET df = corpus_terms.df + excluded.df",
            (json.dumps(changed),),
        )
    if delta.paragraphs:
        conn.exec_driver_sql(
            f"INSERT INTO corpus_stats (key, value) VALUES ({q}, {q}) "
            "ON CONFLICT (key) DO UPDATE SET value = corpus_stats.value + excluded.value",
            [(PARAGRAPHS_KEY, float(delta.paragraphs))],
        )


def _changed_terms(df: Mapping[str, int]) -> Mapping[str, int]:
    """The terms whose count changes, as stored (cut to the column's length). Checked with C-level scans
    first: a batch of new paragraphs has no zero and (almost surely) no over-long term to deal with."""
    if 0 in df.values():
        df = {t: n for t, n in df.items() if n}
    if df and max(map(len, df)) > _TERM_SIZE:
        cut: Counter[str] = Counter()
        for t, n in df.items():
            cut[t[:_TERM_SIZE]] += n  # two long terms may share a cut: one row, or a statement fails
        df = {t: n for t, n in cut.items() if n}
    return df


def write_scores(conn: Connection, rows: Sequence[tuple[int, int, Score]]) -> None:
    """Store scores for paragraph rows given as (cable_id, position, score)."""
    if not rows:
        return
    q = _mark(conn)
    conn.exec_driver_sql(
        f"UPDATE paragraphs SET score = {q}, blocked = {q}, block_reason = {q}, reasons = {q} "
        f"WHERE cable_id = {q} AND position = {q}",
        [
            (s.value, s.blocked, s.block_reason, reasons_json(s.reasons), cable_id, position)
            for cable_id, position, s in rows
        ],
    )


def _reasons_json_python(reasons: Mapping[str, float]) -> str:
    """The reasons as compact JSON. Built directly: json.dumps sets up an encoder for every call, which
    at ingest (once per paragraph) costs more than the rest of the write. The keys are signal names
    (and "boost"), plain identifiers; a float's repr is its JSON."""
    return "{" + ",".join([f'"{name}":{share!r}' for name, share in reasons.items()]) + "}"


# The same in C when bot.picks._scoring is built (about 4 times faster: it runs for every paragraph).
reasons_json: Callable[[Mapping[str, float]], str] = (
    _scorer.reasons_json if _scorer is not None else _reasons_json_python
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


class CorpusCache:
    """The corpus statistics one ingest has seen, kept in memory between its batches.

    Each term is read from the store at most once per ingest (when a batch first contains it), then
    counted here as batches are added; every batch still writes its own changes to the store with one
    upsert. The cache trusts itself only while the store's paragraph total is the one it expects: another
    writer, a rolled-back batch or a different store makes it start again from the store.
    """

    LIMIT = 1_000_000  # terms: beyond this (a very large, varied corpus) it starts again, to bound memory

    def __init__(self) -> None:
        self.df: dict[str, int] = {}
        self.total = 0
        self._store: object = None

    def refresh(self, conn: Connection, wanted: AbstractSet[str]) -> None:
        """Make sure the terms `wanted` (and the paragraph total) are those of the store in `conn`."""
        store = (id(conn.engine), str(conn.engine.url))
        stored = paragraph_count(conn)
        if store != self._store or stored != self.total or len(self.df) > self.LIMIT:
            self.df.clear()
            self._store, self.total = store, stored
        missing = wanted - self.df.keys()
        if missing:
            if stored:
                found = load_stats(conn, missing).df
                self.df.update((t, found.get(t, 0)) for t in missing)
            else:  # an empty store holds no terms: nothing to ask it
                self.df.update(dict.fromkeys(missing, 0))

    def count(
        self,
        conn: Connection,
        added: Sequence[Collection[str]],
        removed: Sequence[frozenset[str]] = (),
    ) -> CorpusDelta:
        """Count a batch: the paragraphs `added` (each its distinct terms) in, those `removed` out, after
        reading from the store in `conn` the terms not seen yet. Returns what changed, for the store."""
        delta = CorpusDelta()
        delta.add_paragraphs(added)
        for paragraph_terms in removed:
            delta.add_terms(paragraph_terms, -1)
        self.refresh(conn, delta.df.keys())
        self.add(delta)
        return delta

    def add(self, delta: CorpusDelta) -> None:
        df, changes = self.df, delta.df
        if changes and min(changes.values()) > 0:
            # Only additions (no paragraph replaced): merged in one C-level pass, as this runs for every
            # term of every batch, where a Python loop per term costs about as much as counting them.
            df.update(zip(changes, map(add, map(df.__getitem__, changes), changes.values()), strict=True))
        else:
            for term, n in changes.items():
                if n:
                    df[term] = max(0, df[term] + n)
        self.total = max(0, self.total + delta.paragraphs)


def score_writing(
    conn: Connection,
    writing: Sequence[Writing],
    settings: PickSettings,
    cache: CorpusCache | None = None,
) -> list[list[ScoreColumns]]:
    """The ingest hook (a bot.store.cables.ParagraphScorer): count the paragraphs about to be written in
    the corpus statistics and store those; return the paragraphs' scores, for the store to write with
    them. `cache` carries the statistics from one batch of an ingest to the next."""
    if not any(w.cable.paragraphs or w.replaced for w in writing):
        return [[] for _ in writing]
    cache = cache if cache is not None else CorpusCache()
    # Each cable's paragraphs are read once, for both uses: here, or where its scores were prepared
    # (`w.prepared`, a bot.picks.prepared.Prepared: an ingest's reader process), which kept their terms.
    readings = [[read(p.text) for p in w.cable.paragraphs] if w.prepared is None else None for w in writing]
    paragraph_terms = [
        w.prepared.terms if w.prepared is not None else [r.terms for r in cable_readings or ()]
        for w, cable_readings in zip(writing, readings, strict=True)
    ]
    removed = [terms(text) for w in writing for text in w.replaced]
    delta = cache.count(conn, list(chain.from_iterable(paragraph_terms)), removed)
    df, total = cache.df, cache.total
    columns: list[list[ScoreColumns]] = []
    # The statistics are written while the batch is scored: nothing below uses the connection until the
    # counts are in, and the database's work (its server, or SQLite's C code) runs without the GIL.
    with _meanwhile(lambda: apply_delta(conn, delta)):
        for w, cable_readings in zip(writing, readings, strict=True):
            if w.prepared is not None:
                scores = finish_scores(w.prepared, settings, df, total)
            else:
                scores = score_cable(w.cable, settings, df, total, cable_readings)
            log_releases(w.cable, scores)
            columns.append([(s.value, s.blocked, s.block_reason, reasons_json(s.reasons)) for s in scores])
    return columns


@contextmanager
def _meanwhile(work: Callable[[], None]) -> Iterator[None]:
    """Run `work` in a thread of its own while the block runs; wait for it at the end of the block, and
    raise what it raised. The block must leave alone what `work` uses."""
    failed: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as e:  # raised in the caller's thread, below
            failed.append(e)

    thread = threading.Thread(target=run, name="cablebot-corpus-writer", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()
    if failed:
        raise failed[0]


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
