"""The weight learner (tests/picks/learn.py): it finds weights that explain the picks, keeps the guards and
the signs, and the default weights are what it learns from the real labels."""

from __future__ import annotations

import random

import pytest

from bot.picks.settings import DEFAULT_WEIGHTS
from bot.picks.signals import SIGNALS
from tests.picks.learn import GUARDS, HAND_WEIGHTS, LAMBDA, Example, examples, fit, top1

NAMES = list(SIGNALS)


def _synthetic(truth: dict[str, float], cables: int = 300, seed: int = 1) -> list[Example]:
    """Cables of 4 to 12 paragraphs with random signal values, whose editor picks the best paragraph by
    `truth` (and, for a third of the cables, the second best too)."""
    rng = random.Random(seed)
    out = []
    for n in range(cables):
        rows = tuple(tuple(rng.random() for _ in NAMES) for _ in range(rng.randint(4, 12)))
        scores = [sum(truth.get(name, 0.0) * x for name, x in zip(NAMES, row, strict=True)) for row in rows]
        order = sorted(range(len(rows)), key=lambda i: -scores[i])
        chosen = set(order[: 2 if n % 3 == 0 else 1])
        out.append(Example("synthetic", f"C{n}", rows, tuple(i in chosen for i in range(len(rows)))))
    return out


def test_weights_that_explain_the_picks_are_found_again():
    truth = {"candour": 4.0, "quotation": 2.0, "summary": -3.0}
    data = _synthetic(truth)
    learned = fit(data, lam=0.01, guards={})
    assert top1(learned, data) >= 0.9
    assert top1({name: 1.0 for name in NAMES}, data) < 0.6  # the task is not easy without learning
    # what matters most comes out weightiest, and what does not matter stays small
    irrelevant = max(abs(learned["figures"]), abs(learned["marking"]))
    assert learned["candour"] > learned["quotation"] > 2 * irrelevant
    assert learned["summary"] < -learned["quotation"] / 2


def test_weights_learned_on_some_cables_pick_well_on_others():
    truth = {"candour": 3.0, "hearsay": 2.0, "dependence": -2.0}
    learned = fit(_synthetic(truth, seed=2), lam=0.1, guards={})
    assert top1(learned, _synthetic(truth, seed=3)) >= 0.8


def test_guards_keep_their_weights_and_every_weight_keeps_its_sign():
    # An editor who picks what the signs call worse: boilerplate, summaries, paragraphs without candour.
    truth = {"boilerplate": 3.0, "summary": 3.0, "candour": -3.0, "fit": -3.0}
    learned = fit(_synthetic(truth), lam=0.1)
    for name in GUARDS:
        assert learned[name] == HAND_WEIGHTS[name]
    for name, hand in HAND_WEIGHTS.items():
        if name not in GUARDS:
            assert learned[name] * hand >= 0, name
    assert learned["candour"] == 0.0 and learned["summary"] == 0.0
    assert learned["fit"] == 0.25  # its floor


@pytest.mark.corpus
@pytest.mark.slow
def test_the_default_weights_are_what_the_labels_teach():
    from bot.picks.corpus import count_corpus
    from tests.picks.evaluation import LABEL_SETS, load_labels, read_pages
    from tests.support import cables_dir

    cables = read_pages(cables_dir() / "html")
    data = examples([(p.name, load_labels(p)) for p in LABEL_SETS], cables, count_corpus(cables.values()))
    learned = fit(data, LAMBDA)
    assert {name: round(value, 2) for name, value in learned.items()} == {
        name: DEFAULT_WEIGHTS[name] for name in NAMES
    }
