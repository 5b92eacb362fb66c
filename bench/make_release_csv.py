"""Build a CSV with the layout of the full release (`cables.csv`) from the real pages.

    python bench/make_release_csv.py [OUT] [--rows N] [--html FOLDER]

We do not have the real 1.7 GB file. This writes one of the same shape: no header row; eight quoted
columns (sequence id, date `12/28/1966 18:48`, reference ID, origin, classification, references, header,
body), with multi-line header and body fields taken from the page's two `<pre>` blocks as plain text (as
the real release has them: no anchors, no `¶`, entities decoded). It cycles through the pages until it
has N rows (default 251,287, the real count); from the second pass on, reference IDs get a suffix
(`08ASTANA2079`, then `08ASTANA2079A1`, `08ASTANA2079A2`...) so that every row is a distinct cable.

OUT defaults to ~/.cache/cablebot/bench/cables.csv; it is never written inside the repository.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from bot.sources.html_page import CABLE_TABLE, page_text

REAL_ROWS = 251_287
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = Path.home() / ".cache" / "cablebot" / "bench" / "cables.csv"

_CELL = re.compile(r"<td>\s*<a\b[^>]*>(.*?)</a>\s*</td>", re.DOTALL)
_PRE = re.compile(r"<code><pre>(.*?)</pre></code>", re.DOTALL)
_ANCHOR = re.compile(r"<a id='par[^']*' href='#par[^']*'>¶</a>")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{1,2}:\d{2})")


def page_row(page: str) -> tuple[str, str, str, str, str, str]:
    """(date, reference ID, origin, classification, header, body) of a cablegate page, as the CSV has them."""
    table_at = CABLE_TABLE.search(page).start()
    table = page[table_at : page.index("</table>", table_at)]
    ref_id, created, _, classification, origin = (page_text(c).strip() for c in _CELL.findall(table)[:5])
    year, month, day, time = _DATE.fullmatch(created).groups()  # type: ignore[union-attr]
    header, body = (_pre_text(block) for block in _PRE.findall(page, table_at)[:2])
    return f"{month}/{day}/{year} {time}", ref_id, origin, classification, header, body


def _pre_text(block: str) -> str:
    return page_text(_ANCHOR.sub("", block.replace("&#x000A;", "\n")))


def release_rows(html_dir: Path, rows: int = REAL_ROWS) -> Iterator[list[str]]:
    """`rows` CSV rows cycling through the pages of `html_dir`, reference IDs made unique."""
    pages = [page_row(p.read_text(encoding="utf-8")) for p in sorted(html_dir.glob("*.html"))]
    if not pages:
        raise SystemExit(f"no pages (*.html) in {html_dir}")
    for n in range(rows):
        date, ref_id, origin, classification, header, body = pages[n % len(pages)]
        lap = n // len(pages)
        unique_id = ref_id if lap == 0 else f"{ref_id}A{lap}"
        yield [str(n + 1), date, unique_id, origin, classification, "", header, body]


def write_release_csv(html_dir: Path, out: Path, rows: int = REAL_ROWS) -> int:
    """Write the CSV to `out` (never inside the repository); the number of bytes written."""
    out = out.expanduser().resolve()
    if out.is_relative_to(REPO_ROOT):
        raise SystemExit(f"{out} is inside the repository; write the benchmark CSV elsewhere")
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
        for row in release_rows(html_dir, rows):
            writer.writerow(row)
    return out.stat().st_size


def main() -> None:
    shared = Path(os.environ.get("CABLEBOT_SHARED") or REPO_ROOT / ".." / "shared")
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--rows", type=int, default=REAL_ROWS)
    parser.add_argument("--html", type=Path, default=shared / "cables" / "html")
    args = parser.parse_args()
    size = write_release_csv(args.html, args.out, args.rows)
    print(f"wrote {args.rows:,} rows, {size / 1e6:,.1f} MB, to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
