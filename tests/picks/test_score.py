"""Scores: the weighted signals, reasons that add up, and the hard blocks."""

from __future__ import annotations

import dataclasses
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.model import Paragraph
from bot.picks.score import ranked, score_cable, top_pick
from bot.picks.settings import PickSettings, parse_picks
from tests.picks.test_signals import CANDID_TEXT, cable_of

BORING = "Classified By: Ambassador John Smith for reasons 1.4 (b) and (d)."
ROUTINE = "The delegation discussed the agenda for the meeting with the ministry and agreed on dates."


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=1500), min_size=1, max_size=6))
def test_scores_are_finite_and_the_reasons_add_up_to_the_score(texts):
    cable = cable_of(*texts)
    for s in score_cable(cable, PickSettings(), {"the": 3}, 10):
        assert math.isfinite(s.value)
        assert all(math.isfinite(v) for v in s.reasons.values())
        assert abs(sum(s.reasons.values()) - s.value) < 1e-6


def test_the_candid_paragraph_beats_boilerplate_and_procedure():
    cable = cable_of(BORING, ROUTINE, CANDID_TEXT)
    assert top_pick(cable, score_cable(cable, PickSettings())) == "3"


def test_a_paragraph_without_its_own_anchor_is_never_picked():
    cable = cable_of(ROUTINE, CANDID_TEXT)
    cable = dataclasses.replace(
        cable, paragraphs=(cable.paragraphs[0], Paragraph("2", "S", CANDID_TEXT, None))
    )
    scores = score_cable(cable, PickSettings())
    assert scores[1].blocked and "not citable" in scores[1].block_reason
    assert top_pick(cable, scores) == "1"


def test_editors_exclude_cables_and_paragraphs_and_block_keywords():
    cable = cable_of(CANDID_TEXT, CANDID_TEXT + " Diego Garcia.", ROUTINE)
    by_paragraph = parse_picks({"exclude_paragraphs": [f"{cable.ref_id}#1"], "block": ["diego garcia"]})
    scores = score_cable(cable, by_paragraph)
    assert "exclude_paragraphs" in scores[0].block_reason
    assert "Diego Garcia" in scores[1].block_reason
    assert top_pick(cable, scores) == "3"
    whole = score_cable(cable, parse_picks({"exclude_cables": [cable.ref_id]}))
    assert all(s.blocked and "exclude_cables" in s.block_reason for s in whole)


def test_boost_keywords_raise_a_paragraph_and_say_so():
    cable = cable_of(ROUTINE + " Gaddafi was there.", ROUTINE)
    plain, boosted = (
        score_cable(cable, PickSettings()),
        score_cable(cable, parse_picks({"boost": ["Gaddafi"]})),
    )
    assert boosted[0].value > plain[0].value
    assert boosted[0].reasons["boost"] > 0


def test_weights_change_the_ranking():
    cable = cable_of(
        "The army received only $300 million of the $1 billion, 40 percent less than in 2008.", CANDID_TEXT
    )
    figures_first = parse_picks({"weights": {"figures": 20}})
    assert top_pick(cable, score_cable(cable, figures_first)) == "1"


def test_blocked_paragraphs_rank_last():
    cable = cable_of(CANDID_TEXT, ROUTINE)
    scores = score_cable(cable, parse_picks({"exclude_paragraphs": [f"{cable.ref_id}#1"]}))
    assert [cable.paragraphs[i].number for i, _ in ranked(cable, scores)] == ["2", "1"]
