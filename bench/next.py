"""How fast `cablebot next` answers on a store of the whole release (251,287 cables).

    python bench/next.py                       # build the store once (cached), then time `next`
    python bench/next.py --url postgresql+psycopg://postgres@127.0.0.1:5432/test   # an existing store
    python bench/next.py --rebuild             # ingest the CSV again
    python bench/next.py --in-window 2000      # an account posting often: 2,000 posts in the window
    python bench/next.py --unlinked            # ledger rows that do not name their paragraph row
    python bench/next.py --repeat 3            # each measurement 3 times, in turns (the machine drifts)
    python bench/next.py --drop-caches         # the OS page cache emptied before each fresh process
    python bench/next.py --url URL --rebuild   # build the store in an empty database (or schema) first

The store is built by the real ingest (bot.ingest with the picker's scorer, as `cablebot ingest` runs it)
from the release-shaped CSV that bench/make_release_csv.py builds from the real pages, into a SQLite file
under ~/.cache/cablebot/bench. Then the bench gives an account a history as a worker would leave it
(2,000 posts of the best paragraphs, each naming its paragraph row as the worker's do, a few inside the
same-cable window, an editor's queue entry) and times `choose_next` (the query behind `cablebot next`):

- first: the first call of a fresh process (imports and store opening not counted), `-n 1` and `-n 10`
  each in a process of its own: what every `cablebot next` pays. With --drop-caches the OS page cache
  is emptied first (root only): a store nobody has read lately;
- median and worst of `--rounds` calls in one process, `-n 1` and `-n 10`;
- the `cablebot next` command's wall time, Python start-up and the store's migration check included.

Each path is timed without a queued cable (the picker's own choice), then with one (the queue answers
first). Goal (issue 3): under 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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


def give_history(url: str, now: datetime, queued: bool, in_window: int = 3, linked: bool = True) -> None:
    """2,000 posts of the best paragraphs (the account's past), `in_window` of them inside the same-cable
    window (3; more for an account posting often), and a queued cable when `queued` (the queue answers
    first, so the main path is timed without it). Each post names its paragraph row, as the worker's
    and the post command's do, unless `linked` is false (rows planned without it, or whose paragraph
    row a re-ingest replaced)."""
    from sqlalchemy import delete, insert, select, text

    from bot.store import open_store
    from bot.store.ledger import Ledger, posts
    from bot.store.schema import cables, paragraphs, queue

    with open_store(url) as store:
        with store.write() as conn:
            conn.execute(delete(posts).where(posts.c.account == ACCOUNT))
            conn.execute(delete(queue).where(queue.c.account == ACCOUNT))
            best = conn.execute(
                select(cables.c.ref_id, paragraphs.c.number, paragraphs.c.id)
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
        for i, (ref_id, number, paragraph_id) in enumerate(best):
            at = now - timedelta(seconds=60 * (1 + i)) if i < in_window else now - timedelta(days=4, hours=i)
            Ledger(store.engine, clock=lambda at=at: at).plan(
                account=ACCOUNT,
                network="outbox",
                ref_id=ref_id,
                paragraph=number,
                generation=0,
                texts=["x"],
                paragraph_id=paragraph_id if linked else None,
            )
    analyze(url, ("posts", "queue"))


def analyze(
    url: str, tables: tuple[str, ...] = ("cables", "paragraphs", "posts", "queue", "corpus_terms")
) -> None:
    """Fresh planner statistics and visibility map, as PostgreSQL's autovacuum keeps them (the test
    server runs without it). Right after a bulk load of 2.8 million paragraphs the statistics are stale
    (or absent), and every plan, B's get_cable included, suffers; until a VACUUM marks the pages
    all-visible, an index-only scan (the walk down `ix_paragraphs_next`) still reads each row's page.
    The first VACUUM after a build takes a minute or so; later ones skip what has not changed."""
    if not url.startswith("postgresql"):
        return
    from bot.store import open_store

    with (
        open_store(url, migrate=False) as store,
        store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn,
    ):
        for table in tables:
            conn.exec_driver_sql(f"VACUUM ANALYZE {table}")


def time_next(url: str, now: datetime, rounds: int) -> dict[str, Any]:
    """Median and worst of `rounds` calls in one process (after a first one, not counted), -n 1 and -n 10."""
    from bot.picks.settings import PickSettings
    from bot.store import open_store
    from bot.worker.choose import choose_next

    settings = PickSettings()
    result: dict[str, Any] = {}
    with open_store(url, migrate=False) as store:
        for n in (1, 10):
            timings = []
            for _ in range(rounds + 1):
                with store.read() as conn:
                    started = time.perf_counter()
                    choices = choose_next(conn, ACCOUNT, settings, n, now)
                    timings.append((time.perf_counter() - started) * 1000)
                assert len(choices) == n, f"next found {len(choices)} of {n} to post"
            result[f"median{n}"] = statistics.median(timings[1:])
            result[f"worst{n}"] = max(timings[1:])
            result[f"choice{n}"] = choices
    return result


def probe(url: str, now: datetime, n: int) -> None:
    """In a fresh process (`--probe N`): the first `choose_next` call, as `cablebot next -n N` makes it."""
    started = time.perf_counter()
    from bot.picks.settings import PickSettings
    from bot.store import open_store
    from bot.worker.choose import choose_next

    imported = time.perf_counter()
    with open_store(url, migrate=False) as store, store.read() as conn:
        opened = time.perf_counter()
        choices = choose_next(conn, ACCOUNT, PickSettings(), n, now)
        done = time.perf_counter()
    assert len(choices) == n, f"next found {len(choices)} of {n} to post"
    print(
        json.dumps(
            {
                "import_ms": (imported - started) * 1000,
                "open_ms": (opened - imported) * 1000,
                "first_ms": (done - opened) * 1000,
            }
        )
    )


def drop_caches() -> bool:
    """Empty the OS page cache (root only); False when this machine does not allow it."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def time_first(url: str, now: datetime, n: int, cold: bool) -> float:
    if cold and not drop_caches():
        raise SystemExit(
            "--drop-caches: this machine does not let the bench empty the page cache (root only)"
        )
    out = subprocess.run(
        [sys.executable, __file__, "--url", url, "--probe", str(n), "--now", now.isoformat()],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)["first_ms"]


