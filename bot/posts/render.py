"""One paragraph into the posts one network will accept: the quote fitted, the citation never cut.

Every thread carries `#cablegate`, `#<REFID>` and the permalink of the exact paragraph. Only the quote is
ever shortened: at a sentence boundary where that keeps enough of it, else at a word boundary, the cut
marked with an ellipsis. When a single post would keep less than `min_quote_share` of the paragraph,
the paragraph becomes a thread, split at sentence boundaries (words, then graphemes, when one sentence
or one word is too long for a post), numbered 1/N, 2/N... Lengths are measured on the rendered text
with the network's own rules, so what is measured is exactly what is sent.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import regex

from bot.errors import ConfigError, RenderError, TemplateError
from bot.model import Cable, Paragraph
from bot.posts.model import Facet, Post, Thread
from bot.posts.rules import TextRules

if TYPE_CHECKING:
    from bot.config import Config
    from bot.posts.templates import NetworkTemplate, TemplateSet

ELLIPSIS = "…"
CABLEGATE_TAG = "cablegate"
# A single post must keep at least this share of the paragraph's characters, or it becomes a thread.
DEFAULT_MIN_QUOTE_SHARE = 0.6
# In a thread, a part ends at a sentence boundary unless that keeps less than this share of what a
# cut between words would keep (a short first sentence would otherwise fill a whole post alone).
_SENTENCE_CUT_MIN_SHARE = 0.5

# Titles and initials whose full stop does not end a sentence ("MR. SMITH", "U.S. POLICY").
_NOT_SENTENCE_ENDS = regex.compile(
    r"(?:\b(?:MR|MRS|MS|DR|ST|NO|GEN|COL|LT|SEN|REP|AMB|AMBASSADOR|GOV|PROF|VS|ETC|I\.E|E\.G)\.|\b\p{L}\.)\Z",
    regex.IGNORECASE,
)
_SENTENCE_END = regex.compile(r"[.!?…][\"'”’)\]]*\Z")
_NONCHARACTERS = regex.compile(r"[\ufeff\ufffe\uffff\p{Cs}]")
_BLANK = regex.compile(r"[\s\p{Cc}]+")
_GRAPHEME = regex.compile(r"\X")


def min_quote_share(config: Config) -> float:
    """`[posts] min_quote_share` (0 to 1) from the editors' config, else DEFAULT_MIN_QUOTE_SHARE."""
    value = config.section("posts").get("min_quote_share", DEFAULT_MIN_QUOTE_SHARE)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ConfigError(
            f"{config.where()}: [posts] min_quote_share must be a number from 0 to 1 (for example 0.6), "
            f"not {value!r}"
        )
    return float(value)


def quotable_text(text: str) -> str:
    """The paragraph's words as they are quoted: NFC, blank runs made one space, noncharacters dropped."""
    text = _NONCHARACTERS.sub("", unicodedata.normalize("NFC", text))
    return _BLANK.sub(" ", text).strip()


def hashtags(cable: Cable) -> tuple[str, str]:
    return f"#{CABLEGATE_TAG}", f"#{cable.ref_id}"


def render_thread(
    cable: Cable,
    paragraph: Paragraph,
    *,
    network: str,
    rules: TextRules,
    templates: TemplateSet,
    min_quote_share: float = DEFAULT_MIN_QUOTE_SHARE,
) -> Thread:
    """The posts that cite `paragraph` of `cable` on `network`, each within `rules`."""
    where = f"cable {cable.ref_id} paragraph {paragraph.number} for {network}"
    if paragraph.url is None:
        raise RenderError(
            f"{where}: the paragraph has no anchor of its own on the original site, so it cannot be "
            "cited exactly; pick another paragraph"
        )
    text = quotable_text(paragraph.text)
    if not any(c.isalnum() for c in text):
        raise RenderError(f"{where}: the paragraph has no text to quote")
    try:
        template = templates.get(network)
    except TemplateError as e:
        raise TemplateError(f"{where}: {e}") from None
    fitter = _Fitter(cable, paragraph, network, rules, template, where)
    fitter.check_template()
    quotes = fitter.single(text, min_quote_share) or fitter.thread(text)
    texts = [fitter.render(q, i, len(quotes)) for i, q in enumerate(quotes, start=1)]
    fitter.check_citation(texts)
    posts = tuple(
        Post(
            text=t,
            length=rules.count(t),
            limit=rules.limit,
            quote=q,
            facets=_facets(t, cable, paragraph.url, rules) if rules.facets else (),
        )
        for t, q in zip(texts, quotes, strict=True)
    )
    for post in posts:
        if not rules.fits(post.text):  # the fitting below only keeps texts that fit: a broken invariant
            raise RenderError(
                f"{where}: a post does not fit ({post.length} of {post.limit}); please report this"
            )
    return Thread(
        ref_id=cable.ref_id, paragraph=paragraph.number, network=network, permalink=paragraph.url, posts=posts
    )


