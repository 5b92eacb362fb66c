"""Rendering a paragraph into posts: every post within its network's limits, the citation never cut,
the quote always the paragraph's own words in order."""

from __future__ import annotations

import dataclasses

import grapheme
import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import parse_config
from bot.errors import ConfigError, RenderError
from bot.model import Cable, Paragraph
from bot.posts.lengths import BlueskyRules, MastodonRules, PlainRules, XRules
from bot.posts.model import Thread
from bot.posts.render import ELLIPSIS, min_quote_share, quotable_text, render_thread
from bot.posts.templates import TemplateSet
from tests.support import REPO_ROOT, cables_dir, make_cable

TEMPLATES = TemplateSet(REPO_ROOT / "templates")
NETWORKS = {
    "x": XRules(),
    "bluesky": BlueskyRules(),
    "mastodon": MastodonRules(),
    "outbox": PlainRules(),
}
SENTENCE = "The minister said the new pipeline would be finished by spring, whatever Moscow thinks."


def render(cable: Cable, paragraph: Paragraph, network: str, **kw) -> Thread:
    rules = NETWORKS[network]
    return render_thread(cable, paragraph, network=network, rules=rules, templates=TEMPLATES, **kw)


def independent_grapheme_count(text: str) -> int:
    """Graphemes as another library counts them (graphemeu, imported as `grapheme`), when it knows the
    Unicode 15.1 conjunct rule the Bluesky server applies; else the `regex` module's count."""
    version = tuple(int(x) for x in getattr(grapheme, "UNICODE_VERSION", "0").split(".")[:2])
    if version >= (15, 1):
        return grapheme.length(text)
    return len(regex.findall(r"\X", text))


def _squeezed(text: str) -> str:
    return regex.sub(r"\s+", "", text.replace(ELLIPSIS, ""))


def assert_well_formed(thread: Thread, cable: Cable, paragraph: Paragraph, network: str) -> None:
    """What every thread on every network must be."""
    rules = NETWORKS[network]
    everything = "\n".join(p.text for p in thread.posts)
    assert "#cablegate" in everything and f"#{cable.ref_id}" in everything
    assert rules.display_url(paragraph.url) in everything
    assert thread.permalink == paragraph.url
    for post in thread.posts:
        assert rules.fits(post.text), post.text
        assert post.length == rules.count(post.text) <= post.limit == rules.limit
        assert post.quote in post.text
        if isinstance(rules, BlueskyRules):  # counted again, independently of the rules
            assert independent_grapheme_count(post.text) <= 300
            assert len(post.text.encode("utf-8")) <= 3000
        shown = post.text.encode("utf-8")
        for facet in post.facets:
            piece = shown[facet.byte_start : facet.byte_end].decode("utf-8")
            if facet.kind == "tag":
                assert piece == "#" + facet.value
            else:
                assert facet.value == paragraph.url and piece == rules.display_url(paragraph.url)
    if rules.facets:
        kinds = {(f.kind, f.value) for p in thread.posts for f in p.facets}
        assert {("tag", "cablegate"), ("tag", cable.ref_id), ("link", paragraph.url)} <= kinds
    # The quotes are the paragraph's own words, in order: together they are the paragraph (a thread)
    # or its beginning (one post).
    source = _squeezed(quotable_text(paragraph.text))
    joined = _squeezed("".join(p.quote for p in thread.posts))
    if len(thread.posts) > 1:
        assert joined == source
        assert [f"{i}/{len(thread.posts)}" in p.text for i, p in enumerate(thread.posts, 1)]
    else:
        assert source.startswith(joined) and joined


def test_a_short_paragraph_is_one_post_quoted_whole() -> None:
    cable = make_cable(paragraphs=[SENTENCE])
    for network in NETWORKS:
        thread = render(cable, cable.paragraphs[0], network)
        assert len(thread.posts) == 1
        assert thread.posts[0].quote == SENTENCE
        assert_well_formed(thread, cable, cable.paragraphs[0], network)


def test_a_long_paragraph_is_cut_at_a_sentence_boundary_with_an_ellipsis() -> None:
    cable = make_cable(paragraphs=[" ".join([SENTENCE] * 8)])
    thread = render(cable, cable.paragraphs[0], "x", min_quote_share=0)
    (post,) = thread.posts
    assert post.quote.endswith("thinks. " + ELLIPSIS)
    assert_well_formed(thread, cable, cable.paragraphs[0], "x")


def test_a_single_post_cut_between_words_when_no_sentence_ends_in_reach() -> None:
    cable = make_cable(paragraphs=[" ".join(["word"] * 200) + "."])
    (post,) = render(cable, cable.paragraphs[0], "mastodon", min_quote_share=0).posts
    assert post.quote.endswith("word" + ELLIPSIS)
    assert post.length <= 500


def test_a_paragraph_that_would_lose_too_much_becomes_a_numbered_thread() -> None:
    cable = make_cable(paragraphs=[" ".join([SENTENCE] * 8)])
    thread = render(cable, cable.paragraphs[0], "x")
    assert len(thread.posts) >= 3
    for i, post in enumerate(thread.posts, 1):
        assert post.text.startswith(f"{i}/{len(thread.posts)} ")
        assert post.quote.endswith(".")  # split at sentence boundaries
    assert "#cablegate" in thread.posts[0].text and "#cablegate" not in thread.posts[1].text
    assert_well_formed(thread, cable, cable.paragraphs[0], "x")


def test_a_word_longer_than_a_post_is_split_between_graphemes() -> None:
    cable = make_cable(paragraphs=["Start " + "👨\u200d👩\u200d👧\u200d👦é" * 600 + " end."])
    for network in NETWORKS:
        thread = render(cable, cable.paragraphs[0], network)
        assert len(thread.posts) > 1
        assert_well_formed(thread, cable, cable.paragraphs[0], network)


