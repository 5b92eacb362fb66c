"""The compiled scorer (bot.picks._scoring) scores exactly as the Python signals of bot.picks.signals.

The Python signals are the reference: for every paragraph of the real corpus (and generated ones), each
signal the C computes must have the value of its Python function, to the bit, and score_cable must give
the same Scores (value, blocks, reasons in the same order, the same rounded floats) with the C as without
it, with the default weights and with others. A signal changed in signals.py without its C fails here,
by name. Without the extension these tests skip, saying why; under CABLEBOT_REQUIRE_PEERS=1 or
CABLEBOT_REQUIRE_SPEEDUPS=1 (CI) a missing extension is a failure.
"""

from __future__ import annotations

import math
import os
import random
import sys
import types
from collections import Counter
from collections.abc import Mapping
from functools import cache

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.model import Cable
from bot.picks import score, signals
from bot.picks.score import Score, score_cable
from bot.picks.settings import DEFAULT_WEIGHTS, PickSettings
from bot.sources import parse_document
from tests.picks.test_reading_speedups import LISTED
from tests.picks.test_signals import cable_of
from tests.support import cables_dir, require_peers


def _required() -> bool:
    return require_peers() or os.environ.get("CABLEBOT_REQUIRE_SPEEDUPS", "") not in ("", "0", "false", "no")


@pytest.fixture(scope="module")
def c_scoring() -> types.ModuleType:
    try:
        from bot.picks import _scoring
    except ImportError as e:
        reason = (
            f"the compiled scorer bot.picks._scoring is not built ({e}): `pip install -e .` builds it when "
            "a C compiler and the Python headers are at hand; cablebot scores with the Python signals "
            "meanwhile"
        )
        if _required():
            pytest.fail(f"{reason} (CABLEBOT_REQUIRE_SPEEDUPS or CABLEBOT_REQUIRE_PEERS is set: a failure)")
        pytest.skip(reason)
    _scoring.bind(vars(signals))  # bound already unless CABLEBOT_PURE_PYTHON=1; binding again is harmless
    return _scoring


def _port_advice(name: str) -> str:
    return (
        f"bot/picks/_scoring.c computes {name!r} as signals.{name} was when it was ported. If you changed "
        f"signals.{name} (or what it calls), port the change to _scoring.c and rebuild (`pip install -e .`), "
        f"or take {name!r} out of signals._COMPILED_SIGNALS until then: it is then computed in Python"
    )


def assert_same_signals(c_scoring, cable: Cable, df: Mapping[str, int], total: int, readings=None) -> None:
    """Every compiled signal's value for every paragraph, against its Python function."""
    readings = readings or [signals._read_python(p.text) for p in cable.paragraphs]
    names = sorted(c_scoring.SIGNALS)
    plan = tuple((name, 1.0, c_scoring.SIGNALS.index(name)) for name in names)
    got = c_scoring.score(cable, readings, df, total, plan, None, 0.0, True)
    for i, (para, reading, values) in enumerate(zip(cable.paragraphs, readings, got, strict=True)):
        passage = signals.Passage(para, cable, i, df, total, reading)
        for name in names:
            want, have = signals.SIGNALS[name](passage), values[name]
            assert (have, type(have)) == (want, type(want)), (
                f"signal {name!r} differs for {cable.ref_id} paragraph {para.number} "
                f"({para.text[:80]!r}...): "
                f"C {have!r}, Python {want!r}. {_port_advice(name)}"
            )


def _scores(scorer, cable: Cable, settings: PickSettings, df, total, readings=None) -> tuple[Score, ...]:
    """score_cable with the compiled scorer given (all it computes), or None: the Python signals alone,
    whatever CABLEBOT_PURE_PYTHON says."""
    saved = signals._scorer, signals._compiled_names
    signals._scorer = scorer
    ported = frozenset() if scorer is None else signals._COMPILED_SIGNALS & set(scorer.SIGNALS)
    signals._compiled_names = ported
    score._compiled.clear()
    try:
        return score_cable(cable, settings, df, total, readings)
    finally:
        signals._scorer, signals._compiled_names = saved
        score._compiled.clear()


