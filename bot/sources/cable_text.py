"""What every format of a cable shares: the text of its header fields and body, and how to cut it.

Each format parser turns its input into the cable's text and hands it to `read_cable_text`. Formats that
kept the site's anchors (the HTML page, the text export's `¶`) mark the anchored lines (ANCHOR_MARK);
formats without anchors (plain text, the CSV) say `anchored=False` and the site's own rule is applied, so
every format of one cable yields the same paragraphs. The work is done with regular expressions over the
whole text rather than line by line: parsing speed is a requirement (thousands of pages a second).

The site's anchor rule (checked on all 1,295 pages, no exception): a body line that starts, after optional
spaces, with `N. ` or one capital letter and `. ` gets the anchor `parN`. Those lines start paragraphs.
A line the site did not anchor but that plainly starts a numbered paragraph (`1.(C)`, `2 (S)`) also starts
one, so that its text never runs into the paragraph before; it cannot be cited (url None).

Text kept in a paragraph: its lines joined with single spaces, whitespace collapsed, original spelling
kept, without its number and marking, without page breaks (`ASTANA 00002079  002 OF 002` on a line of its
own or inside a sentence, the older `CONFIDENTIAL / PAGE 02 HARARE 06677 01 OF 03 291400Z`), without SIPDIS
lines (or a SIPDIS opening a line) and rules (`-----`). A paragraph ends at the next paragraph, a section
heading (underlined, or a short line set off by blank lines before the next paragraph), a header field
(`Classified By:` after a reference list), a trailer (`NNNN`, `End Cable Text`, `GP-3`), a "visit our
classified website" block, a corrupted number (`Q (C/NF)`), or the signature (last paragraph only).
So a paragraph's text is always the start of the text the site shows under its anchor (tested on every
page), usually all of it.

Markings are the portion marking without its parentheses, spaces collapsed; a marking written with a
space instead of a slash between plain classification tokens (`C NF`) is written `C/NF`. Otherwise its
words are kept as written (`S//REL to USA, ACGU`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from bot.model import Paragraph
from bot.permalink import PermalinkTemplate

# --- the site's anchor rule and numbered-paragraph starts ---------------------------------------------

# Formats that kept the site's anchors (the page, the text export's `¶`) put ANCHOR_MARK + id + ANCHOR_MARK
# at the start of each anchored line before handing the text over.
ANCHOR_MARK = "\x1e"
ANCHOR_RULE = re.compile(r"\s*(\d+|[A-Z])\. ")
_MARKING_WORD = r"(?i:U|C|S|TS|SBU|FOUO|NF|LOU|CUI|UNCLASSIFIED|CONFIDENTIAL|SECRET)"
_MARKING = r"\(\s*" + _MARKING_WORD + r"(?![A-Za-z])[A-Za-z/ ,.\-]{0,60}\)"
_MARKING_BODY = re.compile(_MARKING_WORD + r"(?![A-Za-z])[A-Za-z/ ,.\-]{0,60}")
_PAREN_MARKING = re.compile(
    r"\s*\(\s*(" + _MARKING_WORD + r"(?![A-Za-z])[A-Za-z/ ,.\-]{0,60}?)\s*\)\s*\.?\s*"
)
# A number the site did not anchor but that clearly starts a paragraph: `1.(C)`, `2 (S/NF)`, `3.(U)`.
_UNANCHORED = r"(?P<un>\d{1,3})[ \t]?\.?[ \t]?(?=" + _MARKING + r")"
UNANCHORED_NUMBER = re.compile(r"\s*" + _UNANCHORED)
# Line-start patterns begin with a literal newline (the text gets one in front) rather than `^`: the
# regular expression engine then jumps from newline to newline, several times faster.
_START_ANCHORED = re.compile(r"\n[ \t]*(?:\x1e(?P<id>[^\x1e\n]*)\x1e|" + _UNANCHORED + r")")
# The site's rule, applied to the text as the site saw it (before page breaks are taken out).
_RULE_LINE = re.compile(r"\n([ \t]*)(?=(\d+|[A-Z])\. )")
_MARKED_LINE = "\n\\1" + ANCHOR_MARK + "\\2" + ANCHOR_MARK
_AFTER_ANCHOR = re.compile(r"[ \t]*¶?[ \t]*(?:\d+|[A-Z])\.[ \t]?")
_MARKS = re.compile(r"\x1e[^\x1e\n]*\x1e")
# `Classified By: ... reasons 1.4 b and d 1.(C)` swallowed the first paragraph's number (08OSLO522).
_NUMBER_AFTER_CLASSIFIED_BY = re.compile(
    r"\n[ \t]*Classified[ \t]+By\b[^\n]*?[ \t](?P<un>\d{1,2}) ?\. ?(?=" + _MARKING + r")", re.IGNORECASE
)
_MARKED_LINE_START = re.compile(r"\s*" + _MARKING)
_REF_ITEM_AFTER_LETTER = re.compile(
    r"\s*\([^)]*\)\s*(?:\d{2,4}\s+)?[A-Z][A-Za-z.]*(?:\s+[A-Z][A-Za-z.]*)*\s+\d"
)
_PLAIN_MARKING_TOKENS = {"U", "C", "S", "TS", "SBU", "NF", "FOUO", "LOU"}

# --- lines that are not paragraph text --------------------------------------------------------------

# `ASTANA 00002079  002 OF 002`, `BAGHDAD 00003895  001.3 OF 003`, `Riyadh 00009095 002 of 002`.
_PAGE_BREAK = (
    r"[A-Z][A-Za-z.'\-]*(?: [A-Z][A-Za-z.'\-]*){0,3} 0*\d{3,8}[ \t]+\d{3}(?:\. ?\d{1,2})? (?:OF|of|Of) \d{3}"
)
PAGE_BREAK_LINE = re.compile(r"\s*" + _PAGE_BREAK + r"\s*$")
_PAGE_NUMBERS = re.compile(r" (?:OF|of|Of) \d{3}")
# The older telegram layout repeats the classification and a page header: `CONFIDENTIAL` /
# `PAGE 02 HARARE 06677 01 OF 03 291400Z`, often in the middle of a sentence.
_OLD_PAGE_HEADER = re.compile(
    r"(?:(?:UNCLASSIFIED|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE|UNCLAS)[ \t]*\n(?:[ \t]*\n)*[ \t]*)*"
    r"PAGE \d{2}[ \t]+[A-Z][A-Z ]*?[ \t]+\d{2,6}[ \t]+\d{2} OF \d{2}[ \t]+\d{6}Z[ \t]*(?:\n(?:[ \t]*\n)*)?"
)
# Inline page breaks are found by their number; the words before it are the station's, as many as the
# station has words (`Long-Term Planning BRASILIA 00000129 002 OF 002`, `Kuala lump 00000752 002 of 002`).
_INLINE_BREAK_TAIL = r" 0*\d{4,8}[ \t]+\d{3}(?:\.\s*\d{1,2})?\s+(?:OF|of|Of) \d{3}\Z"
_INLINE_BREAKS = [
    re.compile(r"(?:(?<=\s)|\A)" + r" ".join([r"[A-Za-z.'\-]+"] * k) + _INLINE_BREAK_TAIL)
    for k in (1, 2, 3, 4)
]
_BANNER_STATION = re.compile(
    r"^[ \t]*(?:C O N F I D E N T I A L|S E C R E T|UNCLAS|UNCLASSIFIED|CONFIDENTIAL|SECRET"
    r"|LIMITED OFFICIAL USE)"
    r"(?:[ \t]*//[ \t]*[A-Z ]+?)?[ \t]+(?:E F T O[ \t]+)?(?:SECTION[ \t]+\d+[ \t]+OF[ \t]+\d+[ \t]+)?"
    r"([A-Z][A-Z ]*?)[ \t]+0*\d{1,6}[ \t]*$",
    re.MULTILINE,
)
# Where a paragraph stops (each at the start of a line): a separator, a trailer, a "visit our classified
# website" blurb, or a corrupted number before a marking after a blank line (`Q (C/NF)`, 08LONDON2651),
# whose text is not the previous paragraph's though we cannot say whose it is.
_STOP_BODY = (
    r"\n[ \t]*(?:"
    r"(?P<sep>(?:[-=*_~#][ \t]*){3,}(?=\n|\Z))"
    r"|(?i:NNNN|End Cable Text|GP-3|BT|#\d{4})[ \t]*(?=\n|\Z)"
    r"|[-=*_~# \t]*[\"“']?(?i:(?:please\s+)?visit\b[^\n]*\b(?:classified|web\s?site|intelink|sipr))"
    r"|(?i:for more reporting from\b)"
    r"|(?P<corrupt>(?:[ \t]*\n)+[ \t]*[A-Z0-9]{1,2}[ \t]+" + _MARKING + r"[ \t]+\S)"
)
_STOP = re.compile(_STOP_BODY + r")")
# Before the body proper (lettered reference items the site anchored), a header field ends an item too.
_STOP_IN_HEADER = re.compile(
    _STOP_BODY
    + r"|(?i:Classified\s+By\b|(?:E\.\s?O\.|EO)\s*1\d{4}|TAGS?\b|SUBJ(?:ECT)?\s*:|REF(?:S|TEL)?\b\s*:?))"
)
# Retyped cables run a section heading and its underline into the paragraph before (08STOCKHOLM51):
# `... End Summary. Afghanistan -----------`.
_INLINE_HEADING_AT_END = re.compile(r"(?<=[.!?\"”)])\s+[^.!?\n]{0,80}?\s*[-=]{4,}[-= ]*$")
# SIPDIS and one- or two-character dash lines are never text: they go before the text is cut. Longer rules
# are kept until then (they end paragraphs); one that underlines a paragraph's own title goes after.
_SHORT_NOISE_LINES = re.compile(r"\n[ \t]*(?:SIPDIS|[-=*_~#]{1,2})[ \t]*(?=\n|\Z)")
_SIPDIS_IN_SENTENCE = re.compile(r"\n[ \t]*SIPDIS[ \t]+(?=\S)")  # `he added that\nSIPDIS though ...`
_NOISE_LINES = re.compile(r"\n[ \t]*(?:SIPDIS|(?:[-=*_~#][ \t]*)+)[ \t]*(?=\n|\Z)")
_HEADER_FIELD = re.compile(
    r"\s*(?:Classified\s+By\b|(?:E\.\s?O\.|EO)\s*1\d{4}|TAGS?\b|SUBJ(?:ECT)?\s*:|REF(?:S|TEL)?\b\s*:?)",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"\s*(?:[-=*_~#]\s*){3,}$")
_SIGNATURE_LINE = re.compile(r"\s*([A-Za-z][A-Za-z'\-]*(?:\s+[A-Za-z][A-Za-z'\-]*){0,2})(?:\s+\.)?\s*$")
_SIGNATURE_AT_END = re.compile(
    r"^(.*?(?:[A-Za-z0-9)\"”'’\]]\.|[.!?]\)|[.!?][\"”'’]|END COMMENT\.?|End Comment\.?))\s+"
    r"([A-Z][A-Z'\-]{2,}(?:\s+[A-Z][A-Z'\-]{2,})?)\s*[.…]*\s*$"
)
# Words that close a block of text rather than sign the cable.
_NOT_NAMES = {
    "END", "COMMENT", "SUMMARY", "NOTE", "TEXT", "BEGIN", "ACTION", "REQUEST", "CABLE", "MESSAGE", "SIPDIS",
}  # fmt: skip
_PUNCTUATION_LINES = {"", ".", "#", "...", "…"}
_TITLES = {
    "MR", "MRS", "MS", "DR", "AMB", "GEN", "ST", "SEN", "REP", "GOV", "COL", "LT", "CAPT", "ADM", "PRES",
}  # fmt: skip

# --- header fields ------------------------------------------------------------------------------------

_TAGS = re.compile(r"\s*(?:TAGS?|AGS)\s*(?::\s*|\s+)(.*)$", re.IGNORECASE)
_TAGS_ON_EO_LINE = re.compile(r"\bTAGS?\s*:\s*(.*)$", re.IGNORECASE)
_SUBJECT = re.compile(r"\s*S?UBJ(?:ECT)?\s*:\s*(.*)$", re.IGNORECASE)
_REF = re.compile(r"\s*REF(?:S|TEL|TELS|\(S\))?\s*:\s*(.*)$", re.IGNORECASE)
_REF_ITEM_LETTER = re.compile(r"(?:^|\s|,)(?:\(([A-Za-z])\)\s*|([A-Za-z])[.)]\s+)")
# Tags that are people (from heuer/cablemap's list): `CLINTON, HILLARY`, `STEINBERG, JAMES B.`.
_NAME_TAG_FORMS = {
    "CLINTON HILLARY": "CLINTON, HILLARY",
    "STEINBERG JAMES B": "STEINBERG, JAMES B.",
    "STEINBERG JAMES": "STEINBERG, JAMES B.",
    "BIDEN JOSEPH": "BIDEN, JOSEPH",
    "ZOELLICK ROBERT": "ZOELLICK, ROBERT",
    "RICE CONDOLEEZZA": "RICE, CONDOLEEZZA",
}
_NAME_TAGS = re.compile(
    r"\b(CLINTON,?\s+HILLARY|STEINBERG,?\s+JAMES(?:\s+B\b\.?)?|BIDEN,?\s+JOSEPH|ZOELLICK,?\s+ROBERT"
    r"|RICE,?\s+CONDOLEEZZA)"
)
_TAG_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*")
_LEADING_MARKING = re.compile(r"^\(\s*(" + _MARKING_BODY.pattern + r")\s*\)\s*")
_TRAILING_MARKING = re.compile(r"\s*\(\s*(?:U|C|S|SBU|S/NF|C/NF|SBU/NF)\s*\)\s*$", re.IGNORECASE)
_WS = re.compile(r"\s+")
# What retyped headers run into the SUBJECT: `... PRIMEREF: A. LONDON 1939`, `Classfied By:`, the date line
# of a newspaper retype, the banner, `C O R R E C T E D C O P Y`.
_SUBJECT_RUN_ON = re.compile(
    r"\s*(?<![A-Z]{3})REF(?:S|TEL)?\s*:\s|\s+(?:Class\w*\s+By\b|C O R R E C T E D\b"
    r"|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \d{1,2} [A-Z][a-z]+ \d{4}"
    r"|(?:C O N F I D E N T I A L|S E C R E T|UNCLAS)\b)",
    re.IGNORECASE,
)
_FIELD_INITIALS = set("TtAaEeSsUuRr")  # TAGS, AGS, E.O./EO, SUBJECT, UBJECT, REF: the rest is skipped fast
_HEADER_LIMIT = 30000  # characters searched for header fields when no numbered paragraph ends the header


class RawParagraph(NamedTuple):  # a tuple: thousands are made per second
    number: str
    marking: str | None
    text: str
    anchored: bool  # the site gave this line an anchor (or would have, by its rule)


@dataclass(frozen=True, slots=True)
class CableText:
    subject: str
    tags: tuple[str, ...]
    references: tuple[str, ...]
    paragraphs: tuple[RawParagraph, ...]


def normalise_space(text: str) -> str:
    return " ".join(text.split())


@lru_cache(maxsize=4096)
def normalise_marking(raw: str) -> str:
    marking = normalise_space(raw).rstrip(".").strip()
    if marking.islower():
        marking = marking.upper()
    tokens = marking.split(" ")
    if len(tokens) > 1 and all(t.upper() in _PLAIN_MARKING_TOKENS for t in tokens):
        return "/".join(t.upper() for t in tokens)
    return marking


def split_marking(text: str) -> tuple[str | None, str]:
    """(marking, rest) for the text after a paragraph number."""
    m = _PAREN_MARKING.match(text)
    if not m:
        return None, text
    return normalise_marking(m.group(1)), text[m.end() :]


def remove_page_breaks(text: str) -> str:
    """The text without page-break lines (and the blank lines around them) or inline page breaks.

    A page-break line goes with the blank lines around it, so that a paragraph it cut stays one.
    """
    if "PAGE " in text:
        text = _OLD_PAGE_HEADER.sub("", text)
    numbers = [m for m in _PAGE_NUMBERS.finditer(text) if text[m.start() - 1 : m.start()].isdigit()]
    if not numbers:
        return text
    pieces = []
    done = 0
    inline = False
    for m in numbers:
        line_start = text.rfind("\n", 0, m.start()) + 1
        line_end = text.find("\n", m.end())
        line_end = len(text) if line_end < 0 else line_end
        if line_start < done or not PAGE_BREAK_LINE.match(text, line_start, line_end):
            inline = True
            continue
        before = len(text[done:line_start].rstrip(" \t\n")) + done
        after = line_end
        while after < len(text):
            next_end = text.find("\n", after + 1)
            next_end = len(text) if next_end < 0 else next_end
            if text[after + 1 : next_end].strip():
                break
            after = next_end
        pieces.append(text[done:before])
        pieces.append("\n")
        done = after + 1
    if pieces:
        pieces.append(text[done:])
        text = "".join(pieces)
    return _remove_inline_page_breaks(text) if inline else text


def _remove_inline_page_breaks(text: str) -> str:
    banner = _BANNER_STATION.search(text, 0, 4000)
    inline = _INLINE_BREAKS[min(4, len(banner.group(1).split())) - 1 if banner else 0]
    pieces = []
    done = 0
    for m in _PAGE_NUMBERS.finditer(text):
        if (m.end() < len(text) and not text[m.end()].isspace()) or not text[
            m.start() - 1 : m.start()
        ].isdigit():
            continue
        found = inline.search(text, max(done, m.start() - 120), m.end())
        if found:
            pieces.append(text[done : found.start()])
            done = m.end()
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


def read_cable_text(text: str, *, anchored: bool) -> CableText:
    """The header fields and numbered paragraphs of a cable's text (routing header optional).

    With `anchored=True` the text carries the site's anchors as ANCHOR_MARK + id + ANCHOR_MARK at the
    start of the anchored lines; with `anchored=False` the site's rule is applied to find them.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not anchored:
        text = _RULE_LINE.sub(_MARKED_LINE, "\n" + text)[1:]
    text = _SHORT_NOISE_LINES.sub("", "\n" + remove_page_breaks(text))
    if "SIPDIS " in text:
        text = _SIPDIS_IN_SENTENCE.sub("\n", text)
    starts: list[tuple[int, int, str, bool]] = []  # (line start, text start, number, anchored)
    for m in _START_ANCHORED.finditer(text):
        number = m.group("id")
        if number is not None:
            starts.append((m.start() + 1, _AFTER_ANCHOR.match(text, m.end()).end(), number, True))
        else:
            starts.append((m.start() + 1, m.end(), m.group("un"), False))
    header_end = next((s[0] for s in starts if s[2].isdigit()), min(len(text), _HEADER_LIMIT))
    m = _NUMBER_AFTER_CLASSIFIED_BY.search(text, 0, header_end)
    if m:
        header_end = m.start("un")
        starts.append((header_end, m.end(), m.group("un"), False))
        starts.sort()
    header = text[:header_end]
    if ANCHOR_MARK in header:
        header = _MARKS.sub("", header)
    subject, tags, references = read_header_fields(header.split("\n"))

    paragraphs = []
    last = len(starts) - 1
    for k, (line_start, rest, number, is_anchored) in enumerate(starts):
        end = starts[k + 1][0] if k < last else len(text)
        cut, underlined = _paragraph_end(text, rest, end, in_header=line_start < header_end, last=k == last)
        m = _PAREN_MARKING.match(text, rest, cut)
        marking = normalise_marking(m.group(1)) if m else None
        body = text[m.end() if m else rest : cut]
        if underlined:
            body = _NOISE_LINES.sub("", body)
        if k == last:
            first, *others = body.split("\n")
            lines = [first, *(line for line in others if line.strip())]
            _drop_signature(lines)
            body = "\n".join(lines)
        if ANCHOR_MARK in body:
            body = _MARKS.sub("", body)
        body = " ".join(body.split())
        if body.endswith(("----", "====")):
            body = _INLINE_HEADING_AT_END.sub("", body)
        if body or is_anchored:  # an unanchored number with no text is nothing to keep
            paragraphs.append(RawParagraph(number, marking, body, is_anchored))
    return CableText(subject, tags, references, tuple(paragraphs))


