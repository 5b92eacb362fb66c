"""The original site's pages: metadata as the table shows it, paragraphs as the site anchored them.

Expected values come from the raw HTML through tests/sources/page_anchors.py, a small reader written
independently of bot.sources.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

from bot.errors import ParseError
from bot.model import Cable
from bot.permalink import PermalinkTemplate
from bot.sources import parse_document
from bot.sources.html_page import decode_entities, parse_html_page
from tests.sources.page_anchors import PAGE_BREAK_INLINE, page_anchors, page_metadata, page_paragraph_starts
from tests.support import cables_dir

pytestmark = pytest.mark.corpus


@cache
def _pages() -> tuple[tuple[str, str], ...]:
    folder = cables_dir() / "html"
    return tuple((p.stem, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.html")))


@cache
def _cables() -> dict[str, Cable]:
    return {ref: parse_document(page, where=f"{ref}.html") for ref, page in _pages()}


@pytest.fixture(scope="module")
def pages() -> tuple[tuple[str, str], ...]:
    pages = _pages()
    assert len(pages) == 1295
    return pages


@pytest.fixture(scope="module")
def cables(pages) -> dict[str, Cable]:
    return _cables()


def _created(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def test_metadata_is_what_the_pages_table_shows(pages, cables):
    wrong = []
    for ref, page in pages:
        ref_id, created, released, classification, origin = page_metadata(page)
        cable = cables[ref]
        got = (cable.ref_id, cable.created, cable.released, cable.classification, cable.origin)
        expected = (ref_id, _created(created), _created(released), classification, origin)
        if got != expected:
            wrong.append(f"{ref}: {got} != {expected}")
        if cable.url != f"https://wikileaks.org/cable/{created[:4]}/{created[5:7]}/{ref_id}.html":
            wrong.append(f"{ref}: url {cable.url}")
    assert not wrong, "\n".join(wrong[:20])


def test_the_classification_is_the_visible_cell_text_not_the_links_title():
    page = dict(_pages())["08KUWAIT560"]
    assert "title='unclassified'>CONFIDENTIAL" in page
    assert _cables()["08KUWAIT560"].classification == "CONFIDENTIAL"


def test_created_and_released_are_timezone_aware_utc(cables):
    cable = cables["08KUWAIT560"]
    assert cable.created == datetime(2008, 5, 18, 11, 11, tzinfo=UTC)
    assert cable.released == datetime(2010, 12, 5, 21, 9, tzinfo=UTC)


def test_paragraph_numbers_follow_the_pages_anchors_on_at_least_98_percent_of_pages(pages, cables):
    misses = []
    for ref, page in pages:
        expected = [a.number for a in page_anchors(page)]
        got = [p.number for p in cables[ref].paragraphs]
        if got != expected:
            misses.append(f"{ref}: page {expected} cablebot {got}")
    rate = 1 - len(misses) / len(pages)
    print(f"paragraph sequence == page anchors: {rate:.2%} ({len(misses)} misses)")
    assert rate >= 0.98, f"{rate:.2%}; misses:\n" + "\n".join(misses)


def test_unanchored_and_repeated_paragraphs_are_never_citable(pages, cables):
    for ref, page in pages:
        anchored = {number for number, is_anchored in page_paragraph_starts(page) if is_anchored}
        seen: set[str] = set()
        for p in cables[ref].paragraphs:
            if p.url is not None:
                assert p.number in anchored and p.number not in seen, f"{ref} paragraph {p.number}"
                seen.add(p.number)


def test_every_permalink_lands_on_an_anchor_whose_paragraph_starts_with_the_text_held(pages, cables):
    landed = whole = 0
    held = page_total = 0
    wrong = []
    for ref, page in pages:
        cable = cables[ref]
        first = {}
        for anchor in page_anchors(page):
            first.setdefault(anchor.number, anchor)
        for p in cable.paragraphs:
            if p.url is None:
                continue
            url_prefix, _, fragment = p.url.partition("#")
            assert url_prefix == cable.url and fragment == f"par{p.number}"
            anchor = first.get(p.number)
            if anchor is None or not anchor.text.startswith(p.text):
                wrong.append(
                    f"{ref} #{p.number}:\n  held {p.text[:300]!r}\n"
                    f"  page {anchor.text[:300] if anchor else None!r}"
                )
                continue
            landed += 1
            whole += anchor.text == p.text
            held += len(p.text)
            page_total += len(anchor.text)
    print(
        f"{landed} permalinks land; {whole / landed:.1%} hold the anchor's whole text; "
        f"{held / page_total:.1%} of the anchored text is held (the rest: headings, signatures, trailers)"
    )
    assert not wrong, "\n".join(wrong[:10])
    assert landed > 14000


def test_paragraph_text_holds_no_number_marking_or_page_break(cables):
    kuwait = cables["08KUWAIT560"]
    assert kuwait.paragraph("1").marking == "C"
    assert kuwait.paragraph("1").text.startswith("Officials from the Central Bank of Kuwait (CBK) and Kuwait")
    for cable in cables.values():
        for p in cable.paragraphs:
            assert not PAGE_BREAK_INLINE.search(p.text), f"{cable.ref_id} {p.number}: {p.text}"
            assert "¶" not in p.text and "\x1e" not in p.text
            assert p.text == " ".join(p.text.split())


def test_lettered_reference_items_are_paragraphs_as_the_site_anchored_them(cables):
    kuwait = cables["08KUWAIT560"]
    assert [p.number for p in kuwait.paragraphs] == [*"BCDEFGHIJ", "1", "2", "3", "4"]
    assert kuwait.paragraph("B").text == "KUWAIT 79"
    assert kuwait.paragraph("J").text == "KUWAIT 0476"  # not running into `Classified By:`
    assert kuwait.references == (
        "06 KUWAIT 4637", "KUWAIT 79", "KUWAIT 90", "KUWAIT 97", "KUWAIT 98",
        "STATE 7443", "KUWAIT 0227", "KUWAIT 218", "STATE 192459", "KUWAIT 0476",
    )  # fmt: skip
    assert kuwait.paragraph("4").text.endswith("played a role in forcing the GOK's hand.")  # no website blurb


def test_mixed_numbering_keeps_unanchored_paragraphs_apart(cables):
    """`1.(C)` lines the site did not anchor are no paragraphs, but their text never runs into one."""
    ankara = cables["06ANKARA4688"]
    assert [p.number for p in ankara.paragraphs] == ["3", "4"]
    assert all(p.citable for p in ankara.paragraphs)
    assert ankara.paragraph("3").marking == "C/NF"
    assert ankara.paragraph("4").text.endswith("the Gaza strip.")


def test_tags_continued_on_the_next_line(cables):
    assert cables["09BRUSSELS1032"].tags == (
        "ECON", "EIND", "ENRG", "EUN", "EWWT", "KGHG", "SENV", "TPHY", "TRGY", "TSPL",
    )  # fmt: skip
    assert cables["09BRUSSELS1032"].subject == (
        "IN A REPEAT OF 2008, DIVISIONS EXIST BETWEEN EU MEMBER STATES ON CLIMATE CHANGE POLICY"
    )


def test_tags_on_the_eo_line(cables):
    cable = cables["09SAOPAULO660"]
    assert cable.tags == ("PGOV", "PINR", "PREL", "KPAO", "KIRF", "BR")
    assert cable.references == ("BRASILIA 1250", "RECIFE 66", "(08) SAO PAULO 581")


def test_repeated_numbers_only_the_first_is_citable(cables):
    brussels = cables["09BRUSSELS1032"]
    fives = [p for p in brussels.paragraphs if p.number == "5"]
    assert len(fives) == 2 and fives[0].citable and not fives[1].citable
    assert brussels.paragraph("5") is fives[0]
    tehran = cables["79TEHRAN8980"]
    assert [p.number for p in tehran.paragraphs] == ["1", "2", "3", "4", "5", "6", "6", "7"]
    assert tehran.paragraph("1").marking == "C - ENTIRE TEXT"


def test_signatures_and_headings_stay_out_of_paragraphs(cables):
    assert (
        cables["09BRUSSELS1032"].paragraphs[-1].text.endswith("claim to lead internationally. End comment.")
    )
    ashgabat = cables["10ASHGABAT118"]
    assert ashgabat.paragraph("1").text.endswith("surprising, points of view.")  # the quoted heading follows
    assert ashgabat.references == ("09 ASHGABAT 1547",)
    assert ashgabat.subject == "TURKMENISTAN: TRANSITING IRANIANS: HOW THEY VIEW EVENTS AT HOME"


def test_a_cable_the_site_anchored_nowhere_has_no_citable_paragraphs(cables):
    oslo = cables["08OSLO522"]  # `Classified By:` swallows paragraph 1; every number is `N.(C)`, unanchored
    assert oslo.paragraphs == ()
    assert oslo.subject


def test_sub_paragraphs_markings_as_written(cables):
    rangoon = cables["08RANGOON749"]
    assert rangoon.paragraph("1").marking == "S//REL to USA, ACGU"
    assert "B) (S//REL to USA, ACGU) Transportation status" in rangoon.paragraph("2").text
    assert rangoon.paragraph("3").text == "XXXXXXXXXXXX"  # DINGER, the signature, is not in it
    state = cables["10STATE6451"]
    assert [p.number for p in state.paragraphs] == ["1", "2", "A", "B", "C", "D", "3"]


def test_a_corrupted_number_does_not_run_into_the_paragraph_before(cables):
    london = cables["08LONDON2651"]
    assert "Several interlocutors expressed concern" not in london.paragraph("7").text


def test_a_multi_line_subject_loses_its_marking():
    page = dict(_pages())["08LONDON2651"]
    cable = parse_html_page(page.replace("SUBJECT: ", "SUBJECT: (C/NF) ", 1), where="x")
    assert cable.subject == _cables()["08LONDON2651"].subject
    assert not cable.subject.startswith("(")


def test_a_cable_without_subject_line_takes_the_pages_title(pages, cables):
    for ref, page in pages:
        title = re.search(r"<h3>Viewing cable [^,]*,(.*?)</h3>", page).group(1).strip()
        subject = cables[ref].subject
        assert subject if title else subject == "", ref
        if title and "SUBJECT" not in page.split("<code><pre>")[2].upper():
            assert subject == html.unescape(title), ref


def test_a_configured_permalink_template_is_used():
    template = PermalinkTemplate(cable="https://example.org/{REFID}/{YYYY}-{MM}", paragraph="#p-{number}")
    cable = parse_html_page(dict(_pages())["08KUWAIT560"], where="x", permalinks=template)
    assert cable.url == "https://example.org/08KUWAIT560/2008-05"
    assert cable.paragraph("2").url == "https://example.org/08KUWAIT560/2008-05#p-2"


def test_a_truncated_page_is_reported_as_truncated(pages):
    ref, page = pages[0]
    body_at = page.index("<code><pre>", page.index("<code><pre>") + 1)
    for cut in (body_at + 200, page.index("class='cable'") + 300):
        with pytest.raises(ParseError, match="truncated page") as info:
            parse_document(page[:cut], where=f"{ref}.html")
        assert f"{ref}.html" in str(info.value)


def test_only_semicolon_terminated_entities_are_decoded():
    assert decode_entities("AT&T &amp; R&D &copy 2008 &#x000A;&quot;") == 'AT&T & R&D &copy 2008 \n"'


def test_page_without_cable_table_is_not_a_cable(tmp_path: Path):
    with pytest.raises(ParseError, match="not a cable page"):
        parse_document("<html><body><p>hello</p></body></html>", where="x.html")


def test_a_subject_over_two_lines_with_a_marking(cables):
    cable = cables["09STATE132349"]
    assert cable.subject == "ARGENTINA: KIRCHNER INTERPERSONAL DYNAMICS (C-AL9-02612)"
    assert cable.tags == ("PINR", "PGOV", "AR")  # `TAGS PINR, PGOV, AR`, no colon
    assert cable.paragraph("A").marking == "U"
    assert "1) (S/NF) HOW IS CRISTINA FERNANDEZ DE KIRCHNER MANAGING" in cable.paragraph("A").text


def test_tags_are_upper_case_and_a_persons_name_is_one_tag(cables):
    assert cables["09BEIJING2963"].tags == ("OVIP", "STEINBERG, JAMES B.", "PREL", "PARM", "PGOV", "ECON")
    assert cables["09STATE11937"].tags[:2] == ("OVIP", "CLINTON, HILLARY")


def test_lettered_references_in_any_case(cables):
    assert cables["08BERLIN643"].references == (
        "07 state 75839",
        "State 15220",
        "Berlin 195",
        "State 40087",
        "Berlin 511",
    )
    assert cables["07STATE152317"].references == (
        "STATE 071143", "STATE 073601", "STATE 72896", "BEIJING 5361", "STATE 148514",
    )  # fmt: skip
