"""cablebot's top pick against editors' labels (tests/picks/labels), with the two baselines.

The floors are the levels cablebot measures on the labels (36 sets, by 24 people, see the headers of
labels/editor_picks*.toml), each kept about two cables below it so that a change that loses picks fails
here. The goal of issue 3 is 0.75. The default weights and the `wording` lexicon are learned from these
labels (tests/picks/learn.py, tests/picks/wording.py), so these floors guard against losing picks; they do
not say what an editor the picker has never met would see. That is measured by leaving each set out (`python
-m tests.picks.wording --cv`: 0.73 over the 36 sets) and on sets labelled after the lexicon was learned
(0.70 on sets 12-23, 0.69 on sets 24-35, 6 of 9 on set 36). tests/picks/test_agreement.py measures it
against a second editor.
"""

from __future__ import annotations

import pytest

from tests.picks.evaluation import LABEL_SETS, evaluate, load_all_labels, load_labels, read_pages
from tests.support import cables_dir

FLOOR = 0.75  # measured: 0.78 on all 1,226 labelled cables (954 of them)
# measured: 33 of 47, 23 of 30, 27 of 35, 29 of 34, 26 of 34, 30 of 34, 28 of 35, 31 of 35, 26 of 35, 25 of
# 35, 27 of 33, 26 of 34, 30 of 34, 28 of 34, 29 of 35, 28 of 34, 29 of 35, 25 of 34, 25 of 35, 21 of 35, 27
# of 35, 28 of 35, 27 of 33, 26 of 33, 30 of 35, 28 of 35, 28 of 35, 25 of 35, 30 of 35, 23 of 35, 24 of 35,
# 25 of 35, 25 of 35, 27 of 35, 28 of 34, 7 of 9
SET_FLOORS = {
    "editor_picks.toml": 0.65,
    "editor_picks_2.toml": 0.70,
    "editor_picks_3.toml": 0.71,
    "editor_picks_4.toml": 0.79,
    "editor_picks_5.toml": 0.70,
    "editor_picks_6.toml": 0.82,
    "editor_picks_7.toml": 0.74,
    "editor_picks_8.toml": 0.82,
    "editor_picks_9.toml": 0.68,
    "editor_picks_10.toml": 0.65,
    "editor_picks_11.toml": 0.75,
    "editor_picks_12.toml": 0.70,
    "editor_picks_13.toml": 0.82,
    "editor_picks_14.toml": 0.76,
    "editor_picks_15.toml": 0.77,
    "editor_picks_16.toml": 0.76,
    "editor_picks_17.toml": 0.77,
    "editor_picks_18.toml": 0.67,
    "editor_picks_19.toml": 0.65,
    "editor_picks_20.toml": 0.54,
    "editor_picks_21.toml": 0.71,
    "editor_picks_22.toml": 0.74,
    "editor_picks_23.toml": 0.75,
    "editor_picks_24.toml": 0.72,
    "editor_picks_25.toml": 0.80,
    "editor_picks_26.toml": 0.74,
    "editor_picks_27.toml": 0.74,
    "editor_picks_28.toml": 0.65,
    "editor_picks_29.toml": 0.80,
    "editor_picks_30.toml": 0.60,
    "editor_picks_31.toml": 0.62,
    "editor_picks_32.toml": 0.65,
    "editor_picks_33.toml": 0.65,
    "editor_picks_34.toml": 0.71,
    "editor_picks_35.toml": 0.76,
    "editor_picks_36.toml": 0.55,
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
    assert len(sizes) == 36 and min(sizes[:35]) >= 30 and sizes[35] == 9  # set 36: the corpus's last pages
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
    assert result.cables >= 1200
    assert result.first_paragraph < 0.3 and result.random < 0.45  # the labels are not trivially easy
    assert result.precision >= FLOOR
    assert result.top2 >= result.precision


@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.parametrize("path", LABEL_SETS, ids=lambda path: path.name)
def test_no_set_of_labels_falls_below_its_floor(corpus, path):
    cables, stats = corpus
    assert evaluate(load_labels(path), cables, stats).precision >= SET_FLOORS[path.name]