def _paragraph_end(text: str, rest: int, end: int, *, in_header: bool, last: bool) -> tuple[int, bool]:
    """Where the paragraph whose text starts at `rest` stops, at the latest `end` (the next paragraph), and
    whether a rule underlining its title is left inside it (to be taken out)."""
    stop = _STOP_IN_HEADER if in_header else _STOP
    first_line_end = text.find("\n", rest, end)
    if first_line_end < 0:
        return end, False
    pos = first_line_end
    underlined = False
    while True:
        m = stop.search(text, pos, end)
        if m is None:
            break
        if m.group("sep") is None:
            return (m.start("corrupt") if m.group("corrupt") is not None else m.start()), underlined
        # A separator right under the paragraph's first line underlines the paragraph's own title.
        if not text[first_line_end : m.start()].strip() and _is_title(text[rest:first_line_end]):
            pos = m.end()
            underlined = True
            continue
        # An underlined heading: its title line is no paragraph text either. It is set off by a blank line,
        # or, in retypes without blank lines, it is a short line right above the underline.
        prev_end = len(text[first_line_end : m.start()].rstrip()) + first_line_end
        prev_start = text.rfind("\n", rest, prev_end) + 1
        if prev_start > first_line_end:
            right_above = "\n" not in text[prev_end : m.start()]
            heading_like = _could_be_heading(text[prev_start:prev_end])
            before_end = prev_start - 1
            before_start = text.rfind("\n", rest, before_end) + 1
            blank_before = before_start > first_line_end and not text[before_start:before_end].strip()
            starts_like_a_title = text[prev_start:prev_end].lstrip()[:1].isupper()
            if (blank_before and (right_above or heading_like)) or (
                right_above and heading_like and starts_like_a_title
            ):
                return prev_start, underlined
        return m.start(), underlined
    if last:
        return end, underlined
    # A heading before the next paragraph: a short last line, set off by blank lines on both sides.
    # (Only the paragraph's tail is looked at: a heading is short.)
    tail_start = max(first_line_end, end - 400)
    tail = text[tail_start:end]
    trimmed = tail.rstrip()
    if tail.count("\n", len(trimmed)) < 2:
        return end, underlined
    nl = trimmed.rfind("\n")
    if nl < 0 or (nl == 0 and tail_start == first_line_end):
        return end, underlined
    if not _could_be_heading(trimmed[nl + 1 :]):
        return end, underlined
    prev_nl = trimmed.rfind("\n", 0, nl)
    if prev_nl < 0 or trimmed[prev_nl + 1 : nl].strip():
        return end, underlined
    return tail_start + nl, underlined