def test_the_ellipsis_counts_two_on_x() -> None:
    # A quote cut so that the post is exactly full counts the ellipsis as 2, never 1.
    cable = make_cable(paragraphs=[" ".join(["ab"] * 400)])
    (post,) = render(cable, cable.paragraphs[0], "x", min_quote_share=0).posts
    assert post.length == XRules().count(post.text) <= 280
    assert XRules().count(post.text) - XRules().count(post.text.replace(ELLIPSIS, "")) == 2


def test_a_paragraph_without_an_anchor_cannot_be_cited() -> None:
    cable = make_cable(paragraphs=[SENTENCE], anchored=False)
    with pytest.raises(RenderError, match="paragraph 1 for x: the paragraph has no anchor"):
        render(cable, cable.paragraphs[0], "x")


def test_a_paragraph_without_words_is_an_error() -> None:
    cable = make_cable(paragraphs=[" \n\t … "])
    with pytest.raises(RenderError, match=r"cable 08ASTANA2079 paragraph 1 for bluesky: .* no text to quote"):
        render(cable, cable.paragraphs[0], "bluesky")


def test_min_quote_share_comes_from_the_config() -> None:
    assert min_quote_share(parse_config({})) == 0.6
    assert min_quote_share(parse_config({"posts": {"min_quote_share": 0.25}})) == 0.25
    with pytest.raises(ConfigError, match=r"\[posts\] min_quote_share must be a number from 0 to 1"):
        min_quote_share(parse_config({"posts": {"min_quote_share": "most"}}))


# --- properties over arbitrary text ------------------------------------------------------------------

_WORDS = st.one_of(
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Zs", "Cc")), min_size=1, max_size=12
    ),
    st.sampled_from(
        [
            "👨\u200d👩\u200d👧\u200d👦",
            "🏳️\u200d🌈",
            "👍🏽",
            "🇰🇿",
            "1\ufe0f\u20e3",  # emoji and ZWJ sequences
            "e\u0301\u0302",
            "Z\u0351\u0352\u0353",  # combining marks
            "哈萨克斯坦",
            "外交部",
            "דיפלומט",
            "السفارة",
            "\u200fمرحبا\u200e",  # CJK, right-to-left
            "https://example.com/a?b=c",
            "wikileaks.org/cable/x.html",
            "t.co",
            "#cablegate",
            "@a@b.social",
            "x" * 400,
            "ab" * 200,  # very long words
            "U.S.",
            "MR.",
            "said.",
            "end!",
            "(C)",
            "…",
        ]
    ),
)
_PARAGRAPHS = st.lists(
    st.tuples(_WORDS, st.sampled_from([" ", "  ", "\n", "\t ", " \u3000 ", "\u00a0"])),
    min_size=1,
    max_size=120,
).map(lambda parts: "".join(w + s for w, s in parts))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_PARAGRAPHS, network=st.sampled_from(sorted(NETWORKS)), share=st.sampled_from([0.0, 0.6, 1.0]))
def test_every_post_fits_cites_and_quotes_the_paragraph(text: str, network: str, share: float) -> None:
    cable = make_cable(paragraphs=[text])
    paragraph = cable.paragraphs[0]
    if not any(c.isalnum() for c in quotable_text(text)):
        with pytest.raises(RenderError):
            render(cable, paragraph, network, min_quote_share=share)
        return
    thread = render(cable, paragraph, network, min_quote_share=share)
    assert_well_formed(thread, cable, paragraph, network)


@settings(max_examples=40, deadline=None)
@given(text=_PARAGRAPHS, limit=st.integers(min_value=150, max_value=600))
def test_a_mastodon_instance_limit_is_respected(text: str, limit: int) -> None:
    rules = MastodonRules(limit=limit, url_length=23)
    cable = make_cable(paragraphs=[text + " Final words."])
    thread = render_thread(cable, cable.paragraphs[0], network="mastodon", rules=rules, templates=TEMPLATES)
    assert all(rules.count(p.text) <= limit for p in thread.posts)


# --- real paragraphs ---------------------------------------------------------------------------------


@pytest.mark.corpus
@pytest.mark.slow
def test_every_citable_paragraph_of_real_cables_renders_on_every_network() -> None:
    from bot.sources import read_path

    # Every text export, and a spread of the HTML pages (one in forty, sorted by name).
    inputs = [cables_dir() / "text", *sorted((cables_dir() / "html").rglob("*.html"))[::40]]
    items = [item for path in inputs for item in read_path(path)]
    rendered = 0
    for item in items:
        if isinstance(item, Exception):
            continue
        for paragraph in item.paragraphs:
            if not paragraph.citable or not any(c.isalnum() for c in paragraph.text):
                continue
            for network in NETWORKS:
                thread = render(item, paragraph, network)
                assert_well_formed(thread, item, paragraph, network)
                rendered += 1
    assert rendered > 500


def test_the_bundled_sample_renders(tmp_path) -> None:
    from bot.sources import read_path

    (cable,) = [c for c in read_path(REPO_ROOT / "bot" / "samples" / "08ASTANA2079.txt")]
    assert not isinstance(cable, Exception)
    paragraph = cable.paragraph("3")
    assert paragraph is not None and paragraph.url.endswith("08ASTANA2079.html#par3")
    for network in NETWORKS:
        thread = render(cable, paragraph, network)
        assert_well_formed(thread, cable, paragraph, network)
    bluesky = render(cable, paragraph, "bluesky")
    assert "wikileaks.org/cable/2008/10/08ASTANA2079.html#par3" in bluesky.posts[0].text
    assert dataclasses.replace(bluesky.posts[0]).facets[-1].value == paragraph.url
