"""How fast `cablebot next` answers on a store of the whole release (251,287 cables).

    python bench/next.py                       # build the store once (cached), then time `next`
    python bench/next.py --url postgresql+psycopg://postgres@127.0.0.1:5432/test   # an existing store
    python bench/next.py --rebuild             # ingest the CSV again
    python bench/next.py --in-window 2000      # an account posting often: 2,000 posts in the window
    python bench/next.py --url URL --rebuild   # build the store in an empty database (or schema) first

The store is built by the real ingest (bot.ingest with the picker's scorer, as `cablebot ingest` runs it)
from the release-shaped CSV that bench/make_release_csv.py builds from the real pages, into a SQLite file
under ~/.cache/cablebot/bench. Then the bench gives an account a history as a worker would leave it
(2,000 posts of the best paragraphs, a few inside the same-cable window, an editor's queue entry) and
times `choose_next` (the query behind `cablebot next`): the first call, then the median and worst of
50. Goal (issue 3): under 100 ms. The `cablebot next` command adds Python start-up (reported apart).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE = Path.home() / ".cache" / "cablebot" / "bench"
CSV = CACHE / "cables.csv"
STORE = CACHE / "next-store.db"
ACCOUNT = "bench"


def build(url: str, csv: Path) -> None:
    from bot.config import Config
    from bot.ingest import ingest_paths
    from bot.picks import batch_scorer
    from bot.store import open_store

    if not csv.exists():
        subprocess.run([sys.executable, str(REPO / "bench" / "make_release_csv.py"), str(csv)], check=True)
    total = csv.stat().st_size
    done = 0
    started = time.perf_counter()
    last = [0.0]

    def progress(n: int) -> None:
        nonlocal done
        done += n
        now = time.perf_counter()
        if now - last[0] > 10:
            last[0] = now
            print(f"  ingest {done / total:6.1%}  {now - started:6.0f} s", file=sys.stderr, flush=True)

    with open_store(url) as store:
        report = ingest_paths([csv], store, scorer=batch_scorer(Config(path=None)), progress=progress)
        counts = store.counts()
    print(
        f"built {counts['cables']:,} cables, {counts['paragraphs']:,} paragraphs in "
        f"{time.perf_counter() - started:.0f} s ({report.failed} failed)",
        file=sys.stderr,
    )


def give_history(url: str, now: datetime, queued: bool, in_window: int = 3) -> None:
    """2,000 posts of the best paragraphs (the account's past), `in_window` of them inside the same-cable
    window (3; more for an account posting often), and a queued cable when `queued` (the queue answers
    first, so the main path is timed without it)."""
    from sqlalchemy import delete, insert, select, text

    from bot.store import open_store
    from bot.store.ledger import Ledger, posts
    from bot.store.schema import cables, paragraphs, queue

    with open_store(url) as store:
        with store.write() as conn:
            conn.execute(delete(posts).where(posts.c.account == ACCOUNT))
            conn.execute(delete(queue).where(queue.c.account == ACCOUNT))
            best = conn.execute(
                select(cables.c.ref_id, paragraphs.c.number)
                .join(cables, cables.c.id == paragraphs.c.cable_id)
                .where(
                    text("paragraphs.anchored AND NOT paragraphs.blocked"), paragraphs.c.score.is_not(None)
                )
                .order_by(paragraphs.c.score.desc())
                .limit(2000)
            ).all()
            if queued:
                newest = select(cables.c.ref_id).order_by(cables.c.id.desc()).limit(1)
                last = conn.execute(newest).scalar_one()
                asked = now - timedelta(hours=1)
                conn.execute(insert(queue).values(ref_id=last, account=ACCOUNT, requested_at=asked))
        for i, (ref_id, number) in enumerate(best):
            at = now - timedelta(seconds=60 * (1 + i)) if i < in_window else now - timedelta(days=4, hours=i)
            Ledger(store.engine, clock=lambda at=at: at).plan(
                account=ACCOUNT, network="outbox", ref_id=ref_id, paragraph=number, generation=0, texts=["x"]
            )


def analyze(url: str) -> None:
    """Fresh planner statistics, as PostgreSQL's autovacuum keeps them. Right after a bulk load of 2.8
    million paragraphs they are stale (or absent), and every plan, B's get_cable included, suffers."""
    if not url.startswith("postgresql"):
        return
    from bot.store import open_store

    with open_store(url, migrate=False) as store, store.write() as conn:
        for table in ("cables", "paragraphs", "posts", "queue", "corpus_terms"):
            conn.exec_driver_sql(f"ANALYZE {table}")


def time_next(url: str, now: datetime, rounds: int) -> dict[str, float]:
    from bot.picks.settings import PickSettings
    from bot.store import open_store
    from bot.worker.choose import choose_next

    settings = PickSettings()
    timings = []
    with open_store(url, migrate=False) as store:
        for _ in range(rounds):
            with store.read() as conn:
                started = time.perf_counter()
                choices = choose_next(conn, ACCOUNT, settings, 1, now)
                timings.append((time.perf_counter() - started) * 1000)
            assert choices, "next found nothing to post"
        with store.read() as conn:
            started = time.perf_counter()
            ten = choose_next(conn, ACCOUNT, settings, 10, now)
            ten_ms = (time.perf_counter() - started) * 1000
    return {
        "first_ms": timings[0],
        "median_ms": statistics.median(timings[1:]),
        "worst_ms": max(timings[1:]),
        "n10_ms": ten_ms,
        "choice": f"{choices[0].ref_id} ¶{choices[0].number} (queued: {choices[0].queued}); "
        f"-n 10 gave {len(ten)}",
    }


def time_command(url: str) -> float:
    env = dict(os.environ, DATABASE_URL=url)
    env.pop("CABLEBOT_CONFIG", None)
    exe = Path(sys.executable).with_name("cablebot")
    started = time.perf_counter()
    subprocess.run(
        [str(exe), "next", "--account", ACCOUNT, "--format", "json"],
        env=env,
        check=True,
        capture_output=True,
        cwd=CACHE,
    )
    return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", help="an existing store (default: the cached SQLite store, built when missing)"
    )
    parser.add_argument("--csv", type=Path, default=CSV)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument(
        "--in-window", type=int, default=3, help="posts inside the same-cable window (at most 2,000)"
    )
    args = parser.parse_args()
    url = args.url or f"sqlite:///{STORE}"
    if args.url and args.rebuild:
        build(url, args.csv)  # into an empty database or schema the caller provides
    elif not args.url and (args.rebuild or not STORE.exists()):
        CACHE.mkdir(parents=True, exist_ok=True)
        STORE.unlink(missing_ok=True)
        build(url, args.csv)
    now = datetime.now(UTC)
    analyze(url)
    for queued in (False, True):
        give_history(url, now, queued, args.in_window)
        result = time_next(url, now, args.rounds)
        command_ms = time_command(url)
        path = "with a queued cable" if queued else "the picker's own choice"
        print(
            f"next ({path}) on {url.split('@')[-1]}: first {result['first_ms']:.1f} ms, "
            f"median {result['median_ms']:.1f} ms, worst {result['worst_ms']:.1f} ms over {args.rounds - 1}; "
            f"-n 10 {result['n10_ms']:.1f} ms; {args.in_window} posts in the window; "
            f"`cablebot next` command {command_ms:.0f} ms with Python start-up; goal < 100 ms"
        )
        print(f"  chose {result['choice']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