def _is_title(first_line: str) -> bool:
    """The first line of a paragraph is its own title (`2. (S) The Regime's Political Capital is Tanking`)."""
    m = _PAREN_MARKING.match(first_line)
    return _could_be_heading(first_line[m.end() :] if m else first_line)


def _could_be_heading(line: str) -> bool:
    heading = line.strip()
    return (
        len(heading) <= 90
        and not heading.endswith((".", ",", ";", ".)", '."', ".”"))
        and not heading.startswith(("-", "*", "("))
    )


def cable_paragraphs(
    raw: Sequence[RawParagraph], ref_id: str, created: datetime, permalinks: PermalinkTemplate
) -> tuple[Paragraph, ...]:
    """The cable's paragraphs: exactly the ones the site anchored, each number being its anchor's id.

    A numbered line the site did not anchor (`1.(C)`) still ends the paragraph before it, so its text never
    runs into a citable paragraph, but it is not a paragraph of the model: no permalink can land on it.
    A repeated number keeps its place in the sequence, but only its first occurrence has a permalink (a
    browser lands on the first anchor with that id).
    """
    seen: set[str] = set()
    out = []
    for p in raw:
        if not p.anchored:
            continue
        url = None if p.number in seen else permalinks.paragraph_url(ref_id, created, p.number)
        seen.add(p.number)
        out.append(Paragraph(number=p.number, marking=p.marking, text=p.text, url=url))
    return tuple(out)


