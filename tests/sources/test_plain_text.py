"""Plain-text cables: a blog's copy with page noise around it, and a bare cable (routing header + body)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import ParseError
from bot.sources import detect_format, parse_document
from tests.support import cables_dir

SAMPLE = Path(__file__).resolve().parents[2] / "bot" / "samples" / "08ASTANA2079.txt"


@pytest.fixture(scope="module")
def seed():
    text = SAMPLE.read_text(encoding="utf-8")
    return text, parse_document(text, where=str(SAMPLE))


def test_the_seed_is_detected_as_plain_text(seed):
    text, _ = seed
    assert detect_format(text) == "plain-text"


def test_seed_metadata(seed):
    _, cable = seed
    assert cable.ref_id == "08ASTANA2079"
    assert cable.created == datetime(2008, 10, 20, 11, 3, tzinfo=UTC)
    assert cable.released == datetime(2011, 8, 30, 1, 44, tzinfo=UTC)
    assert cable.classification == "UNCLASSIFIED//FOR OFFICIAL USE ONLY"
    assert cable.origin == "Embassy Astana"
    assert cable.subject == (
        "KAZAKHSTAN: SENIOR COUNTER-NARCOTICS OFFICIAL DISCUSSES DRUG SITUATION, INTERNATIONAL ASSISTANCE"
    )
    assert cable.tags == ("PGOV", "PREL", "SNAR", "KCRM", "KZ")
    assert cable.url == "https://wikileaks.org/cable/2008/10/08ASTANA2079.html"


def test_seed_paragraphs_one_to_nine_all_citable(seed):
    _, cable = seed
    assert [p.number for p in cable.paragraphs] == [str(n) for n in range(1, 10)]
    assert [p.marking for p in cable.paragraphs] == ["U", "SBU", "SBU", "U", "U", "U", "SBU", "SBU", "U"]
    for p in cable.paragraphs:
        assert p.url == f"https://wikileaks.org/cable/2008/10/08ASTANA2079.html#par{p.number}"


def test_seed_paragraph_six_is_whole_across_the_page_break(seed):
    _, cable = seed
    six = cable.paragraph("6").text
    assert six.startswith("Operation Mak (Poppy) is an annual operation conducted from May 20")
    assert "Kazakhstan had previously suspended the annual operation, but revived it two years ago." in six
    assert "00002079" not in six and "002 OF 002" not in six
    assert "prevent the movement of the crop out of it. Inter-agency mobile units" in six
    assert six.endswith("vehicles to support the operation.")


def test_seed_has_no_blog_noise_and_no_signature_in_any_paragraph(seed):
    _, cable = seed
    noise = (
        "Wikileaks",
        "Advertisements",
        "Leave a Reply",
        "WordPress",
        "Twitter",
        "Facebook",
        "comment",
        "HOAGLAND",
    )
    for p in cable.paragraphs:
        for word in noise:
            assert word not in p.text, (p.number, word)
    assert cable.paragraph("9").text.endswith("others international partners. END COMMENT.")
    # Headings between paragraphs are not paragraph text either.
    assert cable.paragraph("2").text.endswith("additional U.S. assistance. END SUMMARY.")
    assert "INTERNATIONAL AND INTER-AGENCY COOPERATION" not in cable.paragraph("4").text


def test_seed_text_keeps_the_original_spelling(seed):
    _, cable = seed
    assert "Kyzyltu inSouth Kazakhstan Oblast" in cable.paragraph("7").text
    assert cable.paragraph("1").text == "Sensitive but unclassified. Not for public internet."


def _bare_cable(ref: str) -> str:
    page = (cables_dir() / "html" / f"{ref}.html").read_text(encoding="utf-8")
    header, body = re.findall(r"<code><pre>(.*?)</pre></code>", page, re.DOTALL)[:2]

    def text(block: str) -> str:
        import html

        return html.unescape(re.sub(r"<[^>]*>", "", block.replace("&#x000A;", "\n")).replace("¶", ""))

    return text(header) + "\n\n" + text(body)


@pytest.mark.corpus
def test_a_bare_plain_text_cable_takes_its_id_and_date_from_banner_and_dtg():
    text = _bare_cable("08KUWAIT560")
    assert detect_format(text) == "plain-text"
    cable = parse_document(text, where="kuwait.txt")
    page = parse_document((cables_dir() / "html" / "08KUWAIT560.html").read_text(encoding="utf-8"), where="p")
    assert cable.ref_id == "08KUWAIT560"
    assert cable.created == datetime(2008, 5, 18, 11, 7, tzinfo=UTC)  # the DTG 181107Z MAY 08
    assert cable.classification == "CONFIDENTIAL"
    assert cable.origin == "Embassy Kuwait"
    assert cable.url == page.url
    assert cable.paragraphs == page.paragraphs
    assert (cable.subject, cable.tags, cable.references) == (page.subject, page.tags, page.references)


def test_plain_text_without_reference_id_or_date_is_refused():
    text = "SUBJECT: SOMETHING\nTAGS: PREL\n\n1. (C) A paragraph that belongs to no known cable.\n"
    with pytest.raises(ParseError, match="reference ID and date") as info:
        parse_document(text, where="orphan.txt")
    assert "orphan.txt" in str(info.value)


def test_a_metadata_line_with_unreadable_values_is_reported_with_its_line():
    text = "Reference ID Created Released Classification Origin\n08ASTANA2079 yesterday SECRET Astana\n"
    with pytest.raises(ParseError, match=r"^blog\.txt:2: the line after"):
        parse_document(text, where="blog.txt")
