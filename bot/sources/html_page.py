"""A page of the original cablegate site (Dec 2010 build), read with string operations for speed.

Metadata comes from the visible text of the five cells of the page's cable table (the classification
link's `title=` attribute is wrong on the real pages). The second `<code><pre>` block is the cable text;
its lines are separated by `&#x000A;`, and each line the site anchored carries `<a id='parN' ...>¶</a>`.
Only `;`-terminated entities are decoded: a bare `&` in cable text is literal.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from html import unescape

from bot.errors import ParseError
from bot.model import Cable, Source
from bot.permalink import DEFAULT_PERMALINKS, PermalinkTemplate
from bot.sources.cable_text import ANCHOR_MARK, cable_paragraphs, read_cable_text

FORMAT = "html"

# The cable's metadata table; either quote style, as browsers and editors may rewrite the quotes.
CABLE_TABLE = re.compile(r"""<table class=(['"])cable\1>""")
_CELL = re.compile(r"<td>\s*<a\b[^>]*>(.*?)</a>\s*</td>", re.DOTALL)
_TITLE = re.compile(r"<h3>Viewing cable ([^,<]*),\s*(.*?)</h3>", re.DOTALL)
_ANCHOR = re.compile(r"<a id='par([^']*)' href='#par\1'>¶</a>")
_TAG = re.compile(r"<[^>]*>")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_REF_ID = re.compile(r"[0-9]{2}[A-Z][A-Z0-9\-]*[0-9]+[A-Z0-9]*")


def decode_entities(text: str) -> str:
    """Decode only `;`-terminated entities (html.unescape would also turn `&amp` or `&copy` into chars)."""
    if "&" not in text:
        return text
    return _ENTITY.sub(_entity, text)


@lru_cache(maxsize=1024)
def _decoded(entity: str) -> str:
    return unescape(entity)


def _entity(m: re.Match[str]) -> str:
    return _decoded(m.group(0))


def page_text(fragment: str) -> str:
    """Visible text of an HTML fragment: tags removed, `;`-terminated entities decoded."""
    return decode_entities(_TAG.sub("", fragment))


_DATETIME = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{1,2}):(\d{2})")


def parse_datetime(value: str, *, where: str, what: str) -> datetime:
    m = _DATETIME.fullmatch(value.strip())
    try:
        if not m:
            raise ValueError(value)
        year, month, day, hour, minute = (int(g) for g in m.groups())
        return datetime(year, month, day, hour, minute, tzinfo=UTC)
    except ValueError:
        raise ParseError(
            f"{what} {value.strip()!r} is not a date like 2008-10-20 11:03", where=where
        ) from None


def parse_html_page(text: str, *, where: str, permalinks: PermalinkTemplate = DEFAULT_PERMALINKS) -> Cable:
    table = CABLE_TABLE.search(text)
    if table is None:
        raise ParseError("not a cable page: no table of class cable with the cable's metadata", where=where)
    table_at = table.start()
    table_end = text.find("</table>", table_at)
    if table_end < 0:
        raise ParseError("truncated page: the metadata table is cut off", where=where)
    cells = [page_text(c).strip() for c in _CELL.findall(text, table_at, table_end)]
    if len(cells) < 5:
        raise ParseError(
            f"not a cable page: the metadata table has {len(cells)} of its 5 cells "
            "(Reference ID, Created, Released, Classification, Origin)",
            where=where,
        )
    ref_id, created_s, released_s, classification, origin = cells[:5]
    if not _REF_ID.fullmatch(ref_id):
        raise ParseError(f"{ref_id!r} is not a cable reference ID", where=where)
    created = parse_datetime(created_s, where=where, what="creation date")
    released = parse_datetime(released_s, where=where, what="release date") if released_s else None

    header_at = text.find("<code><pre>", table_end)
    body_at = text.find("<code><pre>", header_at + 1) if header_at >= 0 else -1
    if header_at < 0 or body_at < 0:
        if text.rstrip().endswith("</html>"):
            raise ParseError("not a cable page: the cable text (two <pre> blocks) is missing", where=where)
        raise ParseError("truncated page: the cable text is cut off", where=where)
    body_end = text.find("</pre>", body_at)
    if body_end < 0:
        raise ParseError("truncated page: the cable text is cut off before its end", where=where)

    body = text[body_at + len("<code><pre>") : body_end]
    cable_text = read_cable_text(body_text(body), anchored=True)

    subject = cable_text.subject
    if not subject:
        m = _TITLE.search(text, 0, table_at)
        if m:
            subject = page_text(m.group(2)).strip()
    return Cable(
        ref_id=ref_id,
        created=created,
        released=released,
        classification=classification,
        origin=origin,
        subject=subject,
        tags=cable_text.tags,
        references=cable_text.references,
        url=permalinks.cable_url(ref_id, created),
        paragraphs=cable_paragraphs(cable_text.paragraphs, ref_id, created, permalinks),
        source=Source(FORMAT, where),
    )


def body_text(body: str) -> str:
    """The text of a `<pre>` block; each anchor the site put is kept as ANCHOR_MARK + id + ANCHOR_MARK."""
    marked = _ANCHOR.sub(lambda m: ANCHOR_MARK + m.group(1) + ANCHOR_MARK, body.replace("&#x000A;", "\n"))
    if "<" in marked:
        marked = _TAG.sub("", marked)
    return decode_entities(marked)