# --- header ---------------------------------------------------------------------------------------------


def read_header_fields(lines: Sequence[str]) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """SUBJECT (all its lines, without its marking), TAGS (with continuations) and the REF items."""
    subject = ""
    tags: list[str] = []
    refs: list[str] = []
    n = len(lines)
    i = 0
    found_subject = found_tags = found_refs = False
    while i < n:
        line = lines[i]
        if line.lstrip()[:1] not in _FIELD_INITIALS:
            i += 1
            continue
        if not found_tags and (m := _TAGS.match(line)) and not _SUBJECT.match(line):
            found_tags = True
            parts = [m.group(1)]
            j = i + 1
            # A continuation: the next line holds only tag-like tokens and is not another field.
            while (
                j < n
                and lines[j].strip()
                and not _HEADER_FIELD.match(lines[j])
                and _looks_like_tags(lines[j])
            ):
                parts.append(lines[j])
                j += 1
            tags = _split_tags(" ".join(parts))
            i = j
            continue
        if (
            not found_tags
            and re.match(r"\s*(?:E\.\s?O\.|EO)\s*1\d{4}", line)
            and (m := _TAGS_ON_EO_LINE.search(line))
        ):
            found_tags = True
            tags = _split_tags(m.group(1))
            i += 1
            continue
        if not found_subject and (m := _SUBJECT.match(line)):
            found_subject = True
            parts = [m.group(1)]
            j = i + 1
            while j < n:
                nxt = lines[j]
                if (
                    not nxt.strip()
                    or _HEADER_FIELD.match(nxt)
                    or ANCHOR_RULE.match(nxt)
                    or UNANCHORED_NUMBER.match(nxt)
                ):
                    break
                if _SEPARATOR.match(nxt) or PAGE_BREAK_LINE.match(nxt):
                    break
                parts.append(nxt)
                j += 1
            subject = clean_subject(" ".join(parts))
            i = j
            continue
        if not found_refs and (m := _REF.match(line)):
            found_refs = True
            parts = [m.group(1)]
            j = i + 1
            while j < n:
                nxt = lines[j]
                if not nxt.strip():
                    # Reference lists are sometimes spaced out; go on only if the next line is an item.
                    k = j + 1
                    while k < n and not lines[k].strip():
                        k += 1
                    if (
                        k < n
                        and re.match(r"\s*\(?[A-Z](?:\.|\))\s", lines[k])
                        and not _HEADER_FIELD.match(lines[k])
                        and not _marked_prose(lines[k])
                    ):
                        j = k
                        continue
                    break
                if (
                    _HEADER_FIELD.match(nxt)
                    or re.match(r"\s*\d{1,2}\s?\.", nxt)
                    or _SEPARATOR.match(nxt)
                    or _marked_prose(nxt)
                ):
                    break
                parts.append(nxt)
                j += 1
            refs = _split_refs(" ".join(parts))
            i = j
            continue
        i += 1
    return subject, tuple(tags), tuple(refs)


