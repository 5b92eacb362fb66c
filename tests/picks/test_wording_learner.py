"""The wording learner (tests/picks/wording.py): from editors' picks it finds the direction in word-vector
space that their picks lean to, and its lexicon is scaled as bot.picks.signals.wording expects."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

np = pytest.importorskip("numpy", reason="the wording learner needs NumPy (pip install -e '.[test]')")
pytest.importorskip("scipy", reason="the wording learner needs SciPy (pip install -e '.[test]')")

from tests.picks.wording import FREE as FREE_NAMES  # noqa: E402
from tests.picks.wording import Corpus, Design, Embedder, _uses, fit, hits, lexicon  # noqa: E402

FREE = len(FREE_NAMES)
DIM = 12


def _world(seed: int) -> tuple[Corpus, Embedder, object]:
    rng = np.random.default_rng(seed)
    vocab = [f"term{i:03d}" for i in range(300)]
    vectors = rng.normal(size=(len(vocab), DIM))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    df = {t: int(rng.integers(2, 200)) for t in vocab}
    paragraphs = [frozenset(rng.choice(vocab, size=12, replace=False)) for _ in range(400)]
    body = Corpus(vocab, df, 1000, paragraphs)
    truth = rng.normal(size=DIM)
    return body, Embedder(body, vectors), truth / np.linalg.norm(truth)


def _cables(body: Corpus, embed: Embedder, truth: object, n: int, seed: int) -> list[Design]:
    """Cables of 4 to 10 paragraphs whose editor picks the paragraph whose words lean most to `truth`."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        paras = [frozenset(rng.sample(body.vocab, 12)) for _ in range(rng.randint(4, 10))]
        means = np.array([embed.mean(p, embed.vectors) for p in paras])
        best = int((means @ truth).argmax())
        rows = np.column_stack([np.zeros((len(paras), FREE)), np.zeros(len(paras)), means])
        out.append(Design("synthetic", rows, np.array([i == best for i in range(len(paras))])))
    return out


def test_the_direction_editors_lean_to_is_found_and_picks_on_new_cables():
    body, embed, truth = _world(1)
    learned = fit(_cables(body, embed, truth, 300, seed=2), mu=0.001)
    direction = learned[FREE + 1 :]
    assert float(direction @ truth) / float(np.linalg.norm(direction)) > 0.9
    held = _cables(body, embed, truth, 200, seed=3)
    assert hits(learned, held) / len(held) >= 0.7
    assert hits(np.concatenate([learned[: FREE + 1], -direction]), held) / len(held) < 0.2  # not by chance


def test_the_lexicon_is_in_the_units_of_the_score_and_zero_on_the_average_paragraph():
    body, embed, truth = _world(4)
    w = np.concatenate([np.zeros(FREE), [1.0], truth * 3.0])
    lex, mean, deviation = lexicon(w, body, embed)
    values = np.array([embed.mean(p, lex) for p in body.paragraphs])
    assert abs(values.mean()) < 1e-9 and abs(values.std() - deviation) < 1e-9
    # a word's weight is its vector's projection on the learned direction, less one constant
    assert np.allclose(lex - embed.vectors @ (truth * 3.0), -mean)


@given(st.text(alphabet=st.sampled_from("aZ9-é’'. \n\t-x"), max_size=60))
def test_the_learner_splits_words_where_the_bot_does(text: str) -> None:
    from bot.picks.signals import words

    found = _uses(text)
    assert [word for word, _, _ in found] == [word.lower() for word in words(text)]
    assert all(text[begin:end].lower() == word for word, begin, end in found)
