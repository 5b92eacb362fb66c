"""score_cable speed per paragraph, the Python signals against the compiled scorer, over the real corpus.

    python bench/scoring.py [HTML_FOLDER] [--repeat N] [--signal NAME ...]

Parses and reads every page first, and counts the corpus statistics, so that only score_cable is timed
(one core), given each paragraph's reading as ingest gives it. The best of N passes is reported, in wall
and in this process's CPU time, as microseconds per paragraph; with the compiled scorer, also its own
part (bot.picks._scoring.score, the signals and their shares) apart from the rest of score_cable
(protection, blocks, the Score objects). `--signal NAME` adds one compiled signal's own cost: the
compiled scorer given that signal alone, less the same given no signal.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bot.picks import score, signals
from bot.picks.settings import PickSettings
from bot.sources import parse_document


def timed(work: Callable[[], object], repeat: int) -> tuple[float, float]:
    best = best_cpu = float("inf")
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        work()
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    return best, best_cpu


def main() -> None:
    shared = Path(os.environ.get("CABLEBOT_SHARED") or Path(__file__).resolve().parents[1] / ".." / "shared")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=shared / "cables" / "html")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--signal", action="append", default=[], metavar="NAME", help="a compiled signal's own cost"
    )
    args = parser.parse_args()
    pages = sorted(args.folder.glob("*.html"))
    cables = [parse_document(page.read_text(encoding="utf-8"), where=str(page)) for page in pages]
    readings = [[signals.read(p.text) for p in cable.paragraphs] for cable in cables]
    df: Counter[str] = Counter()
    for cable_readings in readings:
        for r in cable_readings:
            df.update(r.terms)
    stats, total = dict(df), sum(len(r) for r in readings)
    settings = PickSettings()

    def score_all() -> None:
        for cable, cable_readings in zip(cables, readings, strict=True):
            score.score_cable(cable, settings, stats, total, cable_readings)

    def line(label: str, seconds: tuple[float, float]) -> None:
        wall, cpu = seconds
        print(f"  {label:<34}{wall * 1e6 / total:>8.1f} wall{cpu * 1e6 / total:>8.1f} CPU")

    print(f"{len(cables):,} cables, {total:,} paragraphs; microseconds per paragraph, best of {args.repeat}")
    compiled = signals._scorer
    signals._scorer = None
    score._compiled.clear()
    line("score_cable, Python signals", timed(score_all, args.repeat))
    signals._scorer = compiled
    score._compiled.clear()
    if compiled is None:
        print("  (the compiled scorer bot.picks._scoring is not built, or CABLEBOT_PURE_PYTHON=1)")
        return
    line("score_cable, compiled scorer", timed(score_all, args.repeat))
    plan = score._compile(settings).plan
    boost_weight = settings.weights.get("boost", 0.0)

    def signals_only() -> None:
        for cable, cable_readings in zip(cables, readings, strict=True):
            compiled.score(cable, cable_readings, stats, total, plan, None, boost_weight)

    line("  of which _scoring.score", timed(signals_only, args.repeat))

    def plan_only(plan: tuple) -> Callable[[], None]:
        def run() -> None:
            for cable, cable_readings in zip(cables, readings, strict=True):
                compiled.score(cable, cable_readings, stats, total, plan, None, 0.0)

        return run

    for name in args.signal:
        alone = ((name, settings.weights.get(name) or 1.0, compiled.SIGNALS.index(name)),)
        with_it, without = timed(plan_only(alone), args.repeat), timed(plan_only(()), args.repeat)
        line(f"  {name} alone", (with_it[0] - without[0], with_it[1] - without[1]))


if __name__ == "__main__":
    main()