def _marked_prose(line: str) -> bool:
    """A line opening with a portion marking and prose (`(U) This cable is...`), not a reference item
    lettered like a marking (`(C) 2005 STATE 117165`)."""
    return bool(_MARKED_LINE_START.match(line)) and not _REF_ITEM_AFTER_LETTER.match(line)


def _looks_like_tags(line: str) -> bool:
    tokens = [t for t in re.split(r"[\s,;]+", line.strip()) if t]
    return (
        bool(tokens)
        and len(tokens) <= 12
        and all(re.fullmatch(r"[A-Z][A-Z0-9_\-]{1,11}|\([^)]*\)", t) for t in tokens)
    )


def _split_tags(text: str) -> list[str]:
    """Tags as written, upper-cased (a few cables type them in lower case); a person's name is one tag."""
    text = re.split(r"\bSUBJECT\b", text, maxsplit=1, flags=re.IGNORECASE)[0].upper()
    names = [_name_tag(n) for n in _NAME_TAGS.findall(text)]
    text = _NAME_TAGS.sub(" \x00 ", text)  # a person's name keeps its place among the tags
    out: list[str] = []
    for token in re.split(r"[\s,;]+", text):
        token = names.pop(0) if token == "\x00" else token.strip("().")
        if token and (token in _NAME_TAG_FORMS.values() or _TAG_TOKEN.fullmatch(token)) and token not in out:
            out.append(token)
    return out


