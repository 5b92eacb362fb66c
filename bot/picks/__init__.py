"""Picks: which paragraphs of a cable are worth posting, with reasons an editor can read.

    signals   each signal a small pure function of a paragraph in its cable (and the corpus statistics)
    protect   never amplify a protected source
    settings  the editors' [picks] config, checked
    score     the weighted signals, keywords, exclusions and blocks -> Score(value, blocked, reasons)
    corpus    document frequencies of terms over the ingested paragraphs
    persist   (edge) scores and statistics in the store, at ingest and on `cablebot pick --rescore`

`batch_scorer(config)` is the hook bot.ingest calls for every saved batch (see bot.ingest).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from bot.config import Config
    from bot.ingest import BatchScorer
    from bot.model import Cable
    from bot.picks.prepared import Encoded, Prepared
    from bot.picks.settings import PickSettings
    from bot.store.cables import ScoreColumns, Writing


def batch_scorer(config: Config) -> BatchScorer:
    """The ingest hook: scores each batch's paragraphs before the store writes them, and keeps the corpus
    statistics current, in the batch's transaction. The [picks] settings are checked here, once, before
    anything is read."""
    from bot.picks.settings import parse_picks

    return _IngestScorer(parse_picks(config.picks, config.where()))


class _IngestScorer:
    """The scorer of one ingest (a bot.ingest.BatchScorer): the settings, and the corpus statistics carried
    from batch to batch. An ingest's reader process calls `prepare` on each cable it parses, and this
    process `receive` on what it sends, so that scoring a batch leaves only the part that needs the
    corpus statistics (bot.picks.prepared)."""

    def __init__(self, settings: PickSettings) -> None:
        from bot.picks.persist import CorpusCache
        from bot.picks.prepared import TermNumbers

        self.settings = settings
        self.cache = CorpusCache()
        self.numbers = TermNumbers()  # each process's copy: the reader's numbers terms, this one reads them

    def __call__(self, conn: Connection, writing: list[Writing]) -> list[list[ScoreColumns]]:
        from bot.picks.persist import score_writing

        return score_writing(conn, writing, self.settings, self.cache)

    def prepare(self, cable: Cable) -> Encoded | None:
        from bot.picks.prepared import prepare_scores

        prepared = prepare_scores(cable, self.settings)
        return self.numbers.encode(prepared) if prepared is not None else None

    def receive(self, encoded: Encoded) -> Prepared | None:
        return self.numbers.decode(encoded)