def assert_same_scores(cable: Cable, settings: PickSettings, df, total, readings=None) -> None:
    from bot.picks import _scoring

    got = _scores(_scoring, cable, settings, df, total, readings)
    want = _scores(None, cable, settings, df, total, readings)
    for para, have, expected in zip(cable.paragraphs, got, want, strict=True):
        where = f"{cable.ref_id} paragraph {para.number}"
        assert have == expected, f"score of {where}: C {have}, Python {expected}"
        assert type(have.value) is type(expected.value), where
        assert list(have.reasons.items()) == list(expected.reasons.items()), where
        assert [type(v) for v in have.reasons.values()] == [type(v) for v in expected.reasons.values()], where


# --- The corpus ---------------------------------------------------------------------------------------


@cache
def corpus() -> tuple[tuple[Cable, ...], dict[str, int], int]:
    """The real cables, and their statistics (some terms left out: they count as 0)."""
    pages = sorted((cables_dir() / "html").glob("*.html"))
    cables = tuple(parse_document(page.read_text(encoding="utf-8"), where=str(page)) for page in pages)
    df: Counter[str] = Counter()
    for cable in cables:
        for p in cable.paragraphs:
            df.update(signals._read_python(p.text).terms)
    for i, term in enumerate(sorted(df)):
        if i % 11 == 0:
            del df[term]
    return cables, dict(df), sum(len(c.paragraphs) for c in cables)


@pytest.mark.corpus
def test_every_signal_of_every_corpus_paragraph_is_the_same(c_scoring) -> None:
    cables, df, total = corpus()
    assert total > 10_000
    for cable in cables:
        assert_same_signals(c_scoring, cable, df, total)


def _jittered(seed: int) -> PickSettings:
    """Each weight times a random factor, some zero, some whole numbers, a boost and a block list."""
    rng = random.Random(seed)
    weights: dict[str, float] = {}
    for name, weight in DEFAULT_WEIGHTS.items():
        roll = rng.random()
        weights[name] = (
            0.0 if roll < 0.15 else round(weight * 3) if roll < 0.3 else weight * rng.uniform(0.1, 4)
        )
    return PickSettings(weights=weights, boost=("minister", "nuclear", "Gaddafi"), block=("Diego Garcia",))


@pytest.mark.corpus
@pytest.mark.parametrize("seed", [None, 1, 2, 3])
def test_every_score_of_the_corpus_is_the_same(c_scoring, seed) -> None:
    cables, df, total = corpus()
    settings = PickSettings() if seed is None else _jittered(seed)
    for cable in cables:
        assert_same_scores(cable, settings, df, total)


# --- Generated text -------------------------------------------------------------------------------

PIECES = st.one_of(
    st.sampled_from(LISTED),
    st.sampled_from(LISTED).map(str.title),
    st.sampled_from(
        [
            " ",
            ". ",
            "? ",
            "\n",
            '"',
            "“",
            "”",
            "'",
            " '",
            "’",
            "&",
            "8",
            "88",
            "XXXXXXXXXXXX",
            "xxxxxx",
            "XxXxXx",
            "(C) ",
            "(S/NF) ",
            "Comment: ",
            "COMMENT",
            "Summary: ",
            "End summary.",
            "SUMMARY",
            "B. MADRID 2123",
            "Ambassador Smith",
            "A/S Cohen",
            "Deputy Secretary James Steinberg",
            "Under Secretary",
            "Senator Kerry",
            "Sen. ",
            "Amb. ",
            "Codel",
            "CODEL Mary-Jo",
            "Congresswoman ",
            "Special Envoy",
            "DAS ",
            "Saudi ",
            "The ",
            "Acting ",
            "Cohen",
            "Smith",
            "U.S.",
            "we ",
            " we ",
            "USD(P)",
            "Chinese Ambassador",
            "Secretary General",
            "Secretary general",
            "believes",
            "reportedly",
            "said,",
            "stressed.",
            "İ",
            "é",
            "\xa0",
            "\x1c",
        ]
    ),
    st.text(max_size=5),
)
TEXTS = st.lists(PIECES, max_size=50).map("".join)
MARKINGS = st.one_of(
    st.none(),
    st.sampled_from(["", "C", "S", "S/NF", "s//noforn", "TS", "SBU", "U", "U//FOUO", "C/REL NATO", "X", "é"]),
    st.text(max_size=6),
)
NUMBERS = st.one_of(st.sampled_from(["1", "2", "12", "A", "b", "É", "1a"]), st.text(min_size=1, max_size=2))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(TEXTS, MARKINGS, NUMBERS), min_size=1, max_size=5),
    st.integers(0, 10_000),
    st.integers(0, 5),
)
@example([("Ambassador Smith said we urged them. Smith stressed it.", "C", "1")], 100, 3)
@example([("He said \"no way\", 'not ever' and &perception of winning8.", None, "2")], 100, 3)
@example([("(C) Comment: we believe he doubts it.", None, "3")], 0, 0)
def test_generated_paragraphs_get_the_same_signals(c_scoring, paragraphs, total, df_value) -> None:
    texts, markings, numbers = zip(*paragraphs, strict=True)
    cable = cable_of(*texts, markings=markings, numbers=numbers)
    readings = [signals._read_python(t) for t in texts]
    df = {t: df_value * (i % 3) for i, r in enumerate(readings) for t in sorted(r.terms)}
    assert_same_signals(c_scoring, cable, df, total, readings)
    assert_same_scores(cable, PickSettings(), df, total, readings)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TEXTS, min_size=1, max_size=4), st.integers(0, 99))
