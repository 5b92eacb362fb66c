"""Scores and corpus statistics written at ingest, kept current, and rescored (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.config import Config
from bot.ingest import ingest
from bot.picks import batch_scorer
from bot.picks.persist import load_stats, reasons_json, rescore
from bot.picks.settings import parse_picks
from bot.picks.signals import terms
from bot.store.schema import cables, corpus_terms, paragraphs
from tests.picks.test_signals import CANDID_TEXT
from tests.support import make_cable

ROUTINE = "The delegation discussed the agenda for the meeting with the ministry and agreed on dates."


def stored_scores(store, ref_id):
    with store.read() as conn:
        rows = conn.execute(
            select(
                paragraphs.c.number,
                paragraphs.c.score,
                paragraphs.c.blocked,
                paragraphs.c.block_reason,
                paragraphs.c.reasons,
            )
            .join(cables, cables.c.id == paragraphs.c.cable_id)
            .where(cables.c.ref_id == ref_id)
            .order_by(paragraphs.c.position)
        ).all()
    return {r.number: r for r in rows}


def df_of(store, term):
    with store.read() as conn:
        return conn.execute(select(corpus_terms.c.df).where(corpus_terms.c.term == term)).scalar() or 0


def test_ingest_stores_every_paragraphs_score_reasons_and_blocks(store):
    cable = make_cable("09TESTLAND1", [ROUTINE, CANDID_TEXT, "Dr. Ali Hassan (PROTECT) said the same thing."])
    ingest([cable], store, scorer=batch_scorer(Config(path=None)))
    rows = stored_scores(store, "09TESTLAND1")
    assert rows["2"].score > rows["1"].score
    assert abs(sum(rows["2"].reasons.values()) - rows["2"].score) < 1e-6
    assert rows["3"].blocked and rows["3"].block_reason.startswith("protected source")
    assert not rows["1"].blocked and not rows["2"].blocked


def test_corpus_statistics_count_paragraphs_and_follow_a_fuller_copy(store):
    scorer = batch_scorer(Config(path=None))
    ingest(
        [make_cable("09TESTLAND1", ["Zanzibar pineapples are sweet.", "Nothing else here today."])],
        store,
        scorer=scorer,
    )
    ingest([make_cable("09TESTLAND2", ["Zanzibar cloves are fragrant."])], store, scorer=scorer)
    assert df_of(store, "zanzibar") == 2
    with store.read() as conn:
        assert load_stats(conn, ["zanzibar"]).total == 3
    # A fuller copy of the first cable replaces its paragraphs: their terms are forgotten, the new counted.
    fuller = make_cable(
        "09TESTLAND1", ["Mombasa mangoes are ripe.", "Nothing else here today.", "More text."]
    )
    ingest([fuller], store, scorer=scorer)
    assert df_of(store, "zanzibar") == 1
    assert df_of(store, "pineapples") == 0
    assert df_of(store, "mombasa") == 1
    with store.read() as conn:
        assert load_stats(conn, ["zanzibar"]).total == 4


def test_an_identical_copy_changes_nothing(store):
    scorer = batch_scorer(Config(path=None))
    cable = make_cable("09TESTLAND1", ["Zanzibar pineapples are sweet."])
    ingest([cable], store, scorer=scorer)
    ingest([cable], store, scorer=scorer)
    assert df_of(store, "zanzibar") == 1


def test_rescore_applies_a_changed_config_to_stored_paragraphs(store):
    cable = make_cable("09TESTLAND1", [ROUTINE, CANDID_TEXT])
    ingest([cable], store, scorer=batch_scorer(Config(path=None)))
    settings = parse_picks({"block": ["paranoid"]})
    with store.write() as conn:
        assert rescore(conn, settings) == 1
    rows = stored_scores(store, "09TESTLAND1")
    assert rows["2"].blocked and "paranoid" in rows["2"].block_reason


def test_load_stats_reads_only_the_terms_asked_for(store):
    ingest([make_cable("09TESTLAND1", [CANDID_TEXT])], store, scorer=batch_scorer(Config(path=None)))
    with store.read() as conn:
        stats = load_stats(conn, ["paranoid", "nonexistentword"])
    assert stats.df == {"paranoid": 1}
    assert "paranoid" in terms(CANDID_TEXT)


def test_one_scorer_on_two_stores_scores_each_against_its_own_corpus(store, tmp_path):
    from bot.store import open_store

    # The scorer keeps the statistics of its ingest in memory: it must notice another store.
    scorer = batch_scorer(Config(path=None))
    ingest(
        [make_cable("09TESTLAND1", ["Zanzibar pineapples are sweet, said the paranoid minister."])],
        store,
        scorer=scorer,
    )
    cable = make_cable("09TESTLAND2", [CANDID_TEXT, "Zanzibar cloves are fragrant and the minister agrees."])
    with (
        open_store(f"sqlite:///{tmp_path}/other.db") as other,
        open_store(f"sqlite:///{tmp_path}/fresh.db") as fresh,
    ):
        ingest([cable], other, scorer=scorer)
        ingest([cable], fresh, scorer=batch_scorer(Config(path=None)))
        assert stored_scores(other, "09TESTLAND2") == stored_scores(fresh, "09TESTLAND2")
        assert df_of(other, "zanzibar") == 1


def test_statistics_kept_between_batches_match_a_fresh_count(store):
    scorer = batch_scorer(Config(path=None))
    first = [
        make_cable(f"09TESTLAND{i}", [f"Zanzibar report number {i} on cloves.", ROUTINE]) for i in range(3)
    ]
    ingest(first, store, scorer=scorer, batch_size=1)
    assert df_of(store, "zanzibar") == 3 and df_of(store, "cloves") == 3
    with store.read() as conn:
        assert load_stats(conn, ["zanzibar"]).total == 6


@given(
    st.dictionaries(
        st.sampled_from(["quotation", "candour", "boilerplate", "boost"]),
        st.floats(min_value=-50, max_value=50, allow_nan=False).map(lambda x: round(x, 3)),
    )
)
def test_reasons_are_stored_as_json_that_reads_back_the_same(reasons: dict[str, float]) -> None:
    assert json.loads(reasons_json(reasons)) == reasons
