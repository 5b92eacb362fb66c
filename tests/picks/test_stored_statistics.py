"""The corpus statistics count the paragraphs as the store holds them, on SQLite and PostgreSQL.

A paragraph's text is stored without NUL characters (PostgreSQL's text cannot hold one, and a damaged
CSV row can bring one): the statistics written at ingest must count that stored text, because a fuller
copy later takes the stored text's terms out again, and `cablebot pick --rescore` reads the stored text.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import text

from bot.config import Config
from bot.ingest import ingest
from bot.picks import batch_scorer
from bot.picks.signals import terms
from tests.support import make_cable


def _stored(store) -> tuple[dict[str, int], float, list[str]]:
    with store.engine.connect() as conn:
        df = dict(conn.execute(text("SELECT term, df FROM corpus_terms WHERE df > 0")).all())
        [total] = conn.execute(text("SELECT value FROM corpus_stats WHERE key = 'paragraphs'")).scalars()
        texts = list(conn.execute(text("SELECT text FROM paragraphs")).scalars())
    return df, total, texts


def _recount(texts: list[str]) -> dict[str, int]:
    df: Counter[str] = Counter()
    for t in texts:
        df.update(terms(t))
    return dict(df)


def test_the_statistics_count_a_damaged_paragraph_as_it_is_stored(store):
    damaged = make_cable("09TESTLAND1", ["The embas\x00sy reported corrup\x00tion in the minis\x00try."])
    ingest([damaged], store, scorer=batch_scorer(Config(path=None)))
    df, total, texts = _stored(store)
    assert texts == ["The embassy reported corruption in the ministry."]
    assert total == 1
    assert df == _recount(texts)

    # A fuller copy takes the stored paragraph's terms out again, leaving no stray counts.
    fuller = make_cable("09TESTLAND1", ["The embassy reported bribery.", "A second paragraph."])
    ingest([fuller], store, scorer=batch_scorer(Config(path=None)))
    df, total, texts = _stored(store)
    assert total == 2
    assert df == _recount(texts)
