"""cablebot's top pick against an editor's labels (tests/picks/labels), with the two baselines.

The floor is what cablebot must keep on these labels; the labels were written before the signals were
tuned, by a person who is not a blind editor (see the header of labels/editor_picks.toml).
"""

from __future__ import annotations

import pytest

from tests.picks.evaluation import evaluate, load_labels, read_pages
from tests.support import cables_dir

FLOOR = 0.55  # the goal is 0.75 (issue 3); on these labels cablebot reaches 0.60: see the report


@pytest.fixture(scope="module")
def result():
    from bot.picks.corpus import count_corpus

    cables = read_pages(cables_dir() / "html")
    return evaluate(load_labels(), cables, count_corpus(cables.values()))


def test_the_labels_are_enough_real_cables():
    labels = load_labels()
    assert len(labels) >= 40
    assert all(1 <= len(label.picks) <= 3 and label.why for label in labels)


@pytest.mark.corpus
@pytest.mark.slow
def test_top_pick_matches_the_editors_picks_well_above_the_baselines(result):
    print(
        f"\ncablebot {result.precision:.2f}, first paragraph {result.first_paragraph:.2f}, "
        f"random {result.random:.2f}"
    )
    assert result.cables >= 40
    assert result.first_paragraph < 0.3 and result.random < 0.45  # the labels are not trivially easy
    assert result.precision >= FLOOR
