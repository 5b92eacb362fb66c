"""The plain-text export: the same cable as the page, from five metadata lines and the cable's text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import ParseError
from bot.sources import detect_format, parse_document
from bot.sources.text_export import parse_text_export
from tests.sources.page_anchors import page_metadata
from tests.support import cables_dir

pytestmark = pytest.mark.corpus


def _exports() -> list[tuple[str, str, str]]:
    folder = cables_dir()
    return [
        (
            p.stem,
            p.read_text(encoding="utf-8"),
            (folder / "html" / f"{p.stem}.html").read_text(encoding="utf-8"),
        )
        for p in sorted((folder / "text").glob("*.txt"))
    ]


def test_exports_with_a_body_give_the_pages_paragraphs():
    with_body = 0
    for ref, export, page in _exports():
        if len(export.strip().split("\n")) <= 5:
            continue
        with_body += 1
        from_export = parse_document(export, where=f"{ref}.txt")
        from_page = parse_document(page, where=f"{ref}.html")
        assert detect_format(export) == "text-export"
        assert [p.number for p in from_export.paragraphs] == [p.number for p in from_page.paragraphs], ref
        assert from_export.paragraphs == from_page.paragraphs, ref  # text, markings and permalinks too
        assert (from_export.subject, from_export.tags, from_export.references) == (
            from_page.subject, from_page.tags, from_page.references,
        ), ref  # fmt: skip
    assert with_body == 32


def test_metadata_only_exports_give_a_cable_without_paragraphs():
    metadata_only = 0
    for ref, export, page in _exports():
        lines = export.strip().split("\n")
        if len(lines) > 5:
            continue
        metadata_only += 1
        cable = parse_document(export, where=f"{ref}.txt")
        ref_id, created, _, classification, origin = page_metadata(page)
        assert cable.paragraphs == ()
        assert (cable.ref_id, cable.classification, cable.origin) == (ref_id, classification, origin)
        assert cable.created.date().isoformat() == created[:10]
        assert cable.released is None
        assert cable.url == f"https://wikileaks.org/cable/{created[:4]}/{created[5:7]}/{ref_id}.html"
        # The title line is the subject's first line; a marking cut in two leaves no `S/NF) ` behind.
        assert cable.subject and not cable.subject.startswith(("S) ", "S/NF) ")), ref
        assert from_page_subject_starts(cable.subject, page), ref
    assert metadata_only == 25


def from_page_subject_starts(subject: str, page: str) -> bool:
    """The export's title is the start of the page's subject."""
    return parse_document(page, where="page").subject.startswith(subject)


def test_the_creation_date_is_taken_as_written_whatever_the_offset():
    text = "10ASTANA72\nKAZAKHSTAN: MONEY AND POWER\nFri Jan 01 00:00:00 +0100 2010\nSECRET\nEmbassy Astana\n"
    cable = parse_text_export(text, where="x.txt")
    # Shifting by the offset would give 2009-12-31 and a permalink under 2009/12.
    assert cable.created == datetime(2010, 1, 1, tzinfo=UTC)
    assert cable.url == "https://wikileaks.org/cable/2010/01/10ASTANA72.html"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("10ASTANA72\ntitle\n", "5 metadata lines"),
        ("not an id\ntitle\nFri Jan 01 00:00:00 +0100 2010\nSECRET\nEmbassy Astana\n", "reference ID"),
        ("10ASTANA72\ntitle\nFri Feb 30 00:00:00 +0100 2010\nSECRET\nEmbassy Astana\n", "not a real date"),
        ("10ASTANA72\ntitle\nFri Jan 01 00:00:00 +0100 2010\n\nEmbassy Astana\n", "classification"),
    ],
)
def test_a_broken_export_says_what_is_wrong(text, reason):
    with pytest.raises(ParseError, match=reason) as info:
        parse_text_export(text, where="broken.txt")
    assert "broken.txt" in str(info.value)
