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
    from bot.config import Config
    from bot.ingest import BatchScorer


def batch_scorer(config: Config) -> BatchScorer:
    """The ingest hook: scores each batch's paragraphs before the store writes them, and keeps the corpus
    statistics current, in the batch's transaction. The [picks] settings are checked here, once, before
    anything is read."""
    from bot.picks.persist import CorpusCache, score_writing
    from bot.picks.settings import parse_picks

    settings = parse_picks(config.picks, config.where())
    cache = CorpusCache()  # the statistics, carried from batch to batch of the ingest

    def scorer(conn, writing):
        return score_writing(conn, writing, settings, cache)

    return scorer
