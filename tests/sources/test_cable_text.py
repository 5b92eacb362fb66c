"""What every format shares: how a cable's text is cut into header fields and numbered paragraphs."""

from __future__ import annotations

import pytest

from bot.sources.cable_text import ANCHOR_MARK, normalise_marking, read_cable_text

HEADER = """C O N F I D E N T I A L SECTION 01 OF 02 ASTANA 002079

SIPDIS

E.O. 12958: DECL: 10/16/2018
TAGS: PGOV PREL SNAR
KCRM KZ
SUBJECT: (C/NF) KAZAKHSTAN: A SUBJECT THAT RUNS
OVER TWO LINES

REF: A. 06 KUWAIT 4637 B. KUWAIT 79

Classified By: Ambassador Richard E. Hoagland, reasons 1.4 (b) and (d)
"""


def _read(body: str, *, anchored: bool = False):
    return read_cable_text(HEADER + "\n" + body, anchored=anchored)


def _numbers(text) -> list[tuple[str, bool]]:
    return [(p.number, p.anchored) for p in text.paragraphs]


def test_header_fields():
    text = _read("1. (C) Text.\n")
    assert text.subject == "KAZAKHSTAN: A SUBJECT THAT RUNS OVER TWO LINES"
    assert text.tags == ("PGOV", "PREL", "SNAR", "KCRM", "KZ")
    assert text.references == ("06 KUWAIT 4637", "KUWAIT 79")


def test_the_sites_anchor_rule_numbered_and_lettered_lines():
    text = _read("1. (C) One.\n\n  A. a sub-item\n2001. A year at the start of a line\n2.(S) Unanchored.\n")
    assert _numbers(text) == [("1", True), ("A", True), ("2001", True), ("2", False)]


def test_explicit_anchors_are_taken_as_they_are():
    body = f"{ANCHOR_MARK}1{ANCHOR_MARK}1. (C) One.\n2. (C) The site gave this line no anchor.\n"
    assert _numbers(_read(body, anchored=True)) == [("1", True), ("2", False)]


def test_text_is_joined_without_page_breaks_sipdis_or_headings():
    body = """1. (SBU) The paragraph starts here and goes
on to the next line.

ASTANA 00002079  002 OF 002

Then continues after the page break and SIPDIS
SIPDIS
inside a sentence.

CURRENT SITUATION

2. (U) Second paragraph, with an inline ASTANA 00002079 002 OF 002 page break.

Comment
-------

3. (C) Third.

HOAGLAND
"""
    text = _read(body)
    assert [(p.number, p.marking, p.text) for p in text.paragraphs] == [
        (
            "1",
            "SBU",
            "The paragraph starts here and goes on to the next line. Then continues after the page break "
            "and SIPDIS inside a sentence.",
        ),
        ("2", "U", "Second paragraph, with an inline page break."),
        ("3", "C", "Third."),
    ]


@pytest.mark.parametrize(
    "ending",
    [
        "End comment.\n\nHOAGLAND\n",
        "End comment.\n\njones\n",
        "End comment.\n\nHOAGLAND\n\nHOAGLAND\n",
        "End comment. HOAGLAND\n",
        "End comment.\n\nHOAGLAND\nNNNN\n",
        'End comment.\n\nHOAGLAND\n\n"Visit Astana\'s Classified Web Site at http://example"\n',
    ],
)
def test_the_signature_is_not_in_the_last_paragraph(ending):
    text = _read("1. (C) Text. " + ending)
    assert text.paragraphs[-1].text == "Text. End comment."


def test_the_end_of_a_comment_is_not_a_signature():
    assert _read("1. (C) Text. END COMMENT.\n").paragraphs[-1].text == "Text. END COMMENT."
    assert _read("1. (C) Text.\nEND COMMENT\n").paragraphs[-1].text == "Text. END COMMENT"


def test_reference_items_end_at_classified_by():
    body = "REF: A. STATE 1\n B. KUWAIT 79\n\nClassified By: Ambassador X, 1.4 (b)\n\n1. (C) Text.\n"
    text = read_cable_text("TAGS: PREL\nSUBJECT: S\n" + body, anchored=False)
    assert [(p.number, p.text) for p in text.paragraphs] == [("B", "KUWAIT 79"), ("1", "Text.")]


def test_classified_by_that_swallowed_paragraph_one():
    body = "Classified By: DCM, reasons 1.4 b and d 1.(C)\n\nSummary: it begins.\n\n2.(C) Second.\n"
    text = read_cable_text("SUBJECT: S\n\n" + body, anchored=False)
    assert [(p.number, p.anchored, p.text) for p in text.paragraphs] == [
        ("1", False, "Summary: it begins."),
        ("2", False, "Second."),
    ]


@pytest.mark.parametrize(
    ("raw", "marking"),
    [
        ("C", "C"),
        ("c", "C"),
        ("S/NF", "S/NF"),
        ("C NF", "C/NF"),
        ("S//REL to USA, ACGU", "S//REL to USA, ACGU"),
        (" SBU ", "SBU"),
        ("C - ENTIRE TEXT", "C - ENTIRE TEXT"),
    ],
)
def test_markings_are_normalised(raw, marking):
    assert normalise_marking(raw) == marking


def test_a_parenthesis_that_is_no_marking_stays_in_the_text():
    text = _read("1. (Note: not a marking) text.\n2. (OMC) neither.\n")
    assert [(p.marking, p.text) for p in text.paragraphs] == [
        (None, "(Note: not a marking) text."),
        (None, "(OMC) neither."),
    ]
