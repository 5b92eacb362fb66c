"""cablebot's top pick against editors' labels (tests/picks/labels), with the two baselines.

The floors are the levels cablebot measures on the labels (eleven sets, by eleven people, see the headers
of labels/editor_picks*.toml), each kept a cable or two below it so that a change that loses picks fails
here. The goal of issue 3 is 0.75; a floor is what is reached, not what is hoped for. The default weights
are learned from these labels (tests/picks/learn.py), so these floors guard against losing picks; what an
editor the picker has never met would see is measured by leaving each set out (`python -m
tests.picks.learn --cv`: 0.69 over all eleven sets) and on sets 10 and 11, labelled after the weights were
fixed (0.51 over both).
"""

from __future__ import annotations

import pytest

from tests.picks.evaluation import LABEL_SETS, evaluate, load_all_labels, load_labels, read_pages
from tests.support import cables_dir

FLOOR = 0.69  # measured: 0.71 on all 387 labelled cables (275 of them)
# measured: 35 of 47, 22 of 30, 22 of 35, 30 of 34, 23 of 34, 26 of 34, 23 of 35, 30 of 35, 25 of 35,
# 21 of 35, 18 of 33
SET_FLOORS = {
    "editor_picks.toml": 0.70,
    "editor_picks_2.toml": 0.66,
    "editor_picks_3.toml": 0.57,
    "editor_picks_4.toml": 0.82,
    "editor_picks_5.toml": 0.62,
    "editor_picks_6.toml": 0.70,
    "editor_picks_7.toml": 0.60,
    "editor_picks_8.toml": 0.80,
    "editor_picks_9.toml": 0.65,
    "editor_picks_10.toml": 0.54,
    "editor_picks_11.toml": 0.48,
}


@pytest.fixture(scope="module")
def corpus():
    from bot.picks.corpus import count_corpus

    cables = read_pages(cables_dir() / "html")
    return cables, count_corpus(cables.values())


@pytest.fixture(scope="module")
def result(corpus):
    cables, stats = corpus
    return evaluate(load_all_labels(), cables, stats)


def test_the_labels_are_enough_real_cables():
    sizes = [len(load_labels(path)) for path in LABEL_SETS]
    assert len(sizes) == 11 and min(sizes) >= 30
    labels = load_all_labels()
    assert all(1 <= len(label.picks) <= 3 and label.why for label in labels)
    assert len({label.ref_id for label in labels}) == len(labels)  # no cable labelled twice


@pytest.mark.corpus
@pytest.mark.slow
def test_top_pick_matches_the_editors_picks_well_above_the_baselines(result):
    print(
        f"\ncablebot {result.precision:.2f} (top 2 {result.top2:.2f}), "
        f"first paragraph {result.first_paragraph:.2f}, random {result.random:.2f}"
    )
    assert result.cables >= 380
    assert result.first_paragraph < 0.3 and result.random < 0.45  # the labels are not trivially easy
    assert result.precision >= FLOOR
    assert result.top2 >= result.precision


@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.parametrize("path", LABEL_SETS, ids=lambda path: path.name)
def test_no_set_of_labels_falls_below_its_floor(corpus, path):
    cables, stats = corpus
    assert evaluate(load_labels(path), cables, stats).precision >= SET_FLOORS[path.name]
