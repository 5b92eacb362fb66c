"""Saving and loading cables: batched Core statements, no ORM objects, one lookup per batch.

Functions take a Connection, so that a caller can put more work in the same transaction as the cables
it concerns. `save_cables` can be given a `ParagraphScorer` (the picker's, at ingest): it is asked for
the scores of the paragraphs about to be written, and they are written in the same rows, by the same
statement, in the same transaction. `Store` wraps these functions for callers that just want the result.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import repeat
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, text, update

from bot.errors import UnknownCable
from bot.model import Cable, Paragraph, Source
from bot.permalink import PermalinkTemplate
from bot.store import merge
from bot.store.merge import Outcome
from bot.store.schema import cables, paragraphs

# Model field -> column, where they differ.
_COLUMN = {"references": "refs"}


@dataclass(frozen=True, slots=True)
class SavedCable:
    """One cable of a saved batch, and what saving it did.

    `cable` is the copy the store now holds, except for a skipped cable, where it is the copy offered.

    `paragraphs_written` says whether its paragraph rows were (re)written: they are then rows
    (cable_id, position) = (cable_id, 0..n-1), scored when a scorer was given. `replaced` holds the
    texts of the paragraphs they replaced.
    """

    cable_id: int
    cable: Cable
    outcome: Outcome
    paragraphs_written: bool
    paragraph_count: int  # how many paragraphs the store holds for this cable now
    replaced: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Writing:
    """A cable whose paragraphs are about to be written, and the texts of the stored paragraphs they
    replace (none for a new cable). `prepared` is what the scorer's `prepare` made of this very cable
    where it was parsed (see bot.ingest), given only when the cable written is the cable offered."""

    cable: Cable
    replaced: tuple[str, ...] = ()
    prepared: Any = None


# What a scorer gives for one paragraph, as stored: score, blocked, block_reason, reasons (JSON text).
ScoreColumns = tuple[float | None, bool, str | None, str | None]

# Called inside the write transaction, before the paragraphs of `writing` are written: one ScoreColumns
# per paragraph of each cable, in order. It may write more (the picker's corpus statistics) in `conn`.
ParagraphScorer = Callable[[Connection, list[Writing]], Sequence[Sequence[ScoreColumns]]]

UNSCORED: ScoreColumns = (None, False, None, None)


def save_cables(
    conn: Connection,
    batch: Iterable[Cable],
    scorer: ParagraphScorer | None = None,
    prepared: Iterable[Any] | None = None,
) -> list[SavedCable]:
    """Save cables by the merge rule (bot.store.merge), in input order; nothing is ever duplicated.
    With a `scorer`, every paragraph row written carries its score from the start. `prepared`, one per
    cable of `batch` (None for none), is handed to the scorer with the cables written as offered."""
    if conn.dialect.name == "postgresql":
        # Two ingests at once would both find a new cable missing and both insert it. Writers of cables
        # take turns, one transaction at a time (SQLite's BEGIN IMMEDIATE does the same there).
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:name || coalesce(current_schema(), '')))"),
            {"name": "cablebot.cables."},
        )
    saved: list[SavedCable] = []
    chunk: list[Cable] = []
    chunk_prepared: list[Any] = []
    seen: set[str] = set()
    offered = zip(batch, prepared, strict=True) if prepared is not None else zip(batch, repeat(None))
    for cable, cable_prepared in offered:
        # A second copy of a cable within one batch must merge with the first, so it waits for it.
        if cable.ref_id in seen:
            saved.extend(_save_chunk(conn, chunk, scorer, chunk_prepared))
            chunk, chunk_prepared, seen = [], [], set()
        chunk.append(cable)
        chunk_prepared.append(cable_prepared)
        seen.add(cable.ref_id)
    saved.extend(_save_chunk(conn, chunk, scorer, chunk_prepared))
    return saved


def _save_chunk(
    conn: Connection, chunk: Sequence[Cable], scorer: ParagraphScorer | None, prepared: Sequence[Any]
) -> list[SavedCable]:
    if not chunk:
        return []
    now = datetime.now(UTC)
    stored = _stored_copies(conn, [c.ref_id for c in chunk])
    results: dict[str, SavedCable] = {}
    new: list[tuple[Cable, str]] = []
    new_prepared: list[Any] = []
    replacing: list[tuple[Cable, merge.Stored, dict[str, Any], str]] = []
    for cable, cable_prepared in zip(chunk, prepared, strict=True):
        cable_digest = merge.digest(cable)
        copy = stored.get(cable.ref_id)
        if copy is None:
            new.append((cable, cable_digest))
            new_prepared.append(cable_prepared)
            continue
        decision = merge.decide(copy, cable, cable_digest)
        if decision.replace_paragraphs:
            replacing.append((cable, copy, decision.metadata, cable_digest))
        elif decision.metadata:
            kept = _fill_gaps(conn, copy.id, decision.metadata, now)
            results[cable.ref_id] = SavedCable(copy.id, kept, Outcome.updated, False, len(kept.paragraphs))
        else:
            results[cable.ref_id] = SavedCable(
                copy.id, cable, Outcome.skipped, False, merge.paragraph_count(copy)
            )

    # The stored paragraphs a fuller copy replaces, read before scoring: the scorer must know them.
    old = [_stored_paragraphs(conn, copy.id) for _, copy, _, _ in replacing]
    merged = [dataclasses.replace(cable, **fields) for cable, _, fields, _ in replacing]
    # The scorer reads the paragraphs as their rows will hold them: the corpus statistics must count the
    # stored texts, which a fuller copy later takes out again (and `pick --rescore` reads).
    writing = [_writing(cable, p) for (cable, _), p in zip(new, new_prepared, strict=True)]
    writing += [
        Writing(_as_stored(m), tuple(row.text for row in rows)) for m, rows in zip(merged, old, strict=True)
    ]
    scores = _scores(conn, writing, scorer)

    rows: list[tuple[Any, ...]] = []
    if new:
        values = [_cable_row(cable, cable_digest, now) | {"ingested_at": now} for cable, cable_digest in new]
        ids = conn.execute(
            insert(cables).returning(cables.c.id, sort_by_parameter_order=True), values
        ).scalars()
        for (cable, _), cable_id, cable_scores in zip(new, ids, scores[: len(new)], strict=True):
            results[cable.ref_id] = SavedCable(cable_id, cable, Outcome.ingested, True, len(cable.paragraphs))
            rows.extend(
                _paragraph_values(cable_id, position, p, score)
                for position, (p, score) in enumerate(zip(cable.paragraphs, cable_scores, strict=True))
            )

    for (cable, copy, _, cable_digest), m, stored, cable_scores in zip(
        replacing, merged, old, scores[len(new) :], strict=True
    ):
        _replace_paragraphs(conn, copy.id, stored, m.paragraphs, cable_scores)
        conn.execute(update(cables).where(cables.c.id == copy.id).values(_cable_row(m, cable_digest, now)))
        results[cable.ref_id] = SavedCable(
            copy.id, m, Outcome.updated, True, len(m.paragraphs), tuple(row.text for row in stored)
        )

    _insert_paragraphs(conn, rows)
    return [results[cable.ref_id] for cable in chunk]


def _writing(cable: Cable, prepared: Any) -> Writing:
    """A new cable about to be written. What was prepared belongs to the cable offered: it is given only
    when that is the very cable written (one stored without its NULs reads otherwise)."""
    stored = _as_stored(cable)
    return Writing(stored, prepared=prepared if stored is cable else None)


def _scores(
    conn: Connection, writing: list[Writing], scorer: ParagraphScorer | None
) -> list[Sequence[ScoreColumns]]:
    if scorer is None or not writing:
        return [(UNSCORED,) * len(w.cable.paragraphs) for w in writing]
    scores = list(scorer(conn, writing))
    if len(scores) != len(writing) or any(
        len(s) != len(w.cable.paragraphs) for s, w in zip(scores, writing, strict=True)
    ):
        raise ValueError("a paragraph scorer must give one score per paragraph of each cable it is given")
    return scores


def _stored_paragraphs(conn: Connection, cable_id: int) -> Sequence[Any]:
    return conn.execute(
        select(paragraphs.c.id, paragraphs.c.number, paragraphs.c.text)
        .where(paragraphs.c.cable_id == cable_id)
        .order_by(paragraphs.c.position)
    ).all()


def _replace_paragraphs(
    conn: Connection,
    cable_id: int,
    old: Sequence[Any],
    new: Sequence[Paragraph],
    scores: Sequence[ScoreColumns],
) -> None:
    """Write a fuller copy's paragraphs (with their scores) over the stored ones, `old`.

    A paragraph keeps its row (and id) when the new copy has a paragraph of the same number (the n-th
    of that number for repeated ones): the ledger refers to paragraph rows, and a post must stay
    attached to its paragraph.
    """
    ids: dict[tuple[str, int], int] = {}
    seen: dict[str, int] = {}
    for row in old:
        ids[(row.number, seen.get(row.number, 0))] = row.id
        seen[row.number] = seen.get(row.number, 0) + 1
    # Out of the way first, so that moving rows never collides on (cable_id, position).
    conn.execute(
        update(paragraphs)
        .where(paragraphs.c.cable_id == cable_id)
        .values(position=-1 - paragraphs.c.position)
    )
    kept: set[int] = set()
    fresh: list[tuple[Any, ...]] = []
    occurrences: dict[str, int] = {}
    for position, (p, score) in enumerate(zip(new, scores, strict=True)):
        values = _paragraph_values(cable_id, position, p, score)
        nth = occurrences.get(p.number, 0)
        occurrences[p.number] = nth + 1
        row_id = ids.get((p.number, nth))
        if row_id is None:
            fresh.append(values)
            continue
        kept.add(row_id)
        columns = dict(zip(_PARAGRAPH_COLUMNS, values, strict=True))
        # Through Core, whose JSON type encodes the reasons itself: give it the object, not the text.
        reasons = columns["reasons"]
        columns["reasons"] = json.loads(reasons) if reasons is not None else None
        conn.execute(update(paragraphs).where(paragraphs.c.id == row_id).values(columns))
    gone = [row.id for row in old if row.id not in kept]
    if gone:
        conn.execute(delete(paragraphs).where(paragraphs.c.id.in_(gone)))
    _insert_paragraphs(conn, fresh)


# The paragraph columns ingest writes, in the order of _paragraph_values: the cable's, then the
# scorer's (ScoreColumns).
_PARAGRAPH_COLUMNS = (
    "cable_id",
    "position",
    "number",
    "marking",
    "text",
    "text_length",
    "anchored",
    "score",
    "blocked",
    "block_reason",
    "reasons",
)


def _insert_paragraphs(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        # COPY into the same transaction: several times faster than executemany for thousands of rows,
        # and paragraphs are most of what an ingest writes.
        columns = ", ".join(_PARAGRAPH_COLUMNS)
        cursor = conn.connection.driver_connection.cursor()
        with cursor, cursor.copy(f"COPY {paragraphs.name} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    # Elsewhere (SQLite): the driver's executemany with plain tuples. SQLAlchemy's per-row parameter
    # processing would cost a third of the store's time, and these columns need no conversion.
    conn.exec_driver_sql(_sqlite_insert_sql(), rows)


@functools.cache
def _sqlite_insert_sql() -> str:
    from sqlalchemy.dialects import sqlite

    statement = insert(paragraphs).values({c: bindparam(c) for c in _PARAGRAPH_COLUMNS})
    return str(statement.compile(dialect=sqlite.dialect()))


def _stored_copies(conn: Connection, ref_ids: list[str]) -> dict[str, merge.Stored]:
    query = select(
        cables.c.id,
        cables.c.ref_id,
        cables.c.fullness,
        cables.c.digest,
        cables.c.released,
        cables.c.classification,
        cables.c.origin,
        cables.c.subject,
        cables.c.tags,
        cables.c.refs,
    ).where(cables.c.ref_id.in_(ref_ids))
    copies = {}
    for row in conn.execute(query):
        copies[row.ref_id] = merge.Stored(
            id=row.id,
            fullness=row.fullness,
            digest=row.digest,
            metadata={
                "released": row.released,
                "classification": row.classification,
                "origin": row.origin,
                "subject": row.subject,
                "tags": tuple(row.tags),
                "references": tuple(row.refs),
            },
        )
    return copies


def _fill_gaps(conn: Connection, cable_id: int, fields: dict[str, Any], now: datetime) -> Cable:
    values = {_COLUMN.get(k, k): list(v) if isinstance(v, tuple) else v for k, v in fields.items()}
    # The digest keeps describing the stored copy, which has changed: recompute it from what is stored.
    conn.execute(update(cables).where(cables.c.id == cable_id).values(values | {"updated_at": now}))
    stored = _load_one(conn, cable_id)
    conn.execute(update(cables).where(cables.c.id == cable_id).values(digest=merge.digest(stored)))
    return stored


def _cable_row(cable: Cable, cable_digest: str, now: datetime) -> dict[str, Any]:
    return {
        "ref_id": cable.ref_id,
        "created": cable.created,
        "released": cable.released,
        "classification": _text(cable.classification),
        "origin": _text(cable.origin),
        "subject": _text(cable.subject),
        "tags": list(cable.tags),
        "refs": list(cable.references),
        "source_format": cable.source.format if cable.source else None,
        "source_location": cable.source.location if cable.source else None,
        "fullness": merge.fullness(cable),
        "digest": cable_digest,
        "updated_at": now,
    }


def _paragraph_values(cable_id: int, position: int, p: Paragraph, score: ScoreColumns) -> tuple[Any, ...]:
    text = _text(p.text)
    marking = _text(p.marking) if p.marking is not None else None
    return (cable_id, position, _text(p.number), marking, text, len(text), p.url is not None, *score)


def _text(value: str) -> str:
    # PostgreSQL's text cannot hold NUL; a damaged CSV row can. Dropping it beats failing the batch.
    return value.replace("\x00", "") if "\x00" in value else value


def _as_stored(cable: Cable) -> Cable:
    """The cable with its paragraphs as `_paragraph_values` stores them (the same cable when nothing
    changes, nearly always)."""
    if not any(
        "\x00" in p.text or "\x00" in p.number or "\x00" in (p.marking or "") for p in cable.paragraphs
    ):
        return cable
    stored = tuple(
        dataclasses.replace(
            p,
            number=_text(p.number),
            marking=_text(p.marking) if p.marking is not None else None,
            text=_text(p.text),
        )
        for p in cable.paragraphs
    )
    return dataclasses.replace(cable, paragraphs=stored)


# --- loading ------------------------------------------------------------------------------------------


def get_cable(conn: Connection, ref_id: str, permalinks: PermalinkTemplate | None = None) -> Cable:
    """The stored cable, with permalinks built from `permalinks` (the current template) now."""
    row = conn.execute(select(cables).where(cables.c.ref_id == ref_id)).first()
    if row is None:
        raise UnknownCable(ref_id)
    return _cable(row, _paragraph_rows(conn, [row.id]).get(row.id, []), permalinks)


def iter_cables(
    conn: Connection, permalinks: PermalinkTemplate | None = None, chunk: int = 500
) -> Iterator[Cable]:
    """Every stored cable in storage order, streamed a few hundred at a time in constant memory."""
    last = 0
    while True:
        rows = conn.execute(select(cables).where(cables.c.id > last).order_by(cables.c.id).limit(chunk)).all()
        if not rows:
            return
        paras = _paragraph_rows(conn, [r.id for r in rows])
        for row in rows:
            yield _cable(row, paras.get(row.id, []), permalinks)
        last = rows[-1].id


def count_cables(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(cables)).scalar_one()


def count_paragraphs(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(paragraphs)).scalar_one()


def _load_one(conn: Connection, cable_id: int) -> Cable:
    row = conn.execute(select(cables).where(cables.c.id == cable_id)).one()
    return _cable(row, _paragraph_rows(conn, [cable_id]).get(cable_id, []), None)


def _paragraph_rows(conn: Connection, cable_ids: list[int]) -> dict[int, list[Any]]:
    query = (
        select(
            paragraphs.c.cable_id,
            paragraphs.c.number,
            paragraphs.c.marking,
            paragraphs.c.text,
            paragraphs.c.anchored,
        )
        .where(paragraphs.c.cable_id.in_(bindparam("ids", expanding=True)))
        .order_by(paragraphs.c.cable_id, paragraphs.c.position)
    )
    grouped: dict[int, list[Any]] = {}
    for row in conn.execute(query, {"ids": cable_ids}):
        grouped.setdefault(row.cable_id, []).append(row)
    return grouped


def _cable(row: Any, paragraph_rows: list[Any], permalinks: PermalinkTemplate | None) -> Cable:
    links = permalinks or PermalinkTemplate()
    return Cable(
        ref_id=row.ref_id,
        created=row.created,
        released=row.released,
        classification=row.classification,
        origin=row.origin,
        subject=row.subject,
        tags=tuple(row.tags),
        references=tuple(row.refs),
        url=links.cable_url(row.ref_id, row.created),
        paragraphs=tuple(
            Paragraph(
                number=p.number,
                marking=p.marking,
                text=p.text,
                url=links.paragraph_url(row.ref_id, row.created, p.number) if p.anchored else None,
            )
            for p in paragraph_rows
        ),
        source=Source(row.source_format, row.source_location) if row.source_format else None,
    )
