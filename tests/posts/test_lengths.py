"""Each network's length, counted its own way: X against twitter-text's own conformance files."""

from __future__ import annotations

from pathlib import Path

import grapheme
import pytest
import regex
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.posts.lengths import BlueskyRules, MastodonRules, PlainRules, XRules, grapheme_count, short_url
from bot.posts.twitter_urls import extract_url_spans, top_level_domains
from tests.support import shared_dir


def _conformance(name: str) -> dict:
    path: Path = shared_dir() / "peers" / "x" / "twitter-text" / name
    return yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]


# The first weighted group is twitter-text's v2 configuration (no emoji parsing), the others v3.
_WEIGHTED_GROUPS = {
    "WeightedTweetsCounterTest": XRules(emoji_parsing=False),
    "WeightedTweetsWithDiscountedEmojiCounterTest": XRules(),
    "UnicodeDirectionalMarkerCounterTest": XRules(),
}


def _cases(file: str, groups: list[str]) -> list:
    try:
        tests = _conformance(file)
    except pytest.skip.Exception:
        return [pytest.param(None, None, marks=pytest.mark.skip(reason="shared folder not found"))]
    return [
        pytest.param(group, case, id=f"{group}:{i}:{case['description'][:60]}")
        for group in groups
        for i, case in enumerate(tests[group])
    ]


@pytest.mark.parametrize(("group", "case"), _cases("validate.yml", list(_WEIGHTED_GROUPS)))
def test_x_weighted_length_matches_twitter_text_conformance(group: str, case: dict) -> None:
    rules = _WEIGHTED_GROUPS[group]
    assert rules.count(case["text"]) == case["expected"]["weightedLength"]
    assert rules.fits(case["text"]) is case["expected"]["valid"]


_URL_GROUPS = ["urls", "urls_with_indices", "urls_with_directional_markers", "tco_urls_with_params"]


@pytest.mark.parametrize(("group", "case"), _cases("extract.yml", _URL_GROUPS))
def test_x_finds_the_urls_twitter_text_finds(group: str, case: dict) -> None:
    spans = extract_url_spans(case["text"])
    found = [case["text"][start:end] for start, end in spans]
    expected = case["expected"]
    if expected and isinstance(expected[0], dict):
        assert [list(s) for s in spans] == [e["indices"] for e in expected]
        expected = [e["url"] for e in expected]
    assert found == expected


def test_the_tld_list_knows_country_codes_without_a_rule_of_their_own() -> None:
    generic, country = top_level_domains()
    assert {"com", "org", "museum"} <= generic
    assert {"za", "uk", "jp", "co", "پاکستان"} <= country


def test_a_paragraph_permalink_counts_as_one_x_url() -> None:
    url = "https://wikileaks.org/cable/2008/10/08ASTANA2079.html#par3"
    assert XRules().count(f"“Quote.” #cablegate #08ASTANA2079 {url}") == 8 + 1 + 10 + 1 + 13 + 1 + 23
    assert XRules().count("see wikileaks.org/cable/x.html") == 4 + 23


def test_an_ellipsis_weighs_two_on_x_and_a_dash_one() -> None:
    assert XRules().count("…") == 2
    assert XRules().count("—") == 1


def test_an_emoji_sequence_newer_than_x_knows_is_counted_the_long_way() -> None:
    black_bird = "🐦\u200d⬛"  # Unicode 15
    assert XRules().count(black_bird) == 2 + 1 + 2
    assert XRules().count("👨\u200d👩\u200d👧\u200d👦") == 2


def test_bluesky_caps_graphemes_and_bytes() -> None:
    rules = BlueskyRules()
    assert rules.fits("a" * 300) and not rules.fits("a" * 301)
    family = "👨\u200d👩\u200d👧\u200d👦"  # one grapheme, 25 bytes
    assert rules.fits(family * 120)  # 3000 bytes exactly
    assert rules.count(family * 121) == 121 and not rules.fits(family * 121)
    assert rules.display_url("https://wikileaks.org/cable/2008/10/08ASTANA2079.html#par3") == (
        "wikileaks.org/cable/2008/10/08ASTANA2079.html#par3"
    )
    assert short_url("https://www.example.org/a") == "example.org/a"


def test_mastodon_counts_urls_as_the_instance_reserves() -> None:
    text = "Read https://wikileaks.org/cable/2008/10/08ASTANA2079.html#par3 now"
    assert MastodonRules().count(text) == 5 + 23 + 4
    assert MastodonRules(limit=1000, url_length=30).count(text) == 5 + 30 + 4
    assert MastodonRules(limit=40).fits(text) and not MastodonRules(limit=31).fits(text)


def test_the_outbox_caps_graphemes() -> None:
    assert PlainRules().limit == 1000
    assert PlainRules().fits("x" * 1000) and not PlainRules().fits("x" * 1001)


_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200) | st.lists(
    st.sampled_from(
        [
            "👨\u200d👩\u200d👧\u200d👦",
            "🇫🇷",
            "e\u0301",
            "क्षि",
            "中文",
            "שלום",
            " ",
            "https://a.com/x",
            "x.org",
            "@a@b.social",
        ]
    ),
    max_size=30,
).map("".join)


@given(_TEXT)
def test_mastodon_counts_as_mastodon_py_does(text: str) -> None:
    from mastodon import Mastodon

    ours, theirs = MastodonRules().count(text), Mastodon.get_status_length(text)
    if regex.search(r"\p{InCB=Linker}", text):
        assert ours >= theirs  # an Indic conjunct counts two, as on servers before Unicode 15.1
    else:
        assert ours == theirs


def test_mastodon_counts_an_indic_conjunct_as_two_graphemes() -> None:
    assert MastodonRules().count("क्षि") == 2
    assert MastodonRules().count("क्ष्म") == 3
    assert MastodonRules().count("e\u0301 \u094dक") == 3  # a virama after a space joins nothing


@given(_TEXT)
def test_bluesky_graphemes_are_extended_grapheme_clusters(text: str) -> None:
    assert grapheme_count(text) == len(regex.findall(r"\X", text))
    # The `grapheme` package (an independent implementation) never finds fewer.
    assert grapheme.length(text) >= grapheme_count(text) or not text
