"""The worker on a store of the whole release (251,287 cables): one slot's own work, and memory over time.

    python bench/worker.py                      # both measures, on a copy of the big bench store
    python bench/worker.py --slots 100 --seconds 120
    python bench/worker.py --store PATH.db      # another SQLite store of the corpus

The store is the one bench/next.py builds (the real ingest of the release-shaped CSV, with the picker's
scores) under ~/.cache/cablebot/bench; it is copied once (SQLite's backup API) to worker-store.db so
that the posts this bench makes never touch the other benchmarks' store.

1. One slot's own work (goal: under 50 ms): `Worker.once()` in this process, posting to an outbox file:
   recovery check, claim, the picker's choice (editors' queue first), render, ledger, slot closed. The
   network call (the outbox write and its fsync) is timed apart and excluded, as the goal says.
2. Memory (goal: RSS under 150 MB, flat): a real `cablebot worker` process serving an `every = "1s"`
   schedule for --seconds, its RSS read from /proc every half second. The run compresses days into
   minutes, so the picker's same-cable window is compressed alike (--window, 20 s by default: about
   the 18 posts a 3-day window holds at one post every 4 hours). With the real 3-day window at one post
   a second, the window would hold thousands of cables, which no real schedule comes near.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE = Path.home() / ".cache" / "cablebot" / "bench"
SOURCE = CACHE / "next-store.db"
COPY = CACHE / "worker-store.db"
EXPECTED_CABLES = 251_287
# A new account each run: what earlier runs posted must not weigh on this one (the picker excludes every
# cable the account posted within its same-cable window).
ACCOUNT = f"bench-worker-{int(time.time())}"


def copy_store(source: Path, target: Path) -> None:
    if target.exists():
        return
    if not source.exists():
        sys.exit(f"no store at {source}: run `python bench/next.py` first (it builds the corpus store)")
    print(f"copying {source} to {target} (once)...", file=sys.stderr, flush=True)
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(partial) as dst:
        src.backup(dst, pages=65536)
    partial.rename(target)


def write_config(folder: Path, every: str | None, window: str | None = None) -> Path:
    schedule = f'every = "{every}"\n' if every else ""
    picks = f'\n[picks]\nsame_cable_window = "{window}"\n' if window else ""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bot.toml"
    path.write_text(
        f'[templates]\ndir = "{REPO / "templates"}"\n\n'
        f'[accounts.{ACCOUNT}]\nnetwork = "outbox"\npath = "{folder / "outbox.jsonl"}"\n{schedule}{picks}',
        encoding="utf-8",
    )
    return path


def time_slots(url: str, slots: int, folder: Path) -> dict[str, float]:
    from bot.config import load_config
    from bot.store import open_store
    from bot.worker.run import Worker

    config = load_config(write_config(folder, None))
    with open_store(url) as store:
        cables = store.counts()["cables"]
        worker = Worker(store, config)
        [account] = worker.served()
        network = account.network
        publish_seconds: list[float] = []
        original = network.publish

        def timed_publish(*args, **kwargs):
            started = time.perf_counter()
            try:
                yield from original(*args, **kwargs)
            finally:
                publish_seconds.append(time.perf_counter() - started)

        network.publish = timed_publish
        first_started = time.perf_counter()
        worker.once()  # the first one loads templates, the SDK-free adapter, the picker's settings
        first = time.perf_counter() - first_started
        own: list[float] = []
        for _ in range(slots):
            publish_seconds.clear()
            started = time.perf_counter()
            [result] = worker.once()
            total = time.perf_counter() - started
            if result.status != "posted":
                sys.exit(f"a slot was not posted: {result}")
            own.append(total - sum(publish_seconds))
    own_ms = sorted(s * 1000 for s in own)
    return {
        "cables": cables,
        "first_ms": first * 1000,
        "median_ms": statistics.median(own_ms),
        "p95_ms": own_ms[int(0.95 * (len(own_ms) - 1))],
        "max_ms": own_ms[-1],
    }


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except FileNotFoundError:
        return None
    return None


def measure_rss(url: str, seconds: float, folder: Path, window: str | None) -> dict[str, float]:
    config = write_config(folder, "1s", window)
    env = {**os.environ, "DATABASE_URL": url, "CABLEBOT_CONFIG": str(config)}
    exe = Path(sys.executable).with_name("cablebot")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "bot"]
    log = folder / "worker.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [*command, "worker"], env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT
        )
        samples: list[tuple[float, int]] = []
        started = time.monotonic()
        while time.monotonic() - started < seconds and process.poll() is None:
            kib = rss_kib(process.pid)
            if kib:
                samples.append((time.monotonic() - started, kib))
            time.sleep(0.5)
        process.terminate()
        code = process.wait(timeout=60)
    outbox = folder / "outbox.jsonl"
    posted = len(outbox.read_text().splitlines()) if outbox.exists() else 0
    if not samples:
        sys.exit(f"the worker did not run; see {log}")
    tenth = max(1, len(samples) // 10)
    mib = [k / 1024 for _, k in samples]
    return {
        "seconds": seconds,
        "posted": posted,
        "exit_code": code,
        "rss_max_mib": max(mib),
        "rss_first_tenth_mib": statistics.mean(mib[:tenth]),
        "rss_last_tenth_mib": statistics.mean(mib[-tenth:]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--store", type=Path, default=None, help="a SQLite store of the corpus (used as is)")
    parser.add_argument("--slots", type=int, default=50, help="slots to time in process")
    parser.add_argument("--seconds", type=float, default=90, help="how long the worker process runs")
    parser.add_argument(
        "--window",
        default="20s",
        help="[picks] same_cable_window for the memory run ('' for the config's own, 3d)",
    )
    args = parser.parse_args()

    if args.store:
        path = args.store
    else:
        copy_store(SOURCE, COPY)
        path = COPY
    url = f"sqlite:///{path}"
    with tempfile.TemporaryDirectory(prefix="cablebot-bench-worker-") as tmp:
        slot = time_slots(url, args.slots, Path(tmp) / "slots")
        if slot["cables"] != EXPECTED_CABLES:
            note = f"note: the store holds {slot['cables']:,} cables, not {EXPECTED_CABLES:,}"
            print(note, file=sys.stderr)
        rss = measure_rss(url, args.seconds, Path(tmp) / "rss", args.window or None)
    report = {"store": str(path), "slot": slot, "rss": rss}
    print(json.dumps(report, indent=2))
    print(
        f"\none slot's own work on {slot['cables']:,} cables (network call excluded): median "
        f"{slot['median_ms']:.1f} ms, p95 {slot['p95_ms']:.1f} ms, max {slot['max_ms']:.1f} ms "
        f"(goal < 50 ms; the first slot of a process {slot['first_ms']:.0f} ms)\n"
        f"worker RSS over {rss['seconds']:.0f} s and {rss['posted']} posts: "
        f"max {rss['rss_max_mib']:.1f} MiB, "
        f"first tenth {rss['rss_first_tenth_mib']:.1f} MiB, last tenth {rss['rss_last_tenth_mib']:.1f} MiB "
        f"(goal < 150 MB, flat)",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
