"""Whatever text the parsers are given, they return a Cable or raise ParseError, nothing else."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import ParseError
from bot.model import Cable
from bot.sources import parse_document, read_path
from bot.sources.cable_text import read_cable_text
from bot.sources.html_page import parse_html_page
from bot.sources.plain_text import parse_plain_text
from bot.sources.release_csv import parse_release_row
from bot.sources.text_export import parse_text_export

SAMPLE = Path(__file__).resolve().parents[2] / "bot" / "samples" / "08ASTANA2079.txt"
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PARSERS = (parse_document, parse_html_page, parse_text_export, parse_plain_text)


@cache
def _real_documents() -> tuple[str, ...]:
    """The bundled sample, plus a few real pages and exports when the shared corpus is there."""
    documents = [SAMPLE.read_text(encoding="utf-8")]
    shared = Path(os.environ.get("CABLEBOT_SHARED") or Path(__file__).resolve().parents[3] / "shared")
    shared = shared / "cables"
    for name in (
        "html/08KUWAIT560.html",
        "html/06ANKARA4688.html",
        "html/79TEHRAN8980.html",
        "text/09BRUSSELS1032.txt",
    ):
        if (shared / name).is_file():
            documents.append((shared / name).read_text(encoding="utf-8"))
    return tuple(documents)


def _outcome(parser, text: str) -> None:
    try:
        result = parser(text, where="fuzz.txt")
    except ParseError as e:
        assert "fuzz.txt" in str(e)
        return
    assert isinstance(result, Cable)
    for p in result.paragraphs:
        assert isinstance(p.text, str) and p.number
        assert p.url is None or p.url.startswith(result.url + "#")


@st.composite
def mangled(draw) -> str:
    text = draw(st.sampled_from(_real_documents()))
    lines = text.split("\n")
    operation = draw(st.sampled_from(["truncate", "flip", "shuffle", "delete", "insert", "duplicate"]))
    if operation == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    if operation == "flip":
        chars = list(text)
        for _ in range(draw(st.integers(1, 30))):
            chars[draw(st.integers(0, len(chars) - 1))] = draw(st.characters())
        return "".join(chars)
    if operation == "shuffle":
        return "\n".join(draw(st.permutations(lines)))
    if operation == "delete":
        start = draw(st.integers(0, len(lines)))
        return "\n".join(lines[:start] + lines[start + draw(st.integers(0, 40)) :])
    if operation == "insert":
        at = draw(st.integers(0, len(lines)))
        junk = draw(st.lists(st.text(max_size=80), max_size=8))
        return "\n".join(lines[:at] + junk + lines[at:])
    at = draw(st.integers(0, len(lines)))
    return "\n".join(lines[:at] + lines[at - 3 : at] * 3 + lines[at:])


@SETTINGS
@given(st.text(max_size=3000))
def test_arbitrary_text_gives_a_cable_or_a_parse_error(text):
    for parser in PARSERS:
        _outcome(parser, text)


@SETTINGS
@given(mangled())
def test_mangled_real_cables_give_a_cable_or_a_parse_error(text):
    for parser in PARSERS:
        _outcome(parser, text)


_LINE = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "1. (C) text",
            "¶2. (S/NF) text",
            "B. KUWAIT 79",
            "1.(C) x",
            "Q (C/NF) y",
            "-----",
            "SIPDIS",
            "SUBJECT: (C) A",
            "TAGS: PREL",
            "REF: A. STATE 1 B. STATE 2",
            "Classified By: x 1.(C)",
            "HOAGLAND",
            "ASTANA 00002079  002 OF 002",
            "TAGS: ovip, steinberg, james b. prel",
            "TAGS CLINTON, HILLARY",
            "NNNN",
            "\x1e1\x1e1. ",
            "\x1e",
            "2001. Another idea",
            "A) (S) sub",
        ]
    ),
    st.text(max_size=40),
)


@SETTINGS
@given(st.lists(_LINE, max_size=40), st.booleans())
def test_cable_text_of_any_shape_is_read_without_error(lines, anchored):
    text = read_cable_text("\n".join(lines), anchored=anchored)
    for p in text.paragraphs:
        assert p.text == " ".join(p.text.split())


@SETTINGS
@given(st.lists(st.text(max_size=60), max_size=10))
def test_any_csv_row_is_a_cable_or_a_parse_error(row):
    result = parse_release_row(row, where="cables.csv:row 1")
    assert isinstance(result, Cable | ParseError)


@SETTINGS
@given(st.binary(max_size=2000))
def test_any_bytes_in_a_file_give_cables_or_parse_errors(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "file.txt"
    path.write_bytes(data)
    for item in read_path(path):
        assert isinstance(item, Cable | ParseError)
        if isinstance(item, ParseError):
            assert str(path) in str(item)
