"""An independent reading of a page's anchors, for checking the parser against the raw HTML.

Deliberately naive and separate from bot.sources: it finds every `<a id='parN'>` in the page and takes
the page's text from that anchor to the next one, cleaned as a reader would compare it: tags stripped,
`;`-terminated entities decoded, page-break, SIPDIS and separator (`-----`) lines removed, inline page
breaks, old-style page headers and a SIPDIS opening a line of text removed, the paragraph number and a
leading portion marking stripped, whitespace collapsed.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

ANCHOR = re.compile(r"<a id='par([^']*)' href='#par\1'>¶</a>")
ENTITY = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
PAGE_BREAK = re.compile(r"^\s*[A-Za-z][A-Za-z .'\-]* 0*\d{3,8}\s+\d{3}(?:\.\d+)? of \d{3}\s*$", re.IGNORECASE)
SIPDIS = re.compile(r"^\s*SIPDIS\s*$")
SIPDIS_WORD = re.compile(r"^\s*SIPDIS\s+")  # routing noise at the start of a line of text (07MADRID1952)
RULE = re.compile(r"^[\s\-=*_]*$")  # underlines and separators: layout, no words
# Inline page breaks, as the real pages have them:
# `RABAT 00001657 002 OF 002`, `Kuala lump 00000752 002 of 002`.
PAGE_BREAK_INLINE = re.compile(
    r"(?:^| )(?:Kuala lump|(?:[A-Z]+ )*[A-Z]+) \d{8} +\d{3}(?:\. ?\d)? (?:OF|of) \d{3}(?= |$)"
)
# The older layout's page header: `CONFIDENTIAL PAGE 02 HARARE 06677 01 OF 03 291400Z`.
OLD_PAGE_HEADER = re.compile(
    r"(?:(?:UNCLASSIFIED|CONFIDENTIAL|SECRET) )*PAGE \d\d [A-Z ]+ \d+ \d\d OF \d\d \d{6}Z ?"
)
MARKING = r"\(\s*(?i:U|C|S|TS|SBU|FOUO|NF|LOU|CUI|SECRET|CONFIDENTIAL|UNCLASSIFIED)(?![A-Za-z])[^()]{0,60}\)"
# A portion marking: a classification letter or word first (`(C)`, `(S//NF)`, `(SBU)`, `(c)`), not `(B)`.
NUMBER_AND_MARKING = re.compile(r"^\s*(?:\d+|[A-Z])\.\s*(?:" + MARKING + r"\s*\.?\s*)?")
# A numbered paragraph the site left without an anchor: `1.(C)`, `2 (S/NF)`.
UNANCHORED_NUMBER = re.compile(r"^\s*(\d{1,3}) ?\.? ?" + MARKING)


@dataclass(frozen=True)
class PageAnchor:
    number: str
    text: str  # the page's text from this anchor to the next, cleaned


def _clean(fragment: str) -> str:
    text = re.sub(r"<[^>]*>", "", fragment.replace("&#x000A;", "\n"))
    text = ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
    lines = [
        SIPDIS_WORD.sub("", line)
        for line in text.split("\n")
        if not (PAGE_BREAK.match(line) or SIPDIS.match(line) or RULE.match(line))
    ]
    text = PAGE_BREAK_INLINE.sub("", " ".join(" ".join(lines).split()))
    return OLD_PAGE_HEADER.sub("", text) if "PAGE " in text else text


def _body(page: str) -> str:
    return page.split("<code><pre>")[2].split("</pre>")[0]


def page_metadata(page: str) -> tuple[str, ...]:
    """Reference ID, Created, Released, Classification, Origin: the visible text of the table's cells."""
    table = page[page.index("class='cable'") :]
    table = table[: table.index("</table>")]
    cells = re.findall(r"<td>\s*<a[^>]*>(.*?)</a>\s*</td>", table, re.DOTALL)
    return tuple(html.unescape(c).strip() for c in cells[:5])


def page_anchors(page: str) -> list[PageAnchor]:
    body = _body(page)
    found = list(ANCHOR.finditer(body))
    out = []
    for k, m in enumerate(found):
        end = found[k + 1].start() if k + 1 < len(found) else len(body)
        text = _clean(body[m.end() : end])
        out.append(PageAnchor(m.group(1), NUMBER_AND_MARKING.sub("", text, count=1)))
    return out


def page_paragraph_starts(page: str) -> list[tuple[str, bool]]:
    """Every line that starts a paragraph, in order: (number, anchored by the site)."""
    out = []
    for line in _body(page).split("&#x000A;"):
        m = ANCHOR.search(line)
        if m:
            out.append((m.group(1), True))
            continue
        m = UNANCHORED_NUMBER.match(_clean(line))
        if m:
            out.append((m.group(1), False))
    return out