def test_generated_paragraphs_get_the_same_scores_with_other_weights(c_scoring, texts, seed) -> None:
    cable = cable_of(*texts)
    assert_same_scores(cable, _jittered(seed), {"the": 3, "minister": 1}, 40)


def test_odd_statistics_are_scored_as_the_python_scores_them(c_scoring) -> None:
    cable = cable_of(
        "The corrupt minister frankly lied about the nuclear deal, the Ambassador said.", "Short."
    )
    for df, total in [
        (Counter({"corrupt": 2, "minister": 9}), 50),  # not a plain dict
        ({"corrupt": 2.5, "minister": 9}, 50),  # not plain ints
        ({"corrupt": 2**70}, 50),
        ({}, 2**80),
        ({}, 1),
        ({}, 0),
    ]:
        assert_same_signals(c_scoring, cable, df, total)
        assert_same_scores(cable, PickSettings(), df, total)


# --- Rounding and adding as Python does -----------------------------------------------------------


@settings(max_examples=2000, deadline=None)
@given(
    st.one_of(
        st.floats(allow_nan=False, allow_infinity=False),
        st.floats(-20, 20),
        st.integers(-(10**7), 10**7).map(lambda k: (k + 0.5) / 1000),  # near ties
        st.integers(-(10**6), 10**6).map(lambda k: k / 2000),  # exact ties, some of them
        st.sampled_from([0.0, -0.0, 0.0005, -0.0005, 0.0625, 1e9, 1e300, math.inf, -math.inf]),
    )
)
def test_shares_are_rounded_as_python_rounds(c_scoring, x: float) -> None:
    want, have = round(x, 3), c_scoring.round3(x)
    assert (have, math.copysign(1, have)) == (want, math.copysign(1, want))


@settings(max_examples=500, deadline=None)
@given(st.lists(st.floats(-10, 10).map(lambda x: round(x, 3)).filter(bool), min_size=1, max_size=25))
def test_shares_are_added_as_python_adds_them(c_scoring, values: list[float]) -> None:
    assert c_scoring.sum_floats(values) == sum(values)


# --- Which signals the C computes -------------------------------------------------------------------


def test_score_cable_uses_the_compiled_scorer_unless_told_not_to(c_scoring) -> None:
    if os.environ.get("CABLEBOT_PURE_PYTHON") == "1":
        assert signals._scorer is None
    else:
        assert signals._scorer is c_scoring
        assert signals._compiled_names == signals._COMPILED_SIGNALS
        score._compiled.clear()
        plan = score._compile(PickSettings()).plan
        assert plan is not None and all(type(how) is int for _, _, how in plan)


def _changed_fit(p: signals.Passage) -> float:
    return 0.5 if len(p.text) > 20 else 0.25


def test_a_signal_the_c_does_not_know_is_computed_in_python_in_the_same_scoring(
    c_scoring, monkeypatch
) -> None:
    monkeypatch.setattr(signals, "_scorer", c_scoring)
    monkeypatch.setattr(signals, "_compiled_names", signals._COMPILED_SIGNALS & set(c_scoring.SIGNALS))

    def novel(p: signals.Passage) -> float:
        return 0.125 if "minister" in p.text else 0.0

    monkeypatch.setitem(signals.SIGNALS, "novel", novel)
    monkeypatch.setitem(signals.SIGNALS, "fit", _changed_fit)  # replaced: not what the C stands for
    settings = PickSettings(weights={**DEFAULT_WEIGHTS, "novel": 2.0, "fit": 1.0})
    score._compiled.clear()
    plan = score._compile(settings).plan
    assert plan is not None
    how = {name: h for name, _, h in plan}
    assert how["novel"] is novel and how["fit"] is _changed_fit and type(how["candour"]) is int
    cable = cable_of("The corrupt minister frankly lied, the Ambassador said.", "Short.")
    scores = score_cable(cable, settings, {"minister": 2}, 10)
    assert scores[0].reasons["novel"] == 0.25 and "novel" not in scores[1].reasons
    assert scores[0].reasons["fit"] == 0.5
    assert_same_scores(cable, settings, {"minister": 2}, 10)


