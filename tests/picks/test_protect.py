"""Never amplify a protected source: on cables written for the purpose and on the real ones."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.model import Cable
from bot.picks.protect import _is_shouting, protected_names_before
from bot.picks.score import ranked, score_cable, top_pick
from bot.picks.settings import PickSettings, parse_picks
from tests.picks.test_signals import cable_of
from tests.support import cables_dir

CANDID = 'Privately, he called the president corrupt, paranoid and incompetent, and said "he will fall".'


def blocked_numbers(cable: Cable, settings: PickSettings | None = None) -> dict[str, str]:
    scores = score_cable(cable, settings or PickSettings())
    return {p.number: s.block_reason for p, s in zip(cable.paragraphs, scores, strict=True) if s.blocked}


@pytest.mark.parametrize(
    "marker",
    [
        "(PROTECT)",
        "(protect)",
        "(strictly protect)",
        "(STRICTLY PROTECT)",
        "(please protect)",
        "(Please Protect)",
        "(protect throughout)",
        "(strictly protect throughout)",
        "-- PROTECT",
        "(protect source)",
    ],
)
def test_a_paragraph_carrying_a_marker_is_never_picked_whatever_its_score(marker):
    cable = cable_of(
        "The weather was mild and the talks were routine, the embassy reported.",
        f"Dr. Ali Hassan {marker} told poloff that {CANDID}",
    )
    blocked = blocked_numbers(cable)
    assert "2" in blocked and "protected source" in blocked["2"]
    assert top_pick(cable, score_cable(cable, PickSettings())) != "2"


def test_every_paragraph_naming_the_protected_person_is_blocked_with_the_reason():
    cable = cable_of(
        "Dr. Ali Hassan (PROTECT) met poloff on May 3 at his office in the ministry.",
        f"Hassan added that {CANDID}",
        f"The finance minister, by contrast, said {CANDID}",
    )
    blocked = blocked_numbers(cable)
    assert set(blocked) == {"1", "2"}
    assert "Ali Hassan" in blocked["2"] and "paragraph 1" in blocked["2"]
    assert top_pick(cable, score_cable(cable, PickSettings())) == "3"


def test_a_redacted_protected_source_blocks_every_paragraph_holding_the_redaction():
    cable = cable_of(
        "XXXXXXXXXXXX (strictly protect) is a senior official close to the palace.",
        f"XXXXXXXXXXXX said that {CANDID}",
        "The minister of trade said exports rose 40 percent, to $3 billion, in the first quarter this year.",
    )
    blocked = blocked_numbers(cable)
    assert set(blocked) == {"1", "2"}
    assert "redacted person" in blocked["2"]


@pytest.mark.parametrize(
    "text",
    [
        "Sensitive but unclassified. Please protect accordingly.",
        "The government must protect its citizens and protect the country from terrorists.",
        "Spain requested personal protection for the judge; the Protective Service agreed.",
        "Day promised the UK had put measures in place to protect your interests during the inquiry.",
    ],
)
def test_protect_as_an_ordinary_word_is_not_a_marker(text):
    assert blocked_numbers(cable_of(text + " " + CANDID)) == {}


def test_the_name_is_read_before_the_marker():
    text = "Tory MP Keith Simpson (strictly protect) told us"
    assert protected_names_before(text, text.index("(")) == ["Keith Simpson"]
    text = "Karl-Theodor zu Guttenberg, Secretary General of the CSU (PROTECT), told us"
    assert "Karl-Theodor zu Guttenberg" in protected_names_before(text, text.index("(PROTECT"))
    text = "senior sources in the Chancellery (protect) said"
    assert protected_names_before(text, text.index("(")) == []


def test_editors_add_markers_and_names_in_the_config():
    settings = parse_picks({"protect": {"patterns": ["do not quote"], "names": ["Maria Lopez"]}})
    cable = cable_of(
        f"The mayor (do not quote) said {CANDID}",
        f"Maria Lopez, a union leader, said {CANDID}",
        f"Lopez also said {CANDID}",
        f"A banker said {CANDID}",
    )
    assert set(blocked_numbers(cable, settings)) == {"1", "2", "3"}


def test_one_paragraph_is_released_only_by_naming_it_and_the_release_is_logged(caplog):
    cable = cable_of(
        "Dr. Ali Hassan (PROTECT) met poloff on May 3 at his office in the ministry.",
        f"Hassan added that {CANDID}",
        f"Hassan also said that {CANDID}",
    )
    settings = parse_picks(
        {"release": [{"ref_id": cable.ref_id, "paragraph": "2", "reason": "spoke on the record"}]}
    )
    logging.getLogger("cablebot").propagate = True
    scores = score_cable(cable, settings)
    assert [s.blocked for s in scores] == [True, False, True]
    assert "spoke on the record" in scores[1].released
    from bot.picks.persist import log_releases

    with caplog.at_level(logging.WARNING, logger="cablebot.picks"):
        log_releases(cable, scores)
    assert any("released" in r.getMessage() and r.fields["paragraph"] == "2" for r in caplog.records)


# --- the real cables -------------------------------------------------------------------------------


def real(ref_id: str) -> Cable:
    from bot.sources.html_page import parse_html_page

    path = cables_dir() / "html" / f"{ref_id}.html"
    return parse_html_page(path.read_text(encoding="utf-8"), where=str(path))


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("ref_id", "name"),
    [
        ("05MADRID569", "Sanchez"),
        ("05PARIS479", "Ricard"),
        ("06MADRID2708", "Iglesias"),
        ("08LAGOS368", "Pickard"),
        ("09MADRID440", "Zaragoza"),
        # Found by a labeller in session 6, who left each cable without a pick (labels/editor_picks_36.toml)
        ("05PARIS3118", "Ricard"),
        ("07MADRID545", "Sandomingo"),
        ("08RIYADH1541", "Khanzada"),
        ("09BRASILIA952", "Saito"),
        ("09BUENOSAIRES641", "Taiana"),
        ("09UNVIEVIENNA553", "Postl"),
    ],
)
def test_real_cables_never_amplify_the_source_they_protect(ref_id, name):
    cable = real(ref_id)
    scores = score_cable(cable, PickSettings())
    for para, s in zip(cable.paragraphs, scores, strict=True):
        if name in para.text or "protect" in para.text.lower():
            assert s.blocked, f"{ref_id} ¶{para.number} names {name} but is not blocked"
            assert s.block_reason.startswith("protected source")
    assert top_pick(cable, scores) is None or name not in cable.paragraph(top_pick(cable, scores)).text


@pytest.mark.corpus
def test_real_cables_with_a_redacted_protected_source():
    cable = real("07BEIJING7035")
    scores = score_cable(cable, PickSettings())
    for para, s in zip(cable.paragraphs, scores, strict=True):
        if "XXXXXX" in para.text:
            assert s.blocked


@pytest.mark.corpus
def test_no_real_paragraph_with_a_protect_marker_is_ever_postable():
    import re

    marker = re.compile(r"\((?:please |strictly )?protect[^)]*\)|strictly protect", re.IGNORECASE)
    checked = 0
    for path in sorted(Path(cables_dir() / "html").glob("*.html")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if "rotect" not in text and "ROTECT" not in text:
            continue
        cable = real(path.stem)
        for para, s in zip(cable.paragraphs, score_cable(cable, PickSettings()), strict=True):
            if marker.search(para.text):
                checked += 1
                assert s.blocked, f"{cable.ref_id} ¶{para.number}"
    assert checked >= 40  # the real corpus has dozens of marked paragraphs


@pytest.mark.corpus
@pytest.mark.parametrize("ref_id", ["04MADRID2164", "09LONDON2198", "05MADRID572"])
def test_real_cables_that_only_use_the_word_are_not_blocked(ref_id):
    cable = real(ref_id)
    order = ranked(cable, score_cable(cable, PickSettings()))
    assert not any(s.blocked and (s.block_reason or "").startswith("protected") for _, s in order)


@given(st.text(alphabet=st.sampled_from([*"aZ .,9", "É", "é", "Ⓐ"]), max_size=500))
def test_all_capitals_means_more_than_85_percent_of_the_letters_are_capitals(text: str) -> None:
    letters = [c for c in text[:400] if c.isalpha()]
    assert _is_shouting(text) == (bool(letters) and sum(c.isupper() for c in letters) > 0.85 * len(letters))


# --- Finding markers near each "protect": what the regex finds over the whole text ------------------

_MARKER_PIECES = st.sampled_from(
    [
        "(",
        ")",
        "--",
        "-",
        " ",
        "  ",
        "\n",
        "\xa0",
        "please",
        "PLEASE",
        "strictly",
        "ſtrictly",
        "protect",
        "PROTECT",
        "Protect",
        "pRoTeCt",
        "protected",
        "protection",
        "source",
        "sources",
        "our",
        "the",
        "throughout",
        "accordingly",
        "him",
        "İ",
        "x",
        ".",
    ]
)


def _spans(matches) -> list[tuple[tuple[int, int], str]]:
    return [(m.span(), m.group(0)) for m in matches]


@given(st.lists(_MARKER_PIECES | st.text(max_size=3), max_size=30).map("".join))
def test_markers_are_found_where_the_regex_finds_them_in_the_whole_text(text: str) -> None:
    from bot.picks.protect import _MARKER, _markers

    assert _spans(_markers(text)) == _spans(_MARKER.finditer(text))


@pytest.mark.corpus
def test_markers_of_the_corpus_are_found_where_the_regex_finds_them() -> None:
    from bot.picks.protect import _MARKER, _markers
    from bot.sources import parse_document

    found = 0
    for page in sorted((cables_dir() / "html").glob("*.html")):
        for p in parse_document(page.read_text(encoding="utf-8"), where=str(page)).paragraphs:
            want = _spans(_MARKER.finditer(p.text))
            assert _spans(_markers(p.text)) == want, p.text
            found += len(want)
    assert found > 50
