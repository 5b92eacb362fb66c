"""Ingest speed and memory on the real corpus: cables/s, wall time and peak RSS, one process per run.

    python bench/ingest.py            # pages on SQLite, the release CSV on SQLite, pages on PostgreSQL
    python bench/ingest.py pages-sqlite pages-sqlite-scored
    python bench/ingest.py --csv /path/cables.csv csv-sqlite
    python bench/ingest.py --one-process pages-sqlite-scored   # without the ingest's reader process
    python bench/ingest.py --breakdown sqlite      # where a scored save spends its time, per paragraph
    python bench/ingest.py --repeat 5 pages-sqlite pages-sqlite-scored   # the best of 5 each, in turns

Runs: parse-pages (parsing only, for reference), pages-sqlite, csv-sqlite, pages-postgresql, and each
of the last three with `-scored` (the picker's scorer on, as `cablebot ingest` runs it). Each run is a
fresh process with a fresh database, so that its peak RSS is its own. The CSV (251,287 rows built from
the real pages by bench/make_release_csv.py) is cached under ~/.cache/cablebot/bench and built when
missing. Goals (issue 2): >= 1,500 cables/s parse-and-store on one core, the 251k CSV in under 3 minutes,
peak RSS under 300 MB; scoring within 25% of the speed without it (issue 3).

A scored ingest of large inputs reads them in a second process (bot.ingest._ReaderProcess): its CPU
time counts in "per CPU s" and its peak RSS is added to this process's; `--one-process` turns it off.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CABLEBOT_SHARED") or REPO / ".." / "shared").resolve()
PAGES = SHARED / "cables" / "html"
CACHE = Path.home() / ".cache" / "cablebot" / "bench"
DEFAULT_CSV = CACHE / "cables.csv"
ROWS = 251_287
POSTGRES = os.environ.get("CABLEBOT_TEST_POSTGRES_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
RUNS = [
    "parse-pages",
    "pages-sqlite",
    "pages-sqlite-scored",
    "csv-sqlite",
    "csv-sqlite-scored",
    "pages-postgresql",
    "pages-postgresql-scored",
]
DEFAULT_RUNS = ["parse-pages", "pages-sqlite", "pages-sqlite-scored", "csv-sqlite", "pages-postgresql"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "runs", nargs="*", help=f"any of {', '.join(RUNS)}; default: {' '.join(DEFAULT_RUNS)}"
    )
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV, help="the release CSV (built when missing)")
    parser.add_argument(
        "--breakdown",
        choices=["sqlite", "postgresql"],
        help="time each step of saving the parsed pages, unscored then scored, in microseconds per paragraph",
    )
    parser.add_argument(
        "--one-process",
        action="store_true",
        help="read the inputs in the ingesting process, as small ingests do (no reader process)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="run each N times, in turns, and keep each one's fastest",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.one_process:
            import bot.ingest

            bot.ingest.READER_PROCESS_MIN_BYTES = sys.maxsize
        print(json.dumps(run(args.child, args.csv)))
        return 0
    if args.breakdown:
        breakdown(args.breakdown)
        return 0

    runs = args.runs or DEFAULT_RUNS
    unknown = set(runs) - set(RUNS)
    if unknown:
        parser.error(f"unknown run(s) {sorted(unknown)}; choose from {', '.join(RUNS)}")
    if any(r.startswith("csv") for r in runs) and not args.csv.exists():
        build_csv(args.csv)
    best: dict[str, dict] = {}
    for _ in range(max(1, args.repeat)):
        # In turns (A, B, A, B...) rather than A, A, B, B: a disturbance then hits every run alike.
        for name in runs:
            child = subprocess.run(
                [sys.executable, __file__, "--child", name, "--csv", str(args.csv)]
                + (["--one-process"] if args.one_process else []),
                capture_output=True,
                text=True,
                cwd=REPO,
            )
            if child.returncode != 0:
                print(f"{name:<26}failed:\n{child.stderr}", file=sys.stderr)
                return 1
            r = json.loads(child.stdout.splitlines()[-1])
            if name not in best or r["wall"] < best[name]["wall"]:
                best[name] = r
    # cables/s by wall time, and per CPU second of this process and its reader process (other load on
    # the machine, and on PostgreSQL the server's own work, do not count in the second).
    print(f"{'run':<26}{'cables':>9}{'cables/s':>11}{'per CPU s':>11}{'wall s':>9}{'peak RSS MB':>13}")
    for name in runs:
        r = best[name]
        print(
            f"{name:<26}{r['cables']:>9,}{r['rate']:>11,.0f}{r['cpu_rate']:>11,.0f}{r['wall']:>9.1f}"
            f"{r['rss_mb']:>13.0f}" + (f"   ({r['note']})" if r.get("note") else "")
        )
    for name in runs:
        if name.endswith("-scored") and name.removesuffix("-scored") in best:
            ratio = best[name]["rate"] / best[name.removesuffix("-scored")]["rate"]
            print(f"{name}: {ratio:.2f} of the speed without scoring (goal: at least 0.75)")
    return 0


def run(name: str, csv_path: Path) -> dict:
    if name == "parse-pages":
        from bot.sources import read_path

        start, cpu = time.perf_counter(), _cpu()
        cables = sum(1 for item in read_path(PAGES) if not isinstance(item, Exception))
        return _result(cables, time.perf_counter() - start, _cpu() - cpu, "parsing only, nothing stored")

    source = csv_path if name.startswith("csv") else PAGES
    scored = name.endswith("-scored")
    if "postgresql" in name:
        return _on_postgres(lambda url: _ingest(url, source, scored))
    with tempfile.TemporaryDirectory() as folder:
        return _ingest(f"sqlite:///{folder}/bench.db", source, scored)


def _ingest(url: str, source: Path, scored: bool) -> dict:
    from bot.config import parse_config
    from bot.ingest import find_scorer, ingest_paths
    from bot.store import open_store

    opening = time.perf_counter()
    with open_store(url) as store:
        scorer = find_scorer(parse_config({})) if scored else None
        # Timed from here: opening (and migrating) the store happens once per process, not per cable.
        start, cpu = time.perf_counter(), _cpu()
        report = ingest_paths([source], store, scorer=scorer)
        wall, cpu = time.perf_counter() - start, _cpu() - cpu
        counts = store.counts()
    cables = report.ingested + report.updated + report.skipped
    note = (
        f"{counts['paragraphs']:,} paragraphs, {report.failed} failed; "
        f"opening the store took {start - opening:.2f} s"
    )
    return _result(cables, wall, cpu, note)


def _on_postgres(work) -> dict:
    import secrets

    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(POSTGRES)
    schema = f"cb_bench_{secrets.token_hex(4)}"
    conninfo = dict(host=u.host, port=u.port or 5432, user=u.username, password=u.password, dbname=u.database)
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        url = u.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
        return work(url)
    finally:
        with psycopg.connect(**conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _cpu() -> float:
    # With the ingest's reader process (bot.ingest._ReaderProcess), whose time counts once it has ended.
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _result(cables: int, wall: float, cpu: float, note: str = "") -> dict:
    # This process's peak, plus its reader process's when it had one: an upper bound of the pair's.
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    rss_kb = own.ru_maxrss + children.ru_maxrss
    return {
        "cables": cables,
        "wall": wall,
        "rate": cables / wall,
        "cpu_rate": cables / cpu,
        "rss_mb": rss_kb / 1024,
        "note": note,
    }


def breakdown(dialect: str, runs: int = 3) -> None:
    """Save the parsed pages batch by batch (no parsing, no writer thread), unscored then scored, with a
    timer around each step; the best of `runs` fresh stores. Timers cost a little: the totals, not the
    steps, are what `bench/ingest.py pages-*` measures."""
    from collections import Counter

    import bot.picks.persist as persist
    import bot.store.cables as store_cables
    from bot.config import parse_config
    from bot.ingest import BATCH_SIZE, IngestReport, _fewer_collections, _save, find_scorer
    from bot.sources import read_path
    from bot.store import open_store

    spent: Counter[str] = Counter()

    def timed(owner, name: str, label: str) -> None:
        inner = getattr(owner, name)

        def timer(*args, **kwargs):
            start = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - start

        setattr(owner, name, timer)

    steps = [
        (persist, "read", "read (signals)"),
        (persist, "score_cable", "score_cable (signals)"),
        (persist.CorpusCache, "refresh", "corpus: load unseen terms"),
        (persist.CorpusCache, "count", "corpus: count the batch"),
        (persist, "apply_delta", "corpus: write the counts"),
        (persist, "reasons_json", "reasons as JSON"),
        (store_cables, "_insert_paragraphs", "insert paragraphs"),
        (store_cables, "_scores", "scorer (all of it)"),
    ]
    for owner, name, label in steps:
        timed(owner, name, label)
    cables = [c for c in read_path(PAGES) if not isinstance(c, Exception)]
    paragraphs = sum(len(c.paragraphs) for c in cables)
    best: dict[str, dict[str, float]] = {}
    for scored in (False, True) * runs:
        spent.clear()

        def save_all(url: str, scored: bool = scored) -> None:
            with open_store(url) as store, _fewer_collections():
                scorer = find_scorer(parse_config({})) if scored else None
                start = time.perf_counter()
                for i in range(0, len(cables), BATCH_SIZE):
                    _save(store, cables[i : i + BATCH_SIZE], scorer, IngestReport())
                spent["total"] = time.perf_counter() - start

        if dialect == "postgresql":
            _on_postgres(save_all)
        else:
            with tempfile.TemporaryDirectory() as folder:
                save_all(f"sqlite:///{folder}/bench.db")
        kind = "scored" if scored else "unscored"
        if kind not in best or spent["total"] < best[kind]["total"]:
            best[kind] = dict(spent)
    # count() includes refresh(): show the counting alone.
    scored = best["scored"]
    scored["corpus: count the batch"] -= scored.get("corpus: load unseen terms", 0.0)

    def line(label: str, seconds: float) -> None:
        print(f"  {label:<36}{seconds * 1e6 / paragraphs:>8.1f}")

    print(f"{dialect}: {len(cables):,} cables, {paragraphs:,} paragraphs; microseconds per paragraph")
    line("unscored save, total", best["unscored"]["total"])
    line("  insert paragraphs", best["unscored"]["insert paragraphs"])
    line("scored save, total", scored["total"])
    for _, _, label in steps:
        if label in scored:
            line("  " + label, scored[label])
    signals = scored["read (signals)"] + scored["score_cable (signals)"]
    line("scoring adds, besides signals", scored["total"] - best["unscored"]["total"] - signals)


def build_csv(path: Path) -> None:
    builder = REPO / "bench" / "make_release_csv.py"
    if not builder.exists():
        sys.exit(f"{path} is missing and bench/make_release_csv.py (which builds it) does not exist yet")
    path.parent.mkdir(parents=True, exist_ok=True)
    print(f"building {path} ({ROWS:,} rows) with {builder.name}...", file=sys.stderr)
    subprocess.run([sys.executable, str(builder), str(path), "--rows", str(ROWS)], check=True, cwd=REPO)


if __name__ == "__main__":
    sys.exit(main())
