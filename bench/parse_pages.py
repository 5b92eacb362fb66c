"""Parse speed over the real pages: `python bench/parse_pages.py [HTML_FOLDER] [--repeat N]`.

Reads every page into memory first, so that only parsing is timed (one core, no store). Reports the best
of N runs in wall time and in this process's CPU time (the second is steadier on a busy machine).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from bot.sources import parse_document


def main() -> None:
    default = Path(os.environ.get("CABLEBOT_SHARED", Path(__file__).resolve().parents[1] / ".." / "shared"))
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", nargs="?", type=Path, default=default / "cables" / "html")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pages = [(str(p), p.read_text(encoding="utf-8")) for p in sorted(args.folder.glob("*.html"))]
    best = best_cpu = float("inf")
    paragraphs = 0
    for _ in range(args.repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        paragraphs = sum(len(parse_document(text, where=where).paragraphs) for where, text in pages)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    print(
        f"{len(pages)} pages, {paragraphs} paragraphs: {best:.3f} s wall, {best_cpu:.3f} s CPU; "
        f"{len(pages) / best:,.0f} pages/s wall, {len(pages) / best_cpu:,.0f} pages/s CPU "
        f"(best of {args.repeat})"
    )


if __name__ == "__main__":
    main()
