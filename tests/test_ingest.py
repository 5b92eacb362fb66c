"""Ingest: every input read, each bad one reported and the rest saved, in batches the picker can score."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import Config
from bot.ingest import IngestReport, find_inputs, ingest, ingest_paths
from bot.picks import batch_scorer
from bot.store.schema import cables, paragraphs
from tests.support import cables_dir, make_cable

CSV_BODY = """UNCLAS SECTION 01 OF 02 ASTANA 002079

SIPDIS

E.O. 12958: N/A
TAGS: PGOV, PREL, KZ
SUBJECT: KAZAKHSTAN: A CABLE WRITTEN FOR A CSV TEST

1. (U) Sensitive but unclassified.

2. (SBU) The minister said he would not sign the deal,
and said so twice.

HOAGLAND
"""


@pytest.mark.corpus
@pytest.mark.slow
def test_the_whole_html_folder_goes_in_once_and_a_second_run_skips_every_page(store):
    pages = cables_dir() / "html"
    first = ingest_paths([pages], store)
    assert (first.ingested, first.updated, first.skipped, first.failed) == (1_295, 0, 0, 0)
    counts = store.counts()

    second = ingest_paths([pages], store)

    assert (second.ingested, second.updated, second.skipped, second.failed) == (0, 0, 1_295, 0)
    assert second.warnings == []
    assert store.counts() == counts


@pytest.mark.corpus
def test_text_exports_after_their_pages_never_take_paragraphs_away(store):
    exports = sorted((cables_dir() / "text").glob("*.txt"))
    pages = [cables_dir() / "html" / f"{p.stem}.html" for p in exports]
    ingest_paths(pages, store)
    before = {p.stem: len(store.get_cable(p.stem).paragraphs) for p in exports}

    report = ingest_paths(exports, store)

    assert report.failed == 0 and report.ingested == 0
    assert {p.stem: len(store.get_cable(p.stem).paragraphs) for p in exports} == before


def test_a_path_that_does_not_exist_is_reported_and_the_rest_goes_on(store, tmp_path):
    report = ingest_paths([tmp_path / "nowhere", cables_dir() / "seed"], store)
    assert report.ingested == 1
    assert [(f.where, f.reason) for f in report.failures] == [
        (str(tmp_path / "nowhere"), "no such file or folder")
    ]


def test_a_release_csv_is_read_row_by_row_and_progress_adds_up_to_its_size(store, tmp_path):
    path = tmp_path / "cables.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        rows = csv.writer(handle, quoting=csv.QUOTE_ALL)
        rows.writerow(
            ["1", "10/20/2008 11:03", "08ASTANA2079", "Embassy Astana", "UNCLASSIFIED", "", "", CSV_BODY]
        )
        rows.writerow(["2", "not a date", "08ASTANA2080", "Embassy Astana", "UNCLASSIFIED", "", "", CSV_BODY])
        rows.writerow(
            ["3", "10/21/2008 09:00", "08ASTANA2081", "Embassy Astana", "UNCLASSIFIED", "", "", CSV_BODY]
        )
    progress: list[int] = []
    inputs = find_inputs([path])

    report = ingest_paths(inputs, store, progress=progress.append)

    assert sum(progress) == inputs.total_bytes == path.stat().st_size
    assert (report.ingested, report.failed) == (2, 1)
    [failure] = report.failures
    assert failure.where.startswith(f"{path}:row 2") and "date" in failure.reason
    cable = store.get_cable("08ASTANA2081")
    assert [p.number for p in cable.paragraphs] == ["1", "2"]
    assert cable.paragraphs[1].text == "The minister said he would not sign the deal, and said so twice."


def test_each_batch_is_scored_in_its_transaction_and_its_rows_are_written_with_their_scores(store):
    batches: list[list[str]] = []

    def scorer(conn, writing):
        batches.append([w.cable.ref_id for w in writing])
        # Inside the batch's transaction: its paragraphs are not written yet, its cables may be.
        assert conn.in_transaction()
        return [
            [
                (i * 1.5, i == 1, "second" if i == 1 else None, f'{{"n":{i}}}')
                for i in range(len(w.cable.paragraphs))
            ]
            for w in writing
        ]

    cables = [make_cable(f"09CITY{i}", ["One.", "Two."]) for i in range(25)]
    report = ingest(cables + cables[:3], store, scorer=scorer, batch_size=10)

    # The three identical copies at the end are skipped before scoring: nothing of theirs is written.
    assert [len(b) for b in batches] == [10, 10, 5]
    assert (report.ingested, report.skipped) == (25, 3)
    with store.read() as conn:
        rows = conn.execute(
            select(
                paragraphs.c.score, paragraphs.c.blocked, paragraphs.c.block_reason, paragraphs.c.reasons
            ).order_by(paragraphs.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [(0.0, False, None, {"n": 0}), (1.5, True, "second", {"n": 1})] * 25


def test_a_fuller_copy_reaches_the_scorer_with_the_texts_it_replaces(store):
    seen: list[tuple[str, tuple[str, ...]]] = []

    def scorer(conn, writing):
        seen.extend((w.cable.ref_id, w.replaced) for w in writing)
        return [[(2.0, False, None, "{}")] * len(w.cable.paragraphs) for w in writing]

    ingest([make_cable("09CITY1", ["One."])], store, scorer=scorer)
    ingest([make_cable("09CITY1", ["One.", "Two."])], store, scorer=scorer)

    assert seen == [("09CITY1", ()), ("09CITY1", ("One.",))]
    with store.read() as conn:
        assert conn.execute(select(paragraphs.c.score)).scalars().all() == [2.0, 2.0]


def test_a_scorer_that_gives_the_wrong_number_of_scores_saves_nothing(store):
    def scorer(conn, writing):
        return [[] for _ in writing]

    with pytest.raises(ValueError, match="one score per paragraph"):
        ingest([make_cable("09CITY1", ["One."])], store, scorer=scorer)
    assert store.counts() == {"cables": 0, "paragraphs": 0}


def test_a_batch_whose_scoring_fails_leaves_nothing_half_saved(store):
    def scorer(conn, writing):
        raise RuntimeError("scorer broke")

    with pytest.raises(RuntimeError):
        ingest([make_cable("09CITY1", ["One."])], store, scorer=scorer)
    assert store.counts() == {"cables": 0, "paragraphs": 0}


def test_a_cable_without_paragraphs_is_stored_with_a_warning_once(store):
    report = ingest([make_cable("09CITY1", [])], store)
    assert [w.ref_id for w in report.warnings] == ["09CITY1"]
    again = ingest([make_cable("09CITY1", [])], store, report=IngestReport())
    assert again.skipped == 1 and again.warnings == []


def test_folders_are_read_recursively_and_hidden_files_are_left_alone(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "deep.txt").write_text("x")
    (tmp_path / "top.txt").write_text("x")
    (tmp_path / ".DS_Store").write_text("x")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("x")
    inputs = find_inputs([tmp_path])
    assert [p.relative_to(tmp_path) for p in inputs.files] == [Path("a/b/deep.txt"), Path("top.txt")]


def test_the_garbage_collectors_settings_are_restored_after_an_ingest_even_a_failed_one(store):
    import gc

    before = gc.get_threshold()

    def scorer(conn, writing):
        assert gc.get_threshold() != before  # collected less often while ingesting
        raise RuntimeError("scorer broke")

    ingest([make_cable("09CITY1", ["One."])], store)
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError):
        ingest([make_cable("09CITY2", ["One."])], store, scorer=scorer)
    assert gc.get_threshold() == before


@pytest.fixture
def reader_process(monkeypatch):
    """Every ingest_paths reads in a process of its own, however small its inputs."""
    import bot.ingest

    monkeypatch.setattr(bot.ingest, "READER_PROCESS_MIN_BYTES", 0)
    if not bot.ingest._reader_process_pays(find_inputs([cables_dir() / "seed"]), scorer=lambda c, w: []):
        pytest.skip("no fork on this platform: ingests read in one process")


def _csv_with_a_bad_row(tmp_path: Path) -> Path:
    path = tmp_path / "cables.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        rows = csv.writer(handle, quoting=csv.QUOTE_ALL)
        for i, date in enumerate(["10/20/2008 11:03", "not a date", "10/21/2008 09:00"], start=1):
            rows.writerow(
                [str(i), date, f"08ASTANA208{i}", "Embassy Astana", "UNCLASSIFIED", "", "", CSV_BODY]
            )
    return path


@pytest.mark.corpus
def test_reading_in_a_process_of_its_own_saves_and_reports_exactly_what_one_process_does(
    store, tmp_path, reader_process
):
    from bot.store import open_store

    pages = sorted((cables_dir() / "html").glob("*.html"))[:60]
    inputs = find_inputs([*pages, _csv_with_a_bad_row(tmp_path), tmp_path / "nowhere"])
    progress: list[int] = []

    aside = ingest_paths(inputs, store, scorer=batch_scorer(Config(path=None)), progress=progress.append)

    with open_store(f"sqlite:///{tmp_path}/one.db") as alone:
        import bot.ingest

        bot.ingest.READER_PROCESS_MIN_BYTES = 10**15
        here = ingest_paths(inputs, alone, scorer=batch_scorer(Config(path=None)))
        assert [store.get_cable(p.stem) for p in pages] == [alone.get_cable(p.stem) for p in pages]
        assert [_scores(store, p.stem) for p in pages] == [_scores(alone, p.stem) for p in pages]
    assert aside.to_json() == here.to_json()
    assert aside.ingested == 62
    assert [f.where for f in aside.failures] == [
        str(tmp_path / "nowhere"),
        f"{tmp_path / 'cables.csv'}:row 2",
    ]
    assert sum(progress) == inputs.total_bytes


@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.parametrize("backlog", [0, 300], ids=["every-cable-prepared", "some-prepared"])
def test_the_pages_score_and_count_to_the_bit_alike_read_in_one_process_or_two(
    tmp_path, reader_process, monkeypatch, backlog
):
    import bot.ingest
    from bot.store import open_store

    pages = cables_dir() / "html"
    # The reader prepares the scores of every cable (or of those it reads with 300 left to save).
    monkeypatch.setattr(bot.ingest, "PREPARE_BACKLOG", backlog)
    with open_store(f"sqlite:///{tmp_path}/two.db") as two:
        aside = ingest_paths([pages], two, scorer=batch_scorer(Config(path=None)))
        scored_aside = _stored_scores_and_statistics(two)
    monkeypatch.setattr(bot.ingest, "READER_PROCESS_MIN_BYTES", 10**15)
    with open_store(f"sqlite:///{tmp_path}/one.db") as one:
        here = ingest_paths([pages], one, scorer=batch_scorer(Config(path=None)))
        scored_here = _stored_scores_and_statistics(one)

    assert aside.to_json() == here.to_json()
    assert len(scored_here[0]) == 14_404
    assert scored_aside == scored_here


def _stored_scores_and_statistics(store) -> tuple[list[tuple], ...]:
    """Every paragraph's score, blocked, block_reason and reasons (as stored: the JSON text, and the
    score's type), and the corpus statistics."""
    with store.read() as conn:
        return (
            conn.exec_driver_sql(
                "SELECT c.ref_id, p.position, p.score, typeof(p.score), p.blocked, p.block_reason, p.reasons "
                "FROM paragraphs p JOIN cables c ON c.id = p.cable_id ORDER BY c.ref_id, p.position"
            ).all(),
            conn.exec_driver_sql("SELECT term, df FROM corpus_terms ORDER BY term").all(),
            conn.exec_driver_sql("SELECT key, value FROM corpus_stats ORDER BY key").all(),
        )


