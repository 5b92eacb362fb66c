"""The plain-text export: five metadata lines, then the routing header and the body with no separator.

Lines 1-5: reference ID; title; creation date as `Tue Jan 19 00:00:00 +0100 2010`; classification;
origin. The calendar date is taken as written (00:00 UTC): the offset is the exporter's time zone, and
shifting by it could move the permalink's YYYY/MM into the wrong month. The export keeps the site's
anchors as `¶` before the paragraph number. Some exports hold only the five metadata lines: they give a
Cable without paragraphs (ingest never lets such a copy replace a fuller one).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.errors import ParseError
from bot.model import Cable, Source
from bot.permalink import DEFAULT_PERMALINKS, PermalinkTemplate
from bot.sources.cable_text import ANCHOR_MARK, cable_paragraphs, clean_subject, read_cable_text

FORMAT = "text-export"

_REF_ID = re.compile(r"[0-9]{2}[A-Z][A-Z0-9\-]*[0-9]+[A-Z0-9]*")
_DATE = re.compile(r"[A-Z][a-z]{2} ([A-Z][a-z]{2}) (\d{2}) (\d{2}):(\d{2}):(\d{2}) [+-]\d{4} (\d{4})")
# The title is the subject's first line cut at its first `(`, which can leave a marking's tail: `S/NF) ...`.
_MARKING_REMNANT = re.compile(r"^(?:U|C|S|SBU|TS)(?:/{1,2}[A-Z]+)*\)\s+")
# The export kept the site's anchors as `¶` before the paragraph number.
_PILCROW = re.compile(r"^([ \t]*)¶(?=(\d+|[A-Z])\. )", re.MULTILINE)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1
    )
}
# The export glued the routing header's last line to the body's banner
# (`...COLLECTIVEC O N F I D E N T I A L`)
# or to the partial-extract notice (`...is not available.S E C R E T BRASILIA 001207`).
_GLUED_BANNER = re.compile(
    r"(?<=[A-Za-z.])(?=(?:C O N F I D E N T I A L|S E C R E T|UNCLAS|UNCLASSIFIED|CONFIDENTIAL|SECRET)"
    r"(?:\s*//\s*[A-Z]+)?\s+(?:SECTION \d+ OF \d+\s+)?[A-Z][A-Z ]* \d{5,6}\b)"
)


def parse_export_date(value: str, *, where: str) -> datetime:
    m = _DATE.fullmatch(value.strip())
    if not m or m.group(1) not in _MONTHS:
        raise ParseError(
            f"line 3 {value.strip()!r} is not a date like 'Tue Jan 19 00:00:00 +0100 2010'", where=where
        )
    month, day, year = _MONTHS[m.group(1)], int(m.group(2)), int(m.group(6))
    try:
        return datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        raise ParseError(f"line 3 {value.strip()!r} is not a real date", where=where) from None


def parse_text_export(text: str, *, where: str, permalinks: PermalinkTemplate = DEFAULT_PERMALINKS) -> Cable:
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if len(lines) < 5:
        raise ParseError(f"a text export has 5 metadata lines; this file has {len(lines)}", where=where)
    ref_id, title, date_line, classification, origin = (line.strip() for line in lines[:5])
    if not _REF_ID.fullmatch(ref_id):
        raise ParseError(f"line 1 {ref_id!r} is not a cable reference ID", where=where)
    created = parse_export_date(date_line, where=where)
    if not classification or not origin:
        raise ParseError("line 4 (classification) or line 5 (origin) is empty", where=where)

    body = "\n".join(lines[5:])
    m = _GLUED_BANNER.search(body, 0, 20000)
    if m:
        body = body[: m.start()] + "\n" + body[m.start() :]
    body = _PILCROW.sub(lambda m: m.group(1) + ANCHOR_MARK + m.group(2) + ANCHOR_MARK, body)
    cable_text = read_cable_text(body, anchored=True)
    return Cable(
        ref_id=ref_id,
        created=created,
        released=None,
        classification=classification,
        origin=origin,
        subject=cable_text.subject or clean_subject(_MARKING_REMNANT.sub("", title)),
        tags=cable_text.tags,
        references=cable_text.references,
        url=permalinks.cable_url(ref_id, created),
        paragraphs=cable_paragraphs(cable_text.paragraphs, ref_id, created, permalinks),
        source=Source(FORMAT, where),
    )
