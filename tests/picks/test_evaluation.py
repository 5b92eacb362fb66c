"""cablebot's top pick against editors' labels (tests/picks/labels), with the two baselines.

The floors are the levels cablebot measures on the labels (five sets, by five people, see the headers of
labels/editor_picks*.toml), each kept a cable or two below it so that a change that loses picks fails here.
The goal of issue 3 is 0.75; a floor is what is reached, not what is hoped for. Sets 3, 4 and 5 were
labelled blind; 4 and 5 were never used for tuning, so they are the best guess at how an editor who never
saw the picker judges it, and they sit lowest.
"""

from __future__ import annotations

import pytest

from tests.picks.evaluation import LABEL_SETS, evaluate, load_all_labels, load_labels, read_pages
from tests.support import cables_dir

FLOOR = 0.65  # measured: 0.69 on all 180 labelled cables (124 of them)
SET_FLOORS = {  # measured: 34 of 47, 26 of 30, 21 of 35, 26 of 34, 17 of 34
    "editor_picks.toml": 0.70,
    "editor_picks_2.toml": 0.80,
    "editor_picks_3.toml": 0.55,
    "editor_picks_4.toml": 0.70,
    "editor_picks_5.toml": 0.45,
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
    assert len(sizes) == 5 and min(sizes) >= 30
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
    assert result.cables >= 170
    assert result.first_paragraph < 0.3 and result.random < 0.45  # the labels are not trivially easy
    assert result.precision >= FLOOR
    assert result.top2 >= result.precision


@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.parametrize("path", LABEL_SETS, ids=lambda path: path.name)
def test_no_set_of_labels_falls_below_its_floor(corpus, path):
    cables, stats = corpus
    assert evaluate(load_labels(path), cables, stats).precision >= SET_FLOORS[path.name]