def test_an_ingest_that_fails_stops_its_reader_process(store, reader_process):
    import multiprocessing

    def scorer(conn, writing):
        raise RuntimeError("scorer broke")

    with pytest.raises(RuntimeError):
        ingest_paths([cables_dir() / "html"], store, scorer=scorer)
    assert multiprocessing.active_children() == []


def test_a_reader_process_that_dies_is_an_error_not_a_short_ingest(store, monkeypatch, reader_process):
    import os

    import bot.ingest
    from bot.errors import CablebotError

    def dies(files, permalinks, progress):
        yield make_cable("09CITY1", ["One."])
        os._exit(3)

    monkeypatch.setattr(bot.ingest, "read_files", dies)  # the forked reader runs this
    with pytest.raises(CablebotError, match="exit code 3"):
        ingest_paths([cables_dir() / "seed"], store, scorer=batch_scorer(Config(path=None)))


def _scores(store, ref_id: str) -> list[tuple]:
    with store.read() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(
                    paragraphs.c.score, paragraphs.c.blocked, paragraphs.c.block_reason, paragraphs.c.reasons
                )
                .join(cables, cables.c.id == paragraphs.c.cable_id)
                .where(cables.c.ref_id == ref_id)
                .order_by(paragraphs.c.position)
            )
        ]
