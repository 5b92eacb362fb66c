"""The `wording` signal and its lexicon (bot/picks/wording.py, bot/picks/wording.tsv): the words of the
paragraphs editors quote raise a paragraph, those of the paragraphs they pass over lower it; the lexicon
is checked whole when cablebot starts; the compiled scorer gives the Python's value to the bit, and the
prepared (two-step) scoring gives score_cable's."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import types
from pathlib import Path

import pytest

from bot.picks import score, signals
from bot.picks.prepared import finish_scores, prepare_scores
from bot.picks.score import score_cable
from bot.picks.settings import DEFAULT_WEIGHTS, PickSettings
from bot.picks.wording import LexiconError, load_lexicon
from tests.picks.test_scoring_speedups import _required
from tests.picks.test_signals import cable_of, passage

# sif and lex are dyadic fractions: every sum of their products is exact, in any order.
TINY = """\
# a tiny lexicon
alpha\t0.5\t2.0
bravo\t0.25\t-1.0

charlie\t1.0\t0.5
quoted\t1.0\t4.0
passed\t1.0\t-4.0
"""


@pytest.fixture
def tiny(monkeypatch) -> dict[str, tuple[float, float]]:
    lexicon = load_lexicon(text=TINY, stop_words=signals.STOP)
    monkeypatch.setattr(signals, "_WORDING", signals._wording_table(lexicon))
    return lexicon


# --- The signal ---------------------------------------------------------------------------------------


def test_wording_is_the_sif_weighed_mean_of_the_lex_of_its_terms_in_the_lexicon(tiny) -> None:
    assert tiny == {
        "alpha": (0.5, 2.0),
        "bravo": (0.25, -1.0),
        "charlie": (1.0, 0.5),
        "quoted": (1.0, 4.0),
        "passed": (1.0, -4.0),
    }
    # (0.5 * 2.0 + 0.25 * -1.0) / (0.5 + 0.25); "delta" is in no lexicon, "the" is no term
    assert signals.wording(passage("Alpha, the bravo and delta.")) == 1.0
    assert signals.wording(passage("Alpha bravo charlie alpha.")) == (1.0 - 0.25 + 0.5) / 1.75
    assert signals.wording(passage("Charlie")) == 0.5  # one term: its own lex, whatever its sif
    assert signals.wording(passage("CHARLIE said BRAVO")) == (0.5 - 0.25) / 1.25  # terms are lower case


def test_a_paragraph_of_quoted_words_scores_above_one_of_passed_over_words(tiny) -> None:
    quoted = passage("The minister quoted alpha and charlie to the delegation.")
    passed = passage("The minister passed bravo and charlie to the delegation.")
    assert signals.wording(quoted) > 0.0 > signals.wording(passed)


def test_a_paragraph_without_a_term_of_the_lexicon_scores_zero(tiny) -> None:
    assert signals.wording(passage("Delta echo foxtrot, the minister said.")) == 0.0
    assert signals.wording(passage("... -- 12")) == 0.0  # no terms at all
    assert signals.wording(passage("")) == 0.0


def _extremes(k: int) -> tuple[list[str], list[str]]:
    """The k terms of the shipped lexicon with the highest lex, and the k with the lowest."""
    ranked = sorted(load_lexicon(stop_words=signals.STOP).items(), key=lambda item: (item[1][1], item[0]))
    words = [term for term, _ in ranked if term.isalpha()]
    return words[-k:], words[:k]


def test_with_the_shipped_lexicon_the_words_of_quoted_paragraphs_raise_a_paragraph() -> None:
    high, low = _extremes(8)
    quotable = passage(f"They said {', '.join(high)}.")
    dull = passage(f"They said {', '.join(low)}.")
    assert signals.wording(quotable) > 0.0 > signals.wording(dull)
    assert signals.wording(passage("Zqxwv plorbatz grintle, 1234.")) == 0.0


def test_the_shipped_lexicon_holds_only_terms_as_the_corpus_counts_them() -> None:
    lexicon = load_lexicon(stop_words=signals.STOP)
    assert len(lexicon) > 1000
    not_terms = [term for term in lexicon if signals.read(term).terms != {term}]
    assert not_terms == []
    assert all(0.0 < sif <= 1.0 for sif, _ in lexicon.values())
    assert signals._wording_table(lexicon) == signals._WORDING


def test_the_probe_cable_has_terms_of_the_lexicon_in_every_paragraph() -> None:
    # (what tells a stale build of the compiled scorer from this one when the program starts)
    cable = signals._probe_cable()
    for p in cable.paragraphs:
        assert not signals._WORDING.keys().isdisjoint(signals.read(p.text).terms), p.text


# --- The lexicon file -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("delta\t0.5", "2 tab-separated field"),
        ("delta 0.5 1.0", "1 tab-separated field"),
        ("delta\t0.5\t1.0\t2.0", "4 tab-separated field"),
        ("Delta\t0.5\t1.0", "'Delta' is not a term"),
        ("de\t0.5\t1.0", "'de' is not a term"),
        ("1st\t0.5\t1.0", "'1st' is not a term"),
        ("the\t0.5\t1.0", "'the' is not a term"),
        ("del ta\t0.5\t1.0", "'del ta' is not a term"),
        ("delta\t\t1.0", "sif '' is not a number"),
        ("delta\thalf\t1.0", "sif 'half' is not a number"),
        ("delta\t0.5\tmuch", "lex 'much' is not a number"),
        ("delta\t0.5\tnan", "lex 'nan' is not a finite number"),
        ("delta\tinf\t1.0", "sif 'inf' is not a finite number"),
        ("delta\t0\t1.0", "sif '0' of 'delta' is not in (0, 1]"),
        ("delta\t1.5\t1.0", "sif '1.5' of 'delta' is not in (0, 1]"),
        ("delta\t-0.5\t1.0", "sif '-0.5' of 'delta' is not in (0, 1]"),
        ("alpha\t0.5\t1.0", "'alpha' again"),
    ],
)
def test_a_malformed_line_is_an_error_that_names_the_file_and_the_line(tmp_path, line, reason) -> None:
    path = tmp_path / "wording.tsv"
    path.write_text(f"# comment\nalpha\t0.5\t2.0\n{line}\nbravo\t0.25\t-1.0\n", encoding="utf-8")
    with pytest.raises(LexiconError) as raised:
        load_lexicon(path, stop_words=signals.STOP)
    assert str(raised.value).startswith(f"{path}:3: {reason}")
    assert "term<TAB>sif<TAB>lex" in str(raised.value)
    assert (raised.value.where, raised.value.line) == (str(path), 3)


def test_a_missing_or_empty_lexicon_is_an_error_that_names_the_file(tmp_path) -> None:
    with pytest.raises(LexiconError, match=rf"^{tmp_path / 'nowhere.tsv'}: no such file"):
        load_lexicon(tmp_path / "nowhere.tsv")
    empty = tmp_path / "empty.tsv"
    empty.write_text("# only a comment\n\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=rf"^{empty}: no term in it"):
        load_lexicon(empty)
    binary = tmp_path / "binary.tsv"
    binary.write_bytes(b"alpha\t0.5\t\xff\n")
    with pytest.raises(LexiconError, match=rf"^{binary}: cannot be read"):
        load_lexicon(binary)


def test_a_missing_shipped_lexicon_stops_cablebot_at_import_naming_the_file() -> None:
    # A fresh interpreter, whose bot.picks.wording looks for a file the package does not hold.
    code = "import bot.picks.wording as w; w.LEXICON = 'nowhere.tsv'; import bot.picks.signals"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("bot.picks.wording.LexiconError: ")
    assert str(Path("bot", "picks", "nowhere.tsv")) in last and "no such file" in last


# --- Compiled and prepared ------------------------------------------------------------------------------


def _c_and_python(c_scoring, cable) -> list[tuple[float, float]]:
    readings = [signals._read_python(p.text) for p in cable.paragraphs]
    plan = (("wording", 1.0, c_scoring.SIGNALS.index("wording")),)
    got = c_scoring.score(cable, readings, {}, 0, plan, None, 0.0, True)
    return [
        (values["wording"], signals.wording(signals.Passage(p, cable, i, {}, 0, reading)))
        for i, (p, reading, values) in enumerate(zip(cable.paragraphs, readings, got, strict=True))
    ]


@pytest.fixture
def c_scoring():
    """The compiled scorer signals.py scores with, wording among what it computes."""
    if signals._scorer is None:
        reason = "the compiled scorer is not in use: not built, or CABLEBOT_PURE_PYTHON=1"
        if _required() and os.environ.get("CABLEBOT_PURE_PYTHON") != "1":
            pytest.fail(f"{reason} (CABLEBOT_REQUIRE_SPEEDUPS or CABLEBOT_REQUIRE_PEERS is set: a failure)")
        pytest.skip(reason)
    assert "wording" in signals._compiled_names
    return signals._scorer


def test_the_compiled_wording_gives_the_pythons_value_whatever_the_order_of_the_terms(
    c_scoring, monkeypatch
) -> None:
    # Numbers that floats would add up differently in different orders ((1e9 + 1e-7) - 1e9 is not 1e-7):
    # the table holds them as integers, so every order gives the same sums.
    rng = random.Random(5)
    lexicon = "\n".join(
        f"word{i}\t{rng.uniform(0.01, 1.0):.6g}\t{rng.choice([1e6, -1e6, 1.0]) * rng.uniform(-3, 3):.4f}"
        for i in range(40)
    )
    monkeypatch.setattr(signals, "_WORDING", signals._wording_table(load_lexicon(text=lexicon)))
    words = [f"word{i}" for i in range(40)]
    texts = [
        " ".join(rng.sample(words, rng.randint(3, 30)) + [f"pad{j}" for j in range(rng.randint(0, 40))])
        for _ in range(60)
    ]
    values = _c_and_python(c_scoring, cable_of(*texts))
    assert all(have == want and type(have) is float for have, want in values), values
    table = signals._WORDING
    for text, (value, _) in zip(texts, values, strict=True):
        found = [t for t in sorted(signals.read(text).terms, reverse=True) if t in table]
        assert value == sum(table[t][0] for t in found) / sum(table[t][1] for t in found)


def test_wording_is_the_same_in_processes_whose_sets_iterate_in_other_orders() -> None:
    # A set's order follows the string hashes, which each process seeds anew: an ingest and a later
    # `cablebot pick --rescore` must still store the same scores.
    script = (
        "from tests.picks.evaluation import read_pages\n"
        "from tests.support import cables_dir\n"
        "from bot.picks.signals import Passage, wording\n"
        "cables = sorted(read_pages(cables_dir() / 'html').items())[:150]\n"
        "print([wording(Passage(p, c, i)).hex() for _, c in cables for i, p in enumerate(c.paragraphs)])\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=Path(__file__).resolve().parents[2],
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    ]
    assert len(runs[0]) > 1000 and runs[0] == runs[1] == runs[2]


def test_the_compiled_wording_reads_the_lexicon_of_the_moment_and_leaves_odd_entries_to_python(
    c_scoring, monkeypatch
) -> None:
    cable = cable_of("Alpha bravo charlie delta.", "Quoted, passed and quoted again.", "Nothing here.")
    monkeypatch.setattr(signals, "_WORDING", signals._wording_table(load_lexicon(text=TINY)))
    assert _c_and_python(c_scoring, cable) == [(1.25 / 1.75, 1.25 / 1.75), (0.0, 0.0), (0.0, 0.0)]
    # Another lexicon of the same size (the C copies the lexicon: a new one is copied again).
    doubled = {term: (2 * product, sif) for term, (product, sif) in signals._WORDING.items()}
    monkeypatch.setattr(signals, "_WORDING", doubled)
    assert _c_and_python(c_scoring, cable) == [(2.5 / 1.75, 2.5 / 1.75), (0.0, 0.0), (0.0, 0.0)]
    # An entry that is not a pair of integers (floats here) is the Python function's to add up.
    monkeypatch.setattr(signals, "_WORDING", {"alpha": (1.0, 1.0), "bravo": (3.0, 1.0)})
    assert _c_and_python(c_scoring, cable) == [(2.0, 2.0), (0.0, 0.0), (0.0, 0.0)]
    # So is a lexicon that is not a dict.
    monkeypatch.setattr(signals, "_WORDING", types.MappingProxyType({"alpha": (1, 1)}))
    assert _c_and_python(c_scoring, cable) == [(1.0, 1.0), (0.0, 0.0), (0.0, 0.0)]


def _assert_prepared_as_score_cable(cable, settings: PickSettings, df, total) -> None:
    prepared = prepare_scores(cable, settings)
    assert prepared is not None, "wording is computed in C, in the step without the corpus statistics"
    assert "wording" in score._compile(settings).slots
    have = finish_scores(prepared, settings, df, total)
    want = score_cable(cable, settings, df, total)
    assert have == want
    for h, w in zip(have, want, strict=True):
        assert type(h.value) is type(w.value)
        assert list(h.reasons.items()) == list(w.reasons.items())


def test_the_prepared_scores_count_wording_as_score_cable_does(c_scoring) -> None:
    cable = cable_of(
        'Privately, the minister allegedly said the president is "paranoid", reportedly.',
        "The delegation discussed the itinerary and the comprehensive framework.",
        "Zqxwv plorbatz.",
    )
    for weights in (DEFAULT_WEIGHTS, {"wording": 3.0}, {**DEFAULT_WEIGHTS, "wording": -1.5}):
        settings = PickSettings(weights=dict(weights))
        _assert_prepared_as_score_cable(cable, settings, {"minister": 3, "president": 40}, 100)
    with_wording = score_cable(cable, PickSettings(weights={"wording": 3.0}))
    assert [s.reasons.get("wording", 0.0) != 0.0 for s in with_wording] == [True, True, False]


@pytest.mark.corpus
def test_the_prepared_scores_of_the_corpus_count_wording_as_score_cable_does(c_scoring) -> None:
    from tests.picks.test_scoring_speedups import corpus

    cables, df, total = corpus()
    settings = PickSettings()
    assert settings.weights["wording"]
    scored = 0
    for cable in cables[::3]:
        _assert_prepared_as_score_cable(cable, settings, df, total)
        scored += sum("wording" in s.reasons for s in score_cable(cable, settings, df, total))
    assert scored > 3000  # (most paragraphs have terms of the lexicon)