def _name_tag(name: str) -> str:
    words = " ".join(name.replace(",", " ").replace(".", " ").split())
    return _NAME_TAG_FORMS.get(words, words)


def _split_refs(text: str) -> list[str]:
    text = normalise_space(text)
    text = re.split(r"\bClassified\s+By\b", text, maxsplit=1, flags=re.IGNORECASE)[0].strip()
    if not text:
        return []
    # Lettered items: `A. 06 KUWAIT 4637 B. KUWAIT 79`, `(A) ...`, `A) ...`. Letters must run A, B, C...
    positions = []
    expected = "A"
    for m in _REF_ITEM_LETTER.finditer(text):
        if (m.group(1) or m.group(2)).upper() == expected:
            positions.append((m.start(), m.end()))
            expected = chr(ord(expected) + 1)
    if positions and positions[0][0] == 0:
        items = []
        for k, (_, end) in enumerate(positions):
            stop = positions[k + 1][0] if k + 1 < len(positions) else len(text)
            items.append(text[end:stop])
    else:
        items = re.split(r";", text)
    return [i for i in (normalise_space(x).strip(" ,;") for x in items) if i]


def clean_subject(text: str) -> str:
    subject = normalise_space(text)
    # A retyped header can put REF and Classified By on the SUBJECT's line.
    subject = _SUBJECT_RUN_ON.split(subject, maxsplit=1)[0]
    m = _LEADING_MARKING.match(subject)
    if m:
        subject = subject[m.end() :]
    subject = _TRAILING_MARKING.sub("", subject)
    return subject.strip()