class _Fitter:
    def __init__(
        self,
        cable: Cable,
        paragraph: Paragraph,
        network: str,
        rules: TextRules,
        template: NetworkTemplate,
        where: str,
    ) -> None:
        self.cable = cable
        self.paragraph = paragraph
        self.network = network
        self.rules = rules
        self.template = template
        self.where = f"{where} (template {template.path})"
        assert paragraph.url is not None
        self.permalink = rules.display_url(paragraph.url)
        self.tags = hashtags(cable)

    def render(self, quote: str, part: int, parts: int) -> str:
        try:
            return self._render(quote, part, parts)
        except TemplateError as e:
            raise TemplateError(
                f"cable {self.cable.ref_id} paragraph {self.paragraph.number} for {self.network}: {e}"
            ) from None

    def _render(self, quote: str, part: int, parts: int) -> str:
        return self.template.render(
            cable=self.cable,
            paragraph=self.paragraph,
            permalink=self.permalink,
            hashtags=" ".join(self.tags),
            quote=quote,
            part=part,
            parts=parts,
            is_first=part == 1,
            is_last=part == parts,
            network=self.network,
        )

    def fits(self, quote: str, part: int, parts: int) -> bool:
        return self.rules.fits(self.render(quote, part, parts))

    def check_template(self) -> None:
        for part, parts in ((1, 1), (2, 2)):
            bare = self.render("", part, parts)
            if not bare:
                raise TemplateError(f"{self.where}: the template renders nothing")
            if not self.rules.fits(bare + ELLIPSIS):
                raise RenderError(
                    f"{self.where}: the template is too long for {self.network} even with no quote "
                    f"({self.rules.count(bare)} of {self.rules.limit}); shorten it"
                )

    def check_citation(self, texts: Sequence[str]) -> None:
        everything = "\n".join(texts)
        missing = [x for x in (*self.tags, self.permalink) if x not in everything]
        if missing:
            raise TemplateError(
                f"{self.where}: the posts do not show {', '.join(missing)}; every thread must carry "
                "{{ hashtags }} and {{ permalink }} (by default in its first post)"
            )

    def single(self, text: str, min_share: float) -> list[str] | None:
        """The one-post quote, or None when one post would keep too little of the paragraph."""
        if self.fits(text, 1, 1):
            return [text]
        cuts = _word_cuts(text)
        best = _longest(cuts, lambda e: self.fits(text[:e] + ELLIPSIS, 1, 1))
        if best is None or best / len(text) < min_share:
            return None
        reach = cuts[bisect_left(cuts, min_share * len(text)) : bisect_right(cuts, best)]
        sentence = _longest(
            [e for e in reach if _ends_sentence(text, e)],
            lambda e: self.fits(text[:e] + " " + ELLIPSIS, 1, 1),
        )
        if sentence is not None:
            return [text[:sentence] + " " + ELLIPSIS]
        return [text[:best] + ELLIPSIS]

    def thread(self, text: str) -> list[str]:
        # The numbering takes room ("1/9" is shorter than "1/10"): pack, renumber, and pack again
        # until the count of parts is stable. More parts never make a part fit better.
        parts = 2
        for _ in range(8):
            quotes = self._pack(text, parts)
            if len(quotes) <= parts:
                return quotes
            parts = len(quotes)
        raise RenderError(
            f"{self.where}: the thread does not settle on a number of posts; please report this"
        )

    def _pack(self, text: str, parts: int) -> list[str]:
        quotes: list[str] = []
        start, lead = 0, ""
        spaces = _word_cuts(text)
        while start < len(text):
            part = len(quotes) + 1
            cuts = spaces[bisect_right(spaces, start) :]
            end, nxt, trail = self._next_cut(text, cuts, start, lead, part, parts)
            quotes.append(lead + text[start:end] + trail)
            lead = ELLIPSIS if trail else ""
            start = nxt
        return quotes

    def _next_cut(
        self, text: str, cuts: Sequence[int], start: int, lead: str, part: int, parts: int
    ) -> tuple[int, int, str]:
        """(end of this part's quote, start of the next, the ellipsis marking a cut inside a sentence).
        `cuts` are the word boundaries after `start`."""

        def fits(end: int, trail: str) -> bool:
            return self.fits(lead + text[start:end] + trail, part, parts)

        if fits(len(text), ""):
            return len(text), len(text), ""
        word = _longest(cuts, lambda e: fits(e, ELLIPSIS))
        if word is not None:
            # A sentence boundary, unless it would leave the post less than half as full as a word cut.
            # Without the ellipsis a sentence may end one word further than the word cut, not more.
            enough = start + (word - start) * _SENTENCE_CUT_MIN_SHARE
            reach = cuts[bisect_left(cuts, enough) : bisect_right(cuts, word) + 1]
            sentence = _longest([e for e in reach if _ends_sentence(text, e)], lambda e: fits(e, ""))
            if sentence is not None:
                return sentence, sentence + 1, ""
            return word, word + 1, ELLIPSIS
        # One word longer than a post: cut it between graphemes.
        word_end = text.find(" ", start)
        word_end = len(text) if word_end < 0 else word_end
        marks = [start + m.end() for m in _GRAPHEME.finditer(text[start:word_end])][:-1]
        inside = _longest(marks, lambda e: fits(e, ELLIPSIS))
        if inside is None:
            raise RenderError(
                f"{self.where}: the template leaves no room for even one character of the quote; shorten it"
            )
        return inside, inside, ELLIPSIS


