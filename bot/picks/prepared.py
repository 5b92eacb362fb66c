"""Scoring a cable in two steps: what needs no corpus statistics where it is parsed, the rest where they are.

    prepared = prepare_scores(cable, settings)               # anywhere: pure
    scores = finish_scores(prepared, settings, df, total)    # with the corpus statistics: pure

gives exactly `score_cable(cable, settings, df, total)`, to the bit. Only `distinctiveness` reads the
corpus statistics; `prepare_scores` reads the paragraphs and computes every other signal's share (in
bot.picks._scoring) and the blocks, and `finish_scores` adds distinctiveness's share in its place and
adds up the shares in plan order, as score_cable does. An ingest that parses in a second process runs
the first step there (bot.ingest._ReaderProcess), so that the process holding the corpus statistics,
which saves every batch, does less.

Between the processes a `Prepared` travels as plain bytes and strings (`TermNumbers.encode`): a Reading,
or a frozenset of terms, costs as much to unpickle as reading the text again. The terms go as numbers,
each new term spelled out once: the receiving end turns them back into the same string objects every
time (`TermNumbers.decode`), which counting them, and looking them up in the statistics, find by
identity rather than by comparing characters.
"""

from __future__ import annotations

from array import array
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate

from bot.model import Cable
from bot.picks.score import Block, Score, _blocks, _compile
from bot.picks.settings import PickSettings
from bot.picks.signals import CORPUS_SIGNAL, read


@dataclass(frozen=True, slots=True)
class Prepared:
    """What `prepare_scores` makes of a cable, for `finish_scores`."""

    shares: bytes  # doubles, len(slots) per paragraph: the shares of the plan's signals, then boost's
    terms: Sequence[Collection[str]]  # each paragraph's distinct terms (what the corpus counts)
    blocks: tuple[Block, ...] | None  # each paragraph's (block_reason, released); None when none has any


def prepare_scores(cable: Cable, settings: PickSettings) -> Prepared | None:
    """Everything of `score_cable` that does not depend on the corpus statistics, for `finish_scores`.
    None when these settings or this cable cannot be scored in two steps exactly as in one (no compiled
    scorer, a signal computed in Python, a share that is not a float): score_cable then."""
    compiled = _compile(settings)
    if compiled.corpus_free is None or compiled.scorer is None:
        return None
    readings = [read(para.text) for para in cable.paragraphs]
    computed = compiled.scorer.score(
        cable, readings, {}, 0, compiled.corpus_free, compiled.boost, settings.weights.get("boost", 0.0)
    )
    shares = array("d")
    for _, reasons in computed:
        # No share is 0.0 (score leaves those out): 0.0 says "none", distinctiveness's slot included.
        row = [reasons.get(slot, 0.0) for slot in compiled.slots]
        if not all(type(share) is float for share in row):  # (an int boost weight gives int shares)
            return None
        shares.extend(row)
    return Prepared(shares.tobytes(), [r.terms for r in readings], _blocks(cable, settings, compiled))


def finish_scores(
    prepared: Prepared, settings: PickSettings, df: Mapping[str, int], total: int
) -> tuple[Score, ...]:
    """`score_cable` of the cable `prepared` was made of, with the same settings (which the caller sees
    to), against the corpus statistics `df` and `total`. Pure."""
    compiled = _compile(settings)
    assert compiled.scorer is not None  # (prepare_scores made nothing without it)
    slots = compiled.slots
    at = slots.index(CORPUS_SIGNAL) if CORPUS_SIGNAL in slots else -1
    computed = compiled.scorer.finish(
        prepared.shares, list(prepared.terms), df, total, slots, at, settings.weights.get(CORPUS_SIGNAL, 0.0)
    )
    blocks = prepared.blocks or ((None, None),) * len(computed)
    return tuple(
        Score(value, reason is not None, reason, reasons, released)
        for (value, reasons), (reason, released) in zip(computed, blocks, strict=True)
    )


# --- Across processes ---------------------------------------------------------------------------------

# A Prepared as it crosses a pipe: shares, the number of the first new term, the new terms (space-
# separated), every paragraph's term numbers (array "I"), how many each paragraph has (array "I"), blocks.
Encoded = tuple[bytes, int, str, bytes, bytes, tuple[Block, ...] | None]


class TermNumbers:
    """Numbers for terms, kept in step by two copies of this object in two processes: the sending one
    numbers the terms of each Prepared it encodes, in order, and sends each new term once; the receiving
    one decodes every Encoded in the order they were made, and learns the same numbers. An Encoded that
    does not follow the last one decoded (a lost message) decodes to None: scored whole, by score_cable.
    """

    LIMIT = 1_000_000  # terms: beyond this the sender starts numbering again from 0, to bound memory

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}  # the sender's
        self._terms: list[str] = []  # the receiver's

    def encode(self, prepared: Prepared) -> Encoded:
        numbers = self._numbers
        if len(numbers) > self.LIMIT:
            numbers.clear()
        first = len(numbers)
        new: list[str] = []
        ids = array("I")
        for paragraph_terms in prepared.terms:
            # (frozenset.difference of a dict looks each term up in it, in C)
            if unseen := frozenset(paragraph_terms).difference(numbers):
                numbers.update(zip(unseen, range(len(numbers), len(numbers) + len(unseen)), strict=True))
                new.extend(unseen)
            ids.extend(map(numbers.__getitem__, paragraph_terms))  # in the order of the terms
        counts = array("I", map(len, prepared.terms))
        return prepared.shares, first, " ".join(new), ids.tobytes(), counts.tobytes(), prepared.blocks

    def decode(self, encoded: Encoded) -> Prepared | None:
        shares, first, new, ids_bytes, counts_bytes, blocks = encoded
        if first == 0:
            self._terms.clear()  # the sender started again (a new ingest, or its LIMIT)
        elif first != len(self._terms):
            return None
        terms = self._terms
        terms.extend(new.split())
        ids, counts = array("I"), array("I")
        ids.frombytes(ids_bytes)
        counts.frombytes(counts_bytes)
        spelled = list(map(terms.__getitem__, ids))
        ends = list(accumulate(counts))
        return Prepared(shares, [spelled[end - n : end] for n, end in zip(counts, ends, strict=True)], blocks)
