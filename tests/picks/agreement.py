"""How often two editors agree on a cable, against how often cablebot agrees with either.

    python -m tests.picks.agreement    # per set labelled twice: editor against editor, cablebot against each

Four label sets (14, 19, 26, 33: 139 cables) were labelled a second time, in session 6, by two more people
(L22, L23) who did not see the first labels (labels/second_opinion_N.toml). "A's top in B" is the share of
cables whose first pick by one editor is among the other's picks: the same measure as cablebot's precision,
so it is the level a picker could reach if it chose exactly as one editor does. Measured: 0.99 (137 of 139
either way). cablebot, with the lexicon and weights learned without the set (as `python -m
tests.picks.wording --cv` learns them; session 7, measured by an experiment script over its functions),
matched the first editors for 102 of them (0.73) and the second for 98 (0.71), with the words read by
all-mpnet-base-v2 or by all-MiniLM-L6-v2 alike; with the defaults, which learned from the first editors'
labels, 0.76 and 0.73 (this command). The labellers are LLM-based and agree with each other far more
than human editors would be expected to; so what separates cablebot from 0.75 is what it reads, not noise
in the labels.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.model import Cable
from bot.picks.corpus import CorpusStats, count_corpus
from bot.picks.score import score_cable, top_pick
from bot.picks.settings import PickSettings
from tests.picks.evaluation import Label, add_shared_option, load_labels, read_pages

LABELS = Path(__file__).resolve().parent / "labels"
SECOND_OPINIONS = {n: LABELS / f"second_opinion_{n}.toml" for n in (14, 19, 26, 33)}


@dataclass(frozen=True)
class Agreement:
    cables: int
    second_in_first: int  # the second editor's first pick is one of the first editor's picks
    first_in_second: int
    cablebot_in_first: int
    cablebot_in_second: int


def agreement(
    first: Sequence[Label],
    second: Sequence[Label],
    cables: dict[str, Cable],
    stats: CorpusStats,
    settings: PickSettings | None = None,
) -> Agreement:
    """Over the cables both editors labelled with at least one pick each."""
    settings = settings or PickSettings()
    theirs = {label.ref_id: label.picks for label in second}
    counts = [0] * 5
    for label in first:
        other = theirs.get(label.ref_id, ())
        cable = cables.get(label.ref_id)
        if not label.picks or not other or cable is None:
            continue
        pick = top_pick(cable, score_cable(cable, settings, stats.df, stats.total))
        for i, hit in enumerate(
            (True, other[0] in label.picks, label.picks[0] in other, pick in label.picks, pick in other)
        ):
            counts[i] += hit
    return Agreement(*counts)


def per_set(cables: dict[str, Cable], stats: CorpusStats) -> dict[int, Agreement]:
    """The agreement on each set labelled twice, by set number."""
    return {
        n: agreement(load_labels(LABELS / f"editor_picks_{n}.toml"), load_labels(path), cables, stats)
        for n, path in SECOND_OPINIONS.items()
    }


def summed(found: Iterable[Agreement]) -> Agreement:
    return Agreement(*(sum(column) for column in zip(*(vars(a).values() for a in found), strict=True)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_shared_option(parser)
    args = parser.parse_args(argv)
    cables = read_pages(Path(args.shared) / "cables" / "html")
    found = per_set(cables, count_corpus(cables.values()))
    for n, result in found.items():
        _print(f"set {n}", result)
    _print("all", summed(found.values()))
    return 0


def _print(name: str, a: Agreement) -> None:
    n = max(a.cables, 1)
    print(
        f"{name}: cables {a.cables}: second editor's top in the first's picks {a.second_in_first / n:.2f}, "
        f"first's top in the second's {a.first_in_second / n:.2f}; cablebot's top in the first's "
        f"{a.cablebot_in_first / n:.2f}, in the second's {a.cablebot_in_second / n:.2f}"
    )


if __name__ == "__main__":
    sys.exit(main())
