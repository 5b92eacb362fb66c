"""A cable as plain text, bare or copied into a web page with noise before and after (a blog's copy).

Metadata, in order of preference:
- the site's metadata line pasted as text: `Reference ID Created Released Classification Origin`, then one
  line of values separated by spaces (classification and origin contain spaces, so the classification is
  matched against the release's classification vocabulary);
- otherwise the cable's own text: the banner (`UNCLAS SECTION 01 OF 02 ASTANA 002079`) and the DTG line
  (`O 201103Z OCT 08`) give the reference ID and creation time, `FM AMEMBASSY ASTANA` the origin. Without a
  reference ID and a date this is not read as a cable (a ParseError says so) rather than guessed.

The cable starts after the metadata (or at the routing header) and ends at its signature or trailer;
what a web page puts after it (comments, "Advertisements", share buttons) is ignored.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.errors import ParseError
from bot.model import Cable, Source
from bot.permalink import DEFAULT_PERMALINKS, PermalinkTemplate
from bot.sources.cable_text import ANCHOR_RULE, UNANCHORED_NUMBER, cable_paragraphs, read_cable_text

FORMAT = "plain-text"

_METADATA_LINE = re.compile(r"\s*Reference ID\s+Created\s+Released\s+Classification\s+Origin\s*$")
_CLASSIFICATION = (
    r"(?:UNCLASSIFIED|CONFIDENTIAL|SECRET|TOP SECRET)"
    r"(?:\s*//\s*(?:FOR OFFICIAL USE ONLY|NOFORN|ORCON|FGI|REL [A-Z ,]+?|[A-Z]+))*"
)
_VALUES = re.compile(
    r"\s*([0-9]{2}[A-Z][A-Z0-9\-]*[0-9]+[A-Z0-9]*)\s+(\d{4}-\d{2}-\d{2}\s+\d{1,2}:\d{2})"
    r"(?:\s+(\d{4}-\d{2}-\d{2}\s+\d{1,2}:\d{2}))?\s+(" + _CLASSIFICATION + r")\s+(\S.*?)\s*$"
)
_BANNER = re.compile(
    r"\s*(C O N F I D E N T I A L|S E C R E T|UNCLAS|UNCLASSIFIED|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE)"
    r"(?:\s*//\s*[A-Z ]+?)?\s+(?:E F T O\s+)?(?:SECTION\s+\d+\s+OF\s+\d+\s+)?"
    r"([A-Z][A-Z ]*?)\s+0*(\d{1,6})\s*$"
)
_DTG = re.compile(r"\s*(?:[OPRZ]{1,2}|ZZ)\s+(\d{2})(\d{2})(\d{2})Z\s+([A-Z]{3})\s+(\d{2}|\d{4})\s*$")
_FROM = re.compile(r"\s*FM\s+(.+?)\s*$")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1
    )
}
_CLASSIFICATION_WORDS = {
    "C O N F I D E N T I A L": "CONFIDENTIAL",
    "S E C R E T": "SECRET",
    "UNCLAS": "UNCLASSIFIED",
}
_ORIGIN_KINDS = {"AMEMBASSY": "Embassy", "AMCONSUL": "Consulate", "USMISSION": "Mission"}
_SIGNATURE = re.compile(r"\s*[A-Z][A-Z'\-]+(?: [A-Z][A-Z'\-]+)?\s*$")
_TRAILER = re.compile(r"\s*(?:NNNN|End Cable Text)\s*$", re.IGNORECASE)
_SEPARATOR = re.compile(r"\s*(?:[-=*_~#]\s*){3,}$")
# What blog platforms put after a post: a last resort when no signature or trailer closes the cable.
_PAGE_NOISE = re.compile(
    r"\s*(?:Advertisements|Share this:|Like this:|Rate this:|Leave a Reply|Leave a comment|Related posts?|"
    r"Post a comment or leave a trackback\b.*|Posted in\b.*|Filed under\b.*|"
    r"Fill in your details below\b.*)\s*$",
    re.IGNORECASE,
)


def parse_plain_text(text: str, *, where: str, permalinks: PermalinkTemplate = DEFAULT_PERMALINKS) -> Cable:
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").split("\n")
    meta_at = next((i for i, line in enumerate(lines[:400]) if _METADATA_LINE.match(line)), None)
    title = ""
    if meta_at is not None:
        values_at = next(
            (i for i in range(meta_at + 1, min(meta_at + 4, len(lines))) if lines[i].strip()), None
        )
        m = _VALUES.match(lines[values_at]) if values_at is not None else None
        if not m:
            raise ParseError(
                "the line after 'Reference ID Created Released Classification Origin' does not hold "
                "a reference ID, dates, a classification and an origin",
                where=where,
                line=(values_at or meta_at) + 1,
            )
        ref_id, created_s, released_s, classification, origin = m.groups()
        created = _parse_iso(created_s, where=where)
        released = _parse_iso(released_s, where=where) if released_s else None
        first = lines[0].strip()
        if first.startswith(ref_id + ","):
            title = first[len(ref_id) + 1 :].strip()
        cable_lines = lines[values_at + 1 :]
    else:
        ref_id, created, classification, origin, start = _metadata_from_text(lines, where=where)
        released = None
        cable_lines = lines[start:]

    cable_lines = cable_lines[: _cable_end(cable_lines)]
    cable_text = read_cable_text("\n".join(cable_lines), anchored=False)
    return Cable(
        ref_id=ref_id,
        created=created,
        released=released,
        classification=classification,
        origin=origin,
        subject=cable_text.subject or title,
        tags=cable_text.tags,
        references=cable_text.references,
        url=permalinks.cable_url(ref_id, created),
        paragraphs=cable_paragraphs(cable_text.paragraphs, ref_id, created, permalinks),
        source=Source(FORMAT, where),
    )


def _parse_iso(value: str, *, where: str) -> datetime:
    try:
        return datetime.strptime(" ".join(value.split()), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    except ValueError:
        raise ParseError(f"{value!r} is not a date like 2008-10-20 11:03", where=where) from None


def _metadata_from_text(lines: list[str], *, where: str) -> tuple[str, datetime, str, str, int]:
    """Reference ID, creation time, classification, origin and first line, from the cable's own text."""
    dtg = banner = origin_line = None
    start = None
    for i, line in enumerate(lines[:300]):
        if dtg is None and (m := _DTG.match(line)):
            dtg = m
            start = i if start is None else start
        elif origin_line is None and (m := _FROM.match(line)):
            origin_line = m.group(1)
        elif banner is None and (m := _BANNER.match(line)):
            banner = m
            start = i if start is None else start
        if line.strip().startswith(("VZCZC", "R ", "O ", "P ")) and start is None:
            start = i
    if banner is None or dtg is None:
        missing = " and ".join(
            what
            for what, found in (("a banner with the reference number", banner), ("a DTG line", dtg))
            if not found
        )
        raise ParseError(
            f"not a cable: no metadata line ('Reference ID Created Released Classification Origin') and "
            f"no {missing} (like 'O 201103Z OCT 08') to tell its reference ID and date",
            where=where,
        )
    day, hour, minute, month_s, year_s = dtg.groups()
    if month_s not in _MONTHS:
        raise ParseError(f"DTG month {month_s!r} is not a month", where=where)
    year = (
        int(year_s) if len(year_s) == 4 else (1900 + int(year_s) if int(year_s) >= 60 else 2000 + int(year_s))
    )
    try:
        created = datetime(year, _MONTHS[month_s], int(day), int(hour), int(minute), tzinfo=UTC)
    except ValueError:
        raise ParseError(f"DTG {dtg.group(0).strip()!r} is not a real date and time", where=where) from None
    station = banner.group(2).replace(" ", "")
    ref_id = f"{year % 100:02d}{station}{int(banner.group(3))}"
    word = banner.group(1)
    classification = _CLASSIFICATION_WORDS.get(word, word)
    return ref_id, created, classification, _origin(origin_line, banner.group(2)), start or 0


def _origin(from_line: str | None, station: str) -> str:
    if from_line:
        kind, _, place = from_line.partition(" ")
        if kind in _ORIGIN_KINDS and place:
            return f"{_ORIGIN_KINDS[kind]} {place.title()}"
        if from_line.startswith("SECSTATE"):
            return "Secretary of State"
        return from_line.title()
    return station.title()


def _cable_end(lines: list[str]) -> int:
    """Index just past the cable's last line: its trailer or signature, or the page's noise.

    A signature only ends the cable after its last numbered paragraph: headings look the same.
    """
    n = len(lines)
    starts = [i for i, line in enumerate(lines) if ANCHOR_RULE.match(line) or UNANCHORED_NUMBER.match(line)]
    if not starts:
        return n
    for i in range(starts[0] + 1, n):
        line = lines[i]
        if _TRAILER.match(line):
            return i + 1
        if _PAGE_NOISE.match(line):
            return i
        if i > starts[-1] and _SIGNATURE.match(line):
            j = i + 1
            if j < n and lines[j].strip():
                continue
            return i + 1
    return n
