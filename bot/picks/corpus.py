"""Corpus statistics: in how many paragraphs of the whole ingested corpus each term appears.

The distinctiveness signal weighs a paragraph's words against these counts (tf-idf). They are counted
at ingest and kept current as cables are added: a batch adds its paragraphs' terms, and a re-ingested
cable first takes away the terms of the paragraphs it replaces (`CorpusDelta`).

Scores are computed at ingest against the statistics of that moment, so a paragraph ingested early was
measured against a smaller corpus than one ingested late. For a corpus ingested in one go (the release
CSV) the difference is small; `cablebot pick --rescore` measures every stored paragraph again against the
current statistics when it matters.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import chain

from bot.model import Cable
from bot.picks.signals import terms


@dataclass
class CorpusDelta:
    """What a batch changes in the statistics: document frequency per term and the paragraph count."""

    df: Counter[str] = field(default_factory=Counter)
    paragraphs: int = 0

    def add_text(self, text: str, sign: int = 1) -> None:
        self.add_terms(terms(text), sign)

    def add_terms(self, paragraph_terms: Iterable[str], sign: int = 1) -> None:
        """One paragraph's distinct terms."""
        if sign == 1:
            self.df.update(paragraph_terms)  # counts each term once, in C
        elif sign == -1:
            self.df.subtract(paragraph_terms)
        else:
            for term in paragraph_terms:
                self.df[term] += sign
        self.paragraphs += sign

    def add_paragraphs(self, paragraph_terms: Iterable[Collection[str]]) -> None:
        """Many paragraphs' distinct terms at once (one C-level count for a whole batch)."""
        counted = list(paragraph_terms)
        self.df.update(chain.from_iterable(counted))
        self.paragraphs += len(counted)

    def add_cable(self, cable: Cable) -> None:
        for p in cable.paragraphs:
            self.add_text(p.text)

    def changed(self) -> dict[str, int]:
        return {t: n for t, n in self.df.items() if n}


@dataclass(frozen=True)
class CorpusStats:
    """Document frequencies (only the terms someone asked for need be here) and the paragraph total."""

    df: Mapping[str, int]
    total: int

    def plus(self, delta: CorpusDelta) -> CorpusStats:
        merged = dict(self.df)
        for term, n in delta.df.items():
            merged[term] = max(0, merged.get(term, 0) + n)
        return CorpusStats(merged, max(0, self.total + delta.paragraphs))


def count_corpus(cables: Iterable[Cable]) -> CorpusStats:
    """Statistics of a set of cables held in memory (tests, evaluation, a first ingest)."""
    delta = CorpusDelta()
    for cable in cables:
        delta.add_cable(cable)
    return CorpusStats(dict(delta.df), delta.paragraphs)
