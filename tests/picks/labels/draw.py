"""How the cables of label sets 12 to 23 were drawn (session 5), so that anyone can draw them again or go on.

    python tests/picks/labels/draw.py 12      # the 35 reference IDs of set 12, one a line

Every page of the real corpus that is not in label sets 1-11 nor in the 143-cable sequence
random.Random(20261128).sample(names, 143) (set aside in session 1), that parses, and that has at least 3
anchored numbered paragraphs (reference lines A, B... do not count), shuffled by random.Random(20261205)
and cut into sets of 35 from set 12 on. 849 pages qualified; sets 12-35 took the first 840.
"""

from __future__ import annotations

import os
import random
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("CABLEBOT_SHARED") or HERE.parents[3] / "shared")
EARLIER = ["editor_picks.toml", *(f"editor_picks_{n}.toml" for n in range(2, 12))]


def pool() -> list[str]:
    from bot.errors import ParseError
    from bot.sources.html_page import parse_html_page

    html = SHARED / "cables" / "html"
    names = sorted(p.name for p in html.glob("*.html"))
    labelled = {c["ref_id"] for f in EARLIER for c in tomllib.loads((HERE / f).read_text())["cable"]}
    set_aside = set(random.Random(20261128).sample(names, 143))
    found = []
    for name in names:
        if name in set_aside or name[:-5] in labelled:
            continue
        try:
            cable = parse_html_page((html / name).read_text(encoding="utf-8", errors="replace"), where=name)
        except ParseError:
            continue
        if sum(1 for p in cable.paragraphs if p.url is not None and p.number.isdigit()) >= 3:
            found.append(name[:-5])
    random.Random(20261205).shuffle(found)
    return found


if __name__ == "__main__":
    n = int(sys.argv[1])
    print("\n".join(pool()[(n - 12) * 35 : (n - 11) * 35]))
