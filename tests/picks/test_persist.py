"""Scores and corpus statistics written at ingest, kept current, and rescored (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.config import Config
from bot.ingest import ingest, ingest_paths
from bot.picks import batch_scorer
from bot.picks.corpus import CorpusDelta, count_corpus
from bot.picks.persist import apply_delta, load_stats, paragraph_count, reasons_json, rescore
from bot.picks.settings import parse_picks
from bot.picks.signals import terms
from bot.store.cables import save_cables
from bot.store.schema import cables, corpus_terms, paragraphs
from tests.picks.test_signals import CANDID_TEXT
from tests.support import cables_dir, make_cable

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


def stored_statistics(store) -> tuple[dict[str, int], int]:
    with store.read() as conn:
        df = {t: n for t, n in conn.execute(select(corpus_terms.c.term, corpus_terms.c.df)) if n}
        return df, paragraph_count(conn)


def test_statistics_count_exactly_the_stored_paragraphs_through_replacements_and_batches(store):
    scorer = batch_scorer(Config(path=None))
    first = [make_cable(f"09TESTLAND{i}", [f"Zanzibar report {i} on cloves.", ROUTINE]) for i in range(4)]
    ingest(first, store, scorer=scorer, batch_size=3)
    fuller = make_cable("09TESTLAND1", ["Mombasa mangoes are ripe.", ROUTINE, "Pemba cloves, again."])
    fullest = make_cable("09TESTLAND1", ["Mombasa mangoes.", ROUTINE, "Pemba cloves.", "Lamu dhows sail."])
    emptier = make_cable("09TESTLAND2", [])
    # Two copies of one cable in one batch (the second fuller), an emptier copy and an identical one.
    ingest([fuller, emptier, fullest, first[3]], store, scorer=scorer, batch_size=10)

    assert stored_statistics(store) == (dict(count_corpus(store.iter_cables()).df), 4 * 2 + 2)


def test_scores_written_at_ingest_are_those_a_rescore_gives_against_the_same_statistics(store):
    from bot.ingest import FIRST_BATCH

    pages = sorted((cables_dir() / "html").glob("*.html"))[:FIRST_BATCH]
    ingest_paths(pages, store, scorer=batch_scorer(Config(path=None)))  # one batch: final statistics
    ref_ids = [p.stem for p in pages]
    at_ingest = {ref_id: stored_scores(store, ref_id) for ref_id in ref_ids}
    with store.write() as conn:
        rescore(conn, parse_picks({}))
    assert {ref_id: stored_scores(store, ref_id) for ref_id in ref_ids} == at_ingest
    assert any(row.score for rows in at_ingest.values() for row in rows.values())


def test_a_term_longer_than_the_column_is_stored_cut_and_zero_changes_are_not_written(store):
    long_a, long_b = "a" * 130 + "x", "a" * 130 + "y"  # one cut: counted together, in one row
    with store.write() as conn:
        apply_delta(conn, CorpusDelta(Counter({long_a: 1, long_b: 2, "zanzibar": 0, "cloves": 1}), 1))
        apply_delta(conn, CorpusDelta(Counter({long_a: 1, "cloves": 2}), 1))
    assert stored_statistics(store) == ({"a" * 128: 4, "cloves": 3}, 2)
    with store.read() as conn:
        assert conn.execute(select(corpus_terms.c.term).where(corpus_terms.c.term == "zanzibar")).all() == []


def test_a_rolled_back_batch_leaves_the_next_one_counting_from_the_store(store, tmp_path):
    from bot.store import open_store

    scorer = batch_scorer(Config(path=None))
    # Enough paragraphs that distinctiveness, which compares with the whole corpus, counts at all.
    first = make_cable("09TESTLAND1", [ROUTINE] * 12 + ["Zanzibar cloves are fragrant this season."])
    failed = make_cable("09TESTLAND2", [ROUTINE, ROUTINE, "Zanzibar pineapples.", "Zanzibar mangoes."])
    last = make_cable("09TESTLAND3", ["Zanzibar mangoes and Pemba dhows crowd the harbour of Stone Town."])
    ingest([first], store, scorer=scorer)
    with pytest.raises(RuntimeError), store.write() as conn:
        save_cables(conn, [failed], scorer)
        raise RuntimeError("the batch fails after scoring")
    ingest([last], store, scorer=scorer)

    assert stored_statistics(store) == (dict(count_corpus(store.iter_cables()).df), 14)
    # ... and scored the last batch against the statistics as stored, not as the failed batch left them.
    with open_store(f"sqlite:///{tmp_path}/fresh.db") as fresh:
        fresh_scorer = batch_scorer(Config(path=None))
        ingest([first], fresh, scorer=fresh_scorer)
        ingest([last], fresh, scorer=fresh_scorer)
        assert stored_scores(store, "09TESTLAND3") == stored_scores(fresh, "09TESTLAND3")
    assert stored_scores(store, "09TESTLAND3")["1"].reasons["distinctiveness"]


def test_statistics_that_fail_to_be_written_leave_nothing_of_their_batch(store, monkeypatch):
    import bot.picks.persist

    def fails(conn, delta):
        raise RuntimeError("the counts could not be written")

    monkeypatch.setattr(bot.picks.persist, "apply_delta", fails)  # written beside the scoring
    with pytest.raises(RuntimeError, match="could not be written"):
        ingest([make_cable("09TESTLAND1", [CANDID_TEXT])], store, scorer=batch_scorer(Config(path=None)))
    assert store.counts() == {"cables": 0, "paragraphs": 0}
    assert stored_statistics(store) == ({}, 0)
