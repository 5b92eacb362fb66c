"""cablebot's top pick against editors' labels (tests/picks/labels), with the two baselines.

The floor is the level cablebot measures on all the labels (two sets, by two people, see the headers of
labels/editor_picks.toml and labels/editor_picks_2.toml), kept just below it so that a change that loses
picks fails here. The goal of issue 3 is 0.75; the floor is what is reached, not what is hoped for.
"""

from __future__ import annotations

import pytest

from tests.picks.evaluation import LABEL_SETS, evaluate, load_all_labels, load_labels, read_pages
from tests.support import cables_dir

FLOOR = 0.75  # measured: 0.77 on all 77 labelled cables (0.72 on the first set, 0.83 on the second)


@pytest.fixture(scope="module")
def result():
    from bot.picks.corpus import count_corpus

    cables = read_pages(cables_dir() / "html")
    return evaluate(load_all_labels(), cables, count_corpus(cables.values()))


def test_the_labels_are_enough_real_cables():
    first, second = (len(load_labels(path)) for path in LABEL_SETS)
    assert first >= 40 and second >= 30
    labels = load_all_labels()
    assert all(1 <= len(label.picks) <= 3 and label.why for label in labels)
    assert len({label.ref_id for label in labels}) == len(labels)  # no cable labelled twice


@pytest.mark.corpus
@pytest.mark.slow
def test_top_pick_matches_the_editors_picks_well_above_the_baselines(result):
    print(
        f"\ncablebot {result.precision:.2f}, first paragraph {result.first_paragraph:.2f}, "
        f"random {result.random:.2f}"
    )
    assert result.cables >= 70
    assert result.first_paragraph < 0.3 and result.random < 0.45  # the labels are not trivially easy
    assert result.precision >= FLOOR
