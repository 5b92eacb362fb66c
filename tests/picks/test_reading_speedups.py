"""The compiled reader (bot.picks._reading) reads exactly as the Python read() of bot.picks.signals.

The Python read() is the reference; the C one must give an identical Reading, field by field and type by
type, for every paragraph of the real corpus and for generated text (non-ASCII, quotes, hyphens, empty).
Without the extension these tests skip, saying why; under CABLEBOT_REQUIRE_PEERS=1 or
CABLEBOT_REQUIRE_SPEEDUPS=1 (CI) a missing extension is a failure.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.picks import signals
from bot.sources import parse_document
from tests.support import cables_dir, require_peers

Read = Callable[[str], signals.Reading]


def _required() -> bool:
    return require_peers() or os.environ.get("CABLEBOT_REQUIRE_SPEEDUPS", "") not in ("", "0", "false", "no")


@pytest.fixture(scope="module")
def c_read() -> Read:
    try:
        from bot.picks import _reading
    except ImportError as e:
        reason = (
            f"the compiled reader bot.picks._reading is not built ({e}): `pip install -e .` builds it when "
            "a C compiler and the Python headers are at hand; cablebot reads with the Python read() meanwhile"
        )
        if _required():
            pytest.fail(f"{reason} (CABLEBOT_REQUIRE_SPEEDUPS or CABLEBOT_REQUIRE_PEERS is set: a failure)")
        pytest.skip(reason)
    _reading.bind(vars(signals))  # bound already unless CABLEBOT_PURE_PYTHON=1; binding again is harmless
    return _reading.read


def assert_same(c_read: Read, text: str) -> None:
    expected, got = signals._read_python(text), c_read(text)
    assert type(got) is signals.Reading
    for name, want, have in zip(signals.Reading._fields, expected, got, strict=True):
        assert (have, type(have)) == (want, type(want)), f"{name} differs for {text!r}"
        if name == "counts":
            assert list(have.items()) == list(want.items()), f"counts differ for {text!r}"
        if name == "terms":
            assert all(type(t) is str for t in have)


@cache
def corpus_paragraphs() -> tuple[str, ...]:
    pages = sorted((cables_dir() / "html").glob("*.html"))
    return tuple(
        p.text
        for page in pages
        for p in parse_document(page.read_text(encoding="utf-8"), where=str(page)).paragraphs
    )


@pytest.mark.corpus
def test_every_paragraph_of_the_corpus_reads_the_same(c_read: Read) -> None:
    texts = corpus_paragraphs()
    assert len(texts) > 10_000
    for text in texts:
        assert_same(c_read, text)


@pytest.mark.corpus
def test_a_whole_cable_as_one_text_reads_the_same(c_read: Read) -> None:
    texts = corpus_paragraphs()
    assert_same(c_read, "\n\n".join(texts[:200]))  # far longer than any paragraph: the C's heap buffers


def test_the_module_uses_the_compiled_reader_unless_told_not_to(c_read: Read) -> None:
    if os.environ.get("CABLEBOT_PURE_PYTHON") == "1":
        assert signals.read is signals._read_python
    else:
        assert signals.read is c_read


def test_new_words_are_learnt_by_the_python_tables(c_read: Read) -> None:
    word = "zorblattquixotic"
    assert word not in signals._known
    reading = c_read(f"The {word.title()} frankly lied, the Ambassador said.")
    assert word in signals._known and word in signals._terms and word in reading.terms


def test_it_reads_the_same_after_the_tables_are_emptied(c_read: Read) -> None:
    text = "The Ambassador frankly said the corrupt minister paid 3,000 dollars (see para 4)."
    before = c_read(text)
    for table in (signals._memo, signals._names, signals._known, signals._listed, signals._terms):
        table.clear()
    signals._numerals.clear()
    assert c_read(text) == before == signals._read_python(text)
    assert "frankly" in signals._known


# Words that the word lists, phrases, titles, units and tests of read() care about, and characters that
# tell apart ASCII from Unicode handling: curly quotes, the Kelvin sign and dotted capital I (which
# text.lower() turns into ASCII), Arabic-Indic digits (\d), a no-break space and \x1c (\s), a euro sign.
LISTED = sorted(
    {w for words, _stems in signals._WORDS.values() for w in words}
    | {s + "ed" for _words, stems in signals._WORDS.values() for s in stems}
    | {w for pair in signals._PAIRS for w in pair}
    | {t for t in signals.TITLES.split()}
    | {"para", "paras", "paragraph", "also", "A/S", "U/S", "1999", "2009", "12,500", "3.5", "007", "1234"}
)
PIECES = st.one_of(
    st.sampled_from(LISTED),
    st.sampled_from(LISTED).map(str.upper),
    st.sampled_from(LISTED).map(str.title),
    st.sampled_from(
        [
            " ",
            "  ",
            ". ",
            "? ",
            "! ",
            ", ",
            "-",
            "--",
            '"',
            "“",
            "”",
            "‘",
            "’",
            "'",
            "&",
            "8",
            "$",
            "%",
            "€",
            "£",
            "\n",
            "\u212a",
            "İ",
            "٣",
            "\xa0",
            "\x1c",
            "é",
            "(",
            ")",
            "/",
            "_",
            "5",
            "10 ",
            "\U0001f600",
        ]
    ),
    st.text(max_size=6),
    st.from_regex(r"[A-Za-z0-9\-]{1,8}", fullmatch=True),
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PIECES, max_size=60).map("".join))
@example("")
@example(" ")
@example("-")
@example("--a- -b")
@example("ALL CAPITALS TELEGRAM, THE AMBASSADOR SAID.")
@example('The Ambassador said: "we urged them". We urged.')
@example("“The Ambassador said” the DCM stressed “unclosed")
@example('the Ambassador "a b c stressed')
@example("5 \u212ailos and 3 \u212aILOS, ٣ million, 4\xa0people, 7\x1cdead")
@example("Paid 5,000,000.5 dollars_ and 5 dollars2 and 5 kilometres and 6 kilos.")
@example("SEE PARA 3 and paragraphs 2-4; paras. 5")
def test_generated_text_reads_the_same(c_read: Read, text: str) -> None:
    assert_same(c_read, text)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_unicode_text_reads_the_same(c_read: Read, text: str) -> None:
    assert_same(c_read, text)


# --- The core of distinctiveness ------------------------------------------------------------------


@pytest.fixture(scope="module")
def c_rarest(c_read: Read) -> Callable[..., list[int]]:
    from bot.picks import _reading

    return _reading.rarest


def assert_same_rarest(c_rarest: Callable[..., list[int]], terms, df, k: int = 10) -> None:
    want, got = signals._rarest_python(terms, df, k), c_rarest(terms, df, k)
    assert got == want and [type(v) for v in got] == [type(v) for v in want]


@pytest.mark.corpus
def test_the_rarest_terms_of_every_corpus_paragraph_are_the_same(c_rarest) -> None:
    readings = [signals._read_python(text) for text in corpus_paragraphs()]
    df: dict[str, int] = {}
    for r in readings:
        for t in r.terms:
            df[t] = df.get(t, 0) + 1
    for i, t in enumerate(sorted(df)):  # some terms the statistics lack: they count as 0
        if i % 7 == 0:
            del df[t]
    for r in readings:
        assert_same_rarest(c_rarest, r.terms, df)
        assert_same_rarest(c_rarest, r.terms, df, 3)


@settings(max_examples=500, deadline=None)
@given(
    st.frozensets(st.text(max_size=4), max_size=40),
    st.dictionaries(
        st.text(max_size=4),
        st.integers(-5, 50) | st.integers(min_value=-(2**70), max_value=2**70),
        max_size=40,
    ),
    st.integers(0, 64),
)
def test_the_rarest_of_any_terms_are_the_same(c_rarest, terms, df, k) -> None:
    assert_same_rarest(c_rarest, terms, df, k)
    assert_same_rarest(c_rarest, set(terms), Counter(df), k)  # not a plain dict: the Python answers
    assert_same_rarest(c_rarest, terms, {t: True for t in df}, k)  # not plain ints: the Python answers


def test_distinctiveness_uses_the_compiled_core_unless_told_not_to(c_rarest) -> None:
    if os.environ.get("CABLEBOT_PURE_PYTHON") == "1":
        assert signals._rarest is signals._rarest_python
    else:
        assert signals._rarest is c_rarest


# --- A fact about Unicode that the C relies on ----------------------------------------------------


@pytest.mark.slow
def test_str_lower_changes_only_upper_and_title_case_characters() -> None:
    """The C reads the words of text.lower() from the text itself unless the text has a non-ASCII upper
    or title case character: so no other character may change under str.lower() in this Python."""
    changed = [c for c in map(chr, range(128, 0x110000)) if c.lower() != c]
    assert changed and all(c.isupper() or c.istitle() for c in changed)


@pytest.mark.corpus
def test_threads_reading_at_once_read_the_same(c_read: Read) -> None:
    """A thread may take over while another is learning words (signals._learn is Python): the C's cache
    is then busy and the second thread reads with the Python read(). Either way, the same Readings."""
    texts = corpus_paragraphs()[:3000]
    expected = [signals._read_python(text) for text in texts]
    for table in (signals._memo, signals._names, signals._known, signals._listed, signals._terms):
        table.clear()  # every word to learn again: many switches during _learn
    signals._numerals.clear()
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda i: c_read(texts[i]), range(len(texts))))
    finally:
        sys.setswitchinterval(previous)
    assert results == expected


def test_a_build_that_reads_otherwise_is_ignored_with_a_warning(monkeypatch) -> None:
    # A build left from another version (a checkout updated without `pip install -e .` again) whose
    # API constant is still the expected one, but whose read() no longer gives this version's Reading:
    # here, one built before Reading had its last field. It must not be used.
    import types

    stale = types.ModuleType("bot.picks._reading")
    stale.__file__ = "stale/_reading.so"
    stale.API = signals._SPEEDUPS_API
    stale.bind = lambda space: None
    stale.read = lambda text: tuple.__new__(signals.Reading, tuple(signals._read_python(text))[:-1])
    stale.rarest = signals._rarest_python
    import bot.picks

    monkeypatch.setitem(sys.modules, "bot.picks._reading", stale)
    monkeypatch.setattr(bot.picks, "_reading", stale, raising=False)
    monkeypatch.delenv("CABLEBOT_PURE_PYTHON", raising=False)
    with pytest.warns(RuntimeWarning, match="another version"):
        assert signals._compiled() is None


class _OddLower(str):
    """A str whose lower() is not str.lower(): the C must not take what it returns for a str."""

    lowered: object

    def __new__(cls, value: str, lowered: object) -> _OddLower:
        made = super().__new__(cls, value)
        made.lowered = lowered
        return made

    def lower(self):  # type: ignore[override]
        return self.lowered


@pytest.mark.parametrize("lowered", [5, None, b"x" * 100_000, object(), "the ambassador said"])
def test_a_str_subclass_reads_as_the_python_reads_it(c_read: Read, lowered: object) -> None:
    # Quoted, with a non-ASCII capital, a US subject and verb, and a unit: every path that lowers.
    text = _OddLower('The Ambassador said "we will" in İstanbul, 5 million people.', lowered)
    try:
        expected = signals._read_python(text)
    except Exception as e:
        with pytest.raises(type(e)):
            c_read(text)
    else:
        assert c_read(text) == expected