def test_a_signal_taken_out_of_the_compiled_set_is_computed_in_python(c_scoring, monkeypatch) -> None:
    monkeypatch.setattr(signals, "_scorer", c_scoring)
    monkeypatch.setattr(signals, "_compiled_names", signals._COMPILED_SIGNALS - {"candour"})
    score._compiled.clear()
    plan = score._compile(PickSettings()).plan
    assert plan is not None
    how = {name: h for name, _, h in plan}
    assert how["candour"] is signals.candour and type(how["fit"]) is int
    score._compiled.clear()


def test_the_probe_catches_a_build_that_computes_a_signal_otherwise(c_scoring, monkeypatch) -> None:
    # A build whose "fit" is not this version's (an edit of signals.fit without its C): fit is then
    # computed in Python, with a warning that names it; the other signals stay in C.
    stale = types.ModuleType("bot.picks._scoring")
    stale.__file__ = "stale/_scoring.so"
    stale.API = signals._SCORING_API
    stale.SIGNALS = c_scoring.SIGNALS
    stale.bind = c_scoring.bind

    def stale_score(cable, readings, df, total, plan, boost, boost_weight, raw=False):
        results = c_scoring.score(cable, readings, df, total, plan, boost, boost_weight, raw)
        if raw:
            for values in results:
                if "fit" in values:
                    values["fit"] = values["fit"] / 2
        return results

    stale.score = stale_score
    import bot.picks

    monkeypatch.setitem(sys.modules, "bot.picks._scoring", stale)
    monkeypatch.setattr(bot.picks, "_scoring", stale, raising=False)
    monkeypatch.delenv("CABLEBOT_PURE_PYTHON", raising=False)
    with pytest.warns(RuntimeWarning, match="computes fit otherwise"):
        module, names = signals._compiled_scorer()
    assert module is stale and "fit" not in names and "candour" in names


def test_a_build_of_another_api_is_ignored_with_a_warning(monkeypatch) -> None:
    stale = types.ModuleType("bot.picks._scoring")
    stale.__file__ = "stale/_scoring.so"
    stale.API = signals._SCORING_API - 1
    import bot.picks

    monkeypatch.setitem(sys.modules, "bot.picks._scoring", stale)
    monkeypatch.setattr(bot.picks, "_scoring", stale, raising=False)
    monkeypatch.delenv("CABLEBOT_PURE_PYTHON", raising=False)
    with pytest.warns(RuntimeWarning, match="another version"):
        assert signals._compiled_scorer() == (None, frozenset())


def test_readings_not_given_are_read(c_scoring) -> None:
    cable = cable_of("The corrupt minister frankly lied, the Ambassador said.", "(S) Summary: a deal.")
    assert_same_scores(cable, PickSettings(), {"corrupt": 1}, 30, None)


# --- Reasons as JSON ------------------------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(sorted(DEFAULT_WEIGHTS)) | st.text(max_size=4),
        st.floats() | st.floats(-10, 10).map(lambda x: round(x, 3)) | st.integers(-5, 5),
        max_size=12,
    )
)
@example({"quotation": 0.1, "marking": -0.0, "fit": 1e22, "boost": 1e-07})
def test_reasons_are_written_as_the_python_writes_them(c_scoring, reasons: dict) -> None:
    from bot.picks import persist

    assert c_scoring.reasons_json(reasons) == persist._reasons_json_python(reasons)


@pytest.mark.corpus
def test_the_reasons_of_the_corpus_are_written_as_the_python_writes_them(c_scoring) -> None:
    import json

    from bot.picks import persist

    cables, df, total = corpus()
    for cable in cables[::5]:
        for s in _scores(c_scoring, cable, _jittered(7), df, total):
            written = c_scoring.reasons_json(s.reasons)
            assert written == persist._reasons_json_python(s.reasons)
            assert json.loads(written) == s.reasons
