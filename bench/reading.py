"""read() speed per paragraph, pure Python against the compiled reader, over the real corpus's paragraphs.

Also the core of distinctiveness (`_rarest`), Python against C, with the whole corpus's statistics.

    python bench/reading.py [HTML_FOLDER] [--repeat N]

Parses every page first, so that only read() is timed (one core). Each reader reads every paragraph once
before timing (its first pass learns the vocabulary, as the first cables of an ingest do), then the best
of N passes is reported, in wall and in this process's CPU time, as microseconds per paragraph.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bot.picks import signals
from bot.sources import parse_document


def timed(read: Callable[[Any], object], texts: Sequence[Any], repeat: int) -> tuple[float, float]:
    for text in texts:
        read(text)
    best = best_cpu = float("inf")
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        for text in texts:
            read(text)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    return best / len(texts) * 1e6, best_cpu / len(texts) * 1e6


def main() -> None:
    default = Path(os.environ.get("CABLEBOT_SHARED", Path(__file__).resolve().parents[1] / ".." / "shared"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=default / "cables" / "html")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    pages = sorted(args.folder.glob("*.html"))
    texts = [
        p.text
        for page in pages
        for p in parse_document(page.read_text(encoding="utf-8"), where=str(page)).paragraphs
    ]
    readers = {"python": signals._read_python}
    if signals.read is not signals._read_python:
        readers["c"] = signals.read
    else:
        print("the compiled reader is not in use (not built, or CABLEBOT_PURE_PYTHON=1): Python only")
    print(f"{len(pages)} pages, {len(texts):,} paragraphs, best of {args.repeat}")
    results = {}
    for name, read in readers.items():
        wall, cpu = timed(read, texts, args.repeat)
        results[name] = cpu
        print(f"{name:<8}{wall:8.2f} µs/paragraph wall{cpu:8.2f} µs/paragraph CPU")
    if "c" in results:
        print(f"speed-up {results['python'] / results['c']:.1f}x (CPU)")

    # The core of distinctiveness: the ten smallest paragraph frequencies of each paragraph's terms,
    # against the statistics of the whole corpus (as scoring at ingest looks them up).
    readings = [signals._read_python(text) for text in texts]
    df: dict[str, int] = {}
    for r in readings:
        for t in r.terms:
            df[t] = df.get(t, 0) + 1
    term_sets = [r.terms for r in readings]
    cores = {"python": signals._rarest_python}
    if signals._rarest is not signals._rarest_python:
        cores["c"] = signals._rarest
    print("rarest terms (the core of distinctiveness):")
    for name, rarest in cores.items():
        wall, cpu = timed(lambda terms, rarest=rarest: rarest(terms, df), term_sets, args.repeat)
        print(f"{name:<8}{wall:8.2f} µs/paragraph wall{cpu:8.2f} µs/paragraph CPU")


if __name__ == "__main__":
    main()