def time_command(url: str, cold: bool) -> float:
    if cold:
        drop_caches()
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
    parser.add_argument("--repeat", type=int, default=1, help="measure each path this many times, in turns")
    parser.add_argument(
        "--in-window", type=int, default=3, help="posts inside the same-cable window (at most 2,000)"
    )
    parser.add_argument(
        "--unlinked", action="store_true", help="ledger rows without their paragraph row's id"
    )
    parser.add_argument(
        "--drop-caches", action="store_true", help="empty the OS page cache before each fresh process"
    )
    parser.add_argument("--probe", type=int, help=argparse.SUPPRESS)  # one fresh process's first call
    parser.add_argument("--now", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = args.url or f"sqlite:///{STORE}"
    if args.probe:
        probe(url, datetime.fromisoformat(args.now), args.probe)
        return 0
    if args.url and args.rebuild:
        build(url, args.csv)  # into an empty database or schema the caller provides
    elif not args.url and (args.rebuild or not STORE.exists()):
        CACHE.mkdir(parents=True, exist_ok=True)
        STORE.unlink(missing_ok=True)
        build(url, args.csv)
    now = datetime.now(UTC)
    analyze(url)
    where = url.split("@")[-1]
    history = f"{args.in_window} posts in the window" + (
        ", ledger rows without paragraph ids" if args.unlinked else ""
    )
    cache = (
        "OS page cache emptied before each fresh process" if args.drop_caches else "OS page cache as it is"
    )
    print(f"next on {where}: {history}; {cache}; goal < 100 ms")
    for turn in range(args.repeat):
        for queued in (False, True):
            give_history(url, now, queued, args.in_window, linked=not args.unlinked)
            first1 = time_first(url, now, 1, args.drop_caches)
            first10 = time_first(url, now, 10, args.drop_caches)
            command_ms = time_command(url, args.drop_caches)
            warm = time_next(url, now, args.rounds)
            path = "queued cable " if queued else "picker's own"
            print(
                f"  [{turn + 1}] {path}: first {first1:5.1f} ms, -n 10 first {first10:5.1f} ms | "
                f"median {warm['median1']:5.1f}, worst {warm['worst1']:5.1f}, "
                f"-n 10 median {warm['median10']:5.1f}, worst {warm['worst10']:5.1f} ms over {args.rounds} | "
                f"`cablebot next` {command_ms:4.0f} ms",
                flush=True,
            )
            if turn == 0:
                best = warm["choice1"][0]
                print(f"      chose {best.ref_id} ¶{best.number} (queued: {best.queued})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
