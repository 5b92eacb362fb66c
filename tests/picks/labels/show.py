"""Print cables in full for a labeller (labels/brief.md): metadata, then every paragraph with its number.

python tests/picks/labels/show.py LIST START COUNT    # cables START..START+COUNT-1 of a list of IDs
python tests/picks/labels/show.py --ref 08ASTANA2079  # one cable
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("CABLEBOT_SHARED") or HERE.parents[3] / "shared")


def show(ref_id: str) -> None:
    from bot.sources.html_page import parse_html_page

    path = SHARED / "cables" / "html" / f"{ref_id}.html"
    cable = parse_html_page(path.read_text(encoding="utf-8", errors="replace"), where=str(path))
    print("=" * 100)
    print(
        f"CABLE {cable.ref_id} | created {cable.created:%Y-%m-%d} | {cable.classification} | {cable.origin}"
    )
    print(f"SUBJECT: {cable.subject}")
    for para in cable.paragraphs:
        anchored = "" if para.url else "  [NOT anchored: cannot be picked]"
        print(f"\n--- para {para.number} ({para.marking}){anchored}")
        print(para.text)
    print()


if __name__ == "__main__":
    if sys.argv[1] == "--ref":
        show(sys.argv[2])
    else:
        ids = Path(sys.argv[1]).read_text().split()
        first, count = int(sys.argv[2]), int(sys.argv[3])
        for ref_id in ids[first - 1 : first - 1 + count]:
            show(ref_id)
