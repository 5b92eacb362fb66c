"""Saving and loading cables, and the merge rule, on SQLite and the real PostgreSQL."""

from __future__ import annotations

import tempfile
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.errors import UnknownCable
from bot.permalink import PermalinkTemplate
from bot.store import open_store
from bot.store.merge import Outcome
from bot.store.schema import paragraphs
from tests.support import make_cable

PAGE = [
    "The Embassy met the minister.",
    "He said 'we will not sign'.",
    "Comment: candid words.",
    "XXXXXXXXXXXX",
]


def test_a_saved_cable_comes_back_exactly(store):
    cable = make_cable(
        "08ASTANA2079",
        [("1", "C", "First."), ("2", None, "Second."), ("A", "SBU", "Lettered.")],
        released=datetime(2010, 12, 1, 12, 0, tzinfo=UTC),
        references=("08ASTANA1927",),
    )
    [saved] = store.save_cables([cable])
    assert saved.outcome is Outcome.ingested and saved.paragraphs_written
    assert store.get_cable("08ASTANA2079") == cable
    assert store.get_cable("08ASTANA2079").source == cable.source


def test_times_come_back_timezone_aware_in_utc(store):
    created = datetime(2008, 10, 20, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    store.save_cables([make_cable(created=created, paragraphs=["x"])])
    loaded = store.get_cable("08ASTANA2079")
    assert loaded.created == created and loaded.created.utcoffset() == timedelta(0)
    assert loaded.created.day == 21  # the same instant, in UTC


def test_permalinks_follow_the_current_template_without_reingesting(store):
    store.save_cables([make_cable(paragraphs=["One.", "Two."])])
    mirror = PermalinkTemplate(cable="https://mirror.example/{REFID}", paragraph="?p={number}")
    loaded = store.get_cable("08ASTANA2079", mirror)
    assert loaded.url == "https://mirror.example/08ASTANA2079"
    assert [p.url for p in loaded.paragraphs] == [
        "https://mirror.example/08ASTANA2079?p=1",
        "https://mirror.example/08ASTANA2079?p=2",
    ]


def test_a_paragraph_the_site_does_not_anchor_stays_without_a_permalink(store):
    store.save_cables([make_cable(paragraphs=["Unanchored."], anchored=False)])
    [paragraph] = store.get_cable("08ASTANA2079").paragraphs
    assert paragraph.url is None and not paragraph.citable


def test_an_unknown_cable_is_reported_by_its_reference_id(store):
    with pytest.raises(UnknownCable, match="09NOWHERE1"):
        store.get_cable("09NOWHERE1")


def test_saving_an_identical_copy_again_is_skipped_and_duplicates_nothing(store):
    cable = make_cable(paragraphs=PAGE)
    store.save_cables([cable])
    [again] = store.save_cables([make_cable(paragraphs=PAGE, source=("html", "elsewhere.html"))])
    assert again.outcome is Outcome.skipped and not again.paragraphs_written
    assert store.counts() == {"cables": 1, "paragraphs": len(PAGE)}


def test_a_metadata_only_copy_never_wipes_paragraphs_and_fills_the_release_date(store):
    store.save_cables([make_cable(paragraphs=PAGE, released=None)])
    released = datetime(2011, 8, 30, tzinfo=UTC)
    [saved] = store.save_cables(
        [make_cable(paragraphs=[], released=released, source=("text-export", "x.txt"))]
    )
    assert saved.outcome is Outcome.updated and not saved.paragraphs_written
    loaded = store.get_cable("08ASTANA2079")
    assert [p.text for p in loaded.paragraphs] == PAGE
    assert loaded.released == released
    assert store.counts()["paragraphs"] == len(PAGE)


def test_an_emptier_copy_with_nothing_to_add_is_skipped(store):
    store.save_cables([make_cable(paragraphs=PAGE)])
    [saved] = store.save_cables([make_cable(paragraphs=PAGE[:2])])
    assert saved.outcome is Outcome.skipped
    assert [p.text for p in store.get_cable("08ASTANA2079").paragraphs] == PAGE


def test_a_fuller_copy_replaces_the_paragraphs_and_keeps_known_metadata(store):
    released = datetime(2011, 8, 30, tzinfo=UTC)
    store.save_cables([make_cable(paragraphs=PAGE[:1], released=released)])
    [saved] = store.save_cables([make_cable(paragraphs=PAGE, released=None)])
    assert saved.outcome is Outcome.updated and saved.paragraphs_written
    assert saved.replaced == tuple(PAGE[:1])
    loaded = store.get_cable("08ASTANA2079")
    assert [p.text for p in loaded.paragraphs] == PAGE
    assert loaded.released == released
    assert store.counts() == {"cables": 1, "paragraphs": len(PAGE)}


def test_with_equal_paragraph_counts_the_longer_body_wins(store):
    store.save_cables([make_cable(paragraphs=["Short.", "Cut off..."])])
    [saved] = store.save_cables([make_cable(paragraphs=["Short.", "Cut off no longer: the whole text."])])
    assert saved.outcome is Outcome.updated
    assert store.get_cable("08ASTANA2079").paragraphs[1].text == "Cut off no longer: the whole text."


def test_two_copies_in_one_batch_merge_like_two_ingests(store):
    results = store.save_cables([make_cable(paragraphs=PAGE), make_cable(paragraphs=[], released=None)])
    assert [r.outcome for r in results] == [Outcome.ingested, Outcome.skipped]
    assert store.counts() == {"cables": 1, "paragraphs": len(PAGE)}


def test_a_large_batch_keeps_each_cable_with_its_own_paragraphs(store):
    batch = [make_cable(f"09CITY{i}", [f"cable {i} paragraph {j}" for j in range(i % 4)]) for i in range(700)]
    results = store.save_cables(batch)
    assert len({r.cable_id for r in results}) == 700
    assert store.get_cable("09CITY123").paragraphs[2].text == "cable 123 paragraph 2"
    assert store.counts() == {"cables": 700, "paragraphs": sum(i % 4 for i in range(700))}


def test_every_cable_streams_out_in_storage_order(store):
    batch = [make_cable(f"09CITY{i}", [f"paragraph of {i}"]) for i in range(1_234)]
    store.save_cables(batch)
    streamed = list(store.iter_cables())
    assert [c.ref_id for c in streamed] == [c.ref_id for c in batch]
    assert streamed[1_000] == batch[1_000]


copies = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=len(PAGE)),  # how many paragraphs this copy holds
        st.booleans(),  # whether it knows the release date
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=30, deadline=None)
@given(copies)
def test_in_any_order_of_copies_the_fullest_paragraphs_and_every_known_date_survive(sequence):
    released = datetime(2011, 8, 30, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as folder, open_store(f"sqlite:///{Path(folder) / 'c.db'}") as store:
        for count, knows_date in sequence:
            store.save_cables(
                [make_cable(paragraphs=PAGE[:count], released=released if knows_date else None)]
            )
        loaded = store.get_cable("08ASTANA2079")
        assert [p.text for p in loaded.paragraphs] == PAGE[: max(n for n, _ in sequence)]
        assert loaded.released == (released if any(k for _, k in sequence) else None)
        assert store.counts()["cables"] == 1


def test_a_nul_character_from_a_damaged_source_does_not_stop_the_save(store):
    store.save_cables([make_cable(paragraphs=["Before\x00after."], subject="SUBJECT\x00")])
    loaded = store.get_cable("08ASTANA2079")
    assert loaded.paragraphs[0].text == "Beforeafter." and loaded.subject == "SUBJECT"


def test_two_ingests_of_the_same_cables_at_once_store_each_cable_once(store):
    batch = [make_cable(f"09CITY{i}", [f"paragraph of {i}"]) for i in range(300)]
    start = threading.Barrier(2)
    outcomes: list[list[Outcome]] = []

    def save() -> None:
        start.wait()
        outcomes.append([r.outcome for r in store.save_cables(batch)])

    threads = [threading.Thread(target=save) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(o.count(Outcome.ingested) for o in outcomes) == [0, 300]
    assert store.counts() == {"cables": 300, "paragraphs": 300}


def test_a_fuller_copy_keeps_each_paragraph_row_that_it_still_has(store):
    # The ledger points at paragraph rows: a post must stay attached to its paragraph.
    store.save_cables([make_cable(paragraphs=[("1", "C", "One."), ("2", "C", "Two, cut off...")])])
    before = _paragraph_ids(store)
    with store.write() as conn:
        conn.execute(paragraphs.update().values(score=5.0))

    fuller = [
        ("1", "C", "One."),
        ("1", "C", "A repeated one."),
        ("2", "S", "Two, whole."),
        ("3", None, "Three."),
    ]
    [saved] = store.save_cables([make_cable(paragraphs=fuller)])

    after = _paragraph_ids(store)
    assert saved.outcome is Outcome.updated and saved.replaced == ("One.", "Two, cut off...")
    assert after[("1", 0)] == before[("1", 0)] and after[("2", 0)] == before[("2", 0)]
    assert len(set(after.values())) == 4
    assert [(p.number, p.marking, p.text) for p in store.get_cable("08ASTANA2079").paragraphs] == fuller
    with store.read() as conn:
        assert conn.execute(select(paragraphs.c.score)).scalars().all() == [None] * 4


def _paragraph_ids(store) -> dict[tuple[str, int], int]:
    with store.read() as conn:
        rows = conn.execute(
            select(paragraphs.c.id, paragraphs.c.number).order_by(paragraphs.c.position)
        ).all()
    ids: dict[tuple[str, int], int] = {}
    for row in rows:
        ids[(row.number, sum(1 for n, _ in ids if n == row.number))] = row.id
    return ids
