"""How long `cablebot --help` takes, and what the light commands import (issue 5: under 300 ms).

    python bench/cli_help.py [--runs 20]

Prints the median and worst wall time of `cablebot --help` as a new process, and checks that neither
`--help` nor the commands that do not publish load a network SDK (atproto, tweepy, mastodon).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time

SDKS = ("atproto", "tweepy", "mastodon")
LIGHT = ["--help", "ingest --help", "show --help", "pick --help", "preview --help"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    command = shutil.which("cablebot") or sys.exit("cablebot is not installed (pip install -e .)")

    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run([command, "--help"], check=True, capture_output=True)
        times.append((time.perf_counter() - start) * 1000)
    print(
        f"cablebot --help: median {statistics.median(times):.0f} ms, worst {max(times):.0f} ms "
        f"over {args.runs} runs (goal < 300 ms)"
    )

    # Run the command in-process, then report (on stderr, at exit) which SDK modules it loaded.
    probe = (
        "import atexit, sys; "
        f"atexit.register(lambda: print('SDKS=' + ','.join(m for m in {SDKS!r} if m in sys.modules), "
        "file=sys.stderr)); "
        "sys.argv = ['cablebot', *sys.argv[1].split()]; "
        "from bot.cli.app import main; main()"
    )
    for line in LIGHT:
        done = subprocess.run([sys.executable, "-c", probe, line], capture_output=True, text=True)
        loaded = next((x[5:] for x in done.stderr.splitlines() if x.startswith("SDKS=")), "?")
        print(f"cablebot {line}: SDKs loaded: {loaded or 'none'}")


if __name__ == "__main__":
    main()