def _word_cuts(text: str) -> list[int]:
    """Where a quote may end: before each space (the space itself is dropped)."""
    return [m.start() for m in regex.finditer(" ", text) if m.start() > 0]


def _ends_sentence(text: str, end: int) -> bool:
    head = text[max(0, end - 40) : end]
    return bool(_SENTENCE_END.search(head)) and not _NOT_SENTENCE_ENDS.search(head)


def _longest(candidates: Sequence[int], fits: Callable[[int], bool]) -> int | None:
    """The largest candidate that fits. Fitting is almost monotonic (a URL completed by a longer cut can
    count shorter), so a binary search finds the frontier and the answer is checked before it is kept."""
    lo, hi = 0, len(candidates)
    while lo < hi:
        mid = (lo + hi) // 2
        if fits(candidates[mid]):
            lo = mid + 1
        else:
            hi = mid
    for i in range(lo - 1, -1, -1):
        if fits(candidates[i]):
            return candidates[i]
    return None


def _facets(text: str, cable: Cable, permalink: str, rules: TextRules) -> tuple[Facet, ...]:
    """The link and the two hashtags as facets, in UTF-8 byte offsets of exactly their shown text."""

    def byte_span(start: int, end: int) -> tuple[int, int]:
        offset = len(text[:start].encode("utf-8"))
        return offset, offset + len(text[start:end].encode("utf-8"))

    shown = rules.display_url(permalink)
    links = []
    for m in regex.finditer(regex.escape(shown), text):
        if not _inside_word(text, m.start(), m.end()):
            links.append(Facet(*byte_span(m.start(), m.end()), kind="link", value=permalink))
    tags = []
    for tag in hashtags(cable):
        for m in regex.finditer(rf"(?<![\w#]){regex.escape(tag)}(?!\w)", text):
            s, e = byte_span(m.start(), m.end())
            if not any(link.byte_start < e and s < link.byte_end for link in links):
                tags.append(Facet(s, e, kind="tag", value=tag[1:]))
    return tuple(sorted(links + tags, key=lambda f: f.byte_start))


def _inside_word(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return before.isalnum() or before in "/." or after.isalnum()