# --- signature ------------------------------------------------------------------------------------------


def _drop_signature(lines: list[str]) -> None:
    """The signature and what trails it are no paragraph text.

    The signature: a surname on a line of its own (`HOAGLAND`; in any case, `jones`, when it is the very
    last line), doubled, or after the last sentence of the last line (`... END COMMENT EIKENBERRY`). What
    may trail it: a few lines of distribution or website notes (`"Visit Ankara's Classified Web Site"`).
    """
    for _ in range(3):
        while len(lines) > 1 and lines[-1].strip() in _PUNCTUATION_LINES:
            lines.pop()
        if not _cut_signature(lines):
            return


def _cut_signature(lines: list[str]) -> bool:
    last = len(lines) - 1
    for i in range(max(0, last - 3), last + 1):
        line = lines[i]
        m = _SIGNATURE_LINE.match(line) if i else None
        if m and _is_name(m.group(1).split(), last=i == last) and (i == last or _ends_sentence(lines[i - 1])):
            del lines[i:]
            return True
        m = _SIGNATURE_AT_END.match(line) if i == last else None
        if m and _sentence_end(m.group(1)) and not _NOT_NAMES.intersection(m.group(2).split()):
            lines[i] = m.group(1)
            del lines[i + 1 :]
            return True
    return False


def _ends_sentence(line: str) -> bool:
    line = line.rstrip()
    return line.endswith((".", "!", "?", '"', "”", ")", "'", "’", ":")) or line.upper().endswith(
        ("END COMMENT", "END NOTE")
    )


def _is_name(words: list[str], *, last: bool) -> bool:
    if _NOT_NAMES.intersection(w.upper() for w in words):
        return False
    if len(words) == 1 and last:
        return True
    if not last and all(set(w) <= {"X", "x"} for w in words):
        return False  # a redaction, with more text after it
    return all(w.isupper() for w in words)


def _sentence_end(head: str) -> bool:
    last_word = head.rsplit(" ", 1)[-1].rstrip(".\"”')").upper()
    return last_word not in _TITLES and not re.fullmatch(r"[A-Z]", last_word)
