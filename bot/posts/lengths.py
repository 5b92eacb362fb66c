"""How long a text is, counted each network's own way: one counter per kind of rule.

Every counter implements `bot.posts.rules.TextRules`. The network adapters hand these to the renderer
(`text_rules(account)`), so the renderer never asks which network it is fitting for.

Where a network's own count cannot be reproduced exactly, the counters here err long, never short:
a post measured a little too long is merely cut a little earlier, while one measured too short is
refused by the network.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

import regex

from bot.posts.twitter_urls import RECENT_TLDS, extract_url_spans, url_tld

_GRAPHEME = regex.compile(r"\X")


def grapheme_count(text: str) -> int:
    """User-perceived characters (Unicode extended grapheme clusters, as `Intl.Segmenter` counts them)."""
    return len(_GRAPHEME.findall(text))


def short_url(url: str) -> str:
    """A link as people read it: without the scheme and a leading `www.` (the facet keeps the whole URL)."""
    shown = regex.sub(r"^[a-z][a-z0-9+.-]*://", "", url, flags=regex.IGNORECASE)
    return regex.sub(r"^www\.", "", shown, flags=regex.IGNORECASE)


# --- X -----------------------------------------------------------------------------------------------

# twitter-text v3 (config-v3.json), in hundredths: code points in U+0000-10FF, U+2000-200D,
# U+2010-201F and U+2032-2037 weigh 100, all others (matched here) 200.
_X_HEAVY = regex.compile(r"[^\u0000-\u10ff\u2000-\u200d\u2010-\u201f\u2032-\u2037]")
_X_INVALID = regex.compile("[\ufffe\ufeff\uffff]")
# No emoji sequence is made only of code points below U+203C other than "©", "®" and keycap bases
# (which need U+20E3): texts without these skip the (slow) emoji tokenizer.
_MAYBE_EMOJI = regex.compile("[\u00a9\u00ae\u203c-\U0010ffff]")

# X's emoji table is older than the `emoji` package's: a sequence it does not know is counted code
# point by code point there. twitter-text 3.1.0 (npm, with twemoji-parser 11.0.2) knows the fully
# qualified sequences up to emoji 11.0 except the two below; newer or other sequences are counted
# the long way here too. Measured by counting every sequence of the `emoji` package with both.
X_MAX_EMOJI_VERSION = 11.0
_X_UNKNOWN_SEQUENCES = frozenset({"👁️\u200d🗨️", "♾️"})
# ...and it does know keycaps without their U+FE0F ("1⃣" counts 2 in the conformance file).
_X_BARE_KEYCAPS = frozenset(c + "\u20e3" for c in "#*0123456789")


def _plain_weight(text: str) -> int:
    """Hundredths: 100 per code point, 200 for those outside the light ranges."""
    return 100 * (len(text) + len(_X_HEAVY.findall(text)))


@cache
def _emoji_data() -> Any:
    import emoji  # only counters that parse emoji need the table

    return emoji


@dataclass(frozen=True)
class XRules:
    """twitter-text v3 weighted length: NFC first, every URL (bare domains too) 23, an emoji sequence 2.

    `emoji_parsing=False` is twitter-text's v2 configuration (every code point weighed alone); it exists
    so that both weighted-length groups of the upstream conformance file can be checked.
    """

    limit: int = 280
    url_length: int = 23
    emoji_parsing: bool = True
    facets: bool = False

    def count(self, text: str) -> int:
        normalized = unicodedata.normalize("NFC", text)
        # twitter-text walks the text: a URL starting here counts `url_length`, else an emoji sequence
        # starting here counts 2, else the code point its weight. Entities are taken in that order.
        entities = [
            (start, 0, end, self._url_weight(normalized[start:end]))
            for start, end in extract_url_spans(normalized)
        ]
        if self.emoji_parsing and _MAYBE_EMOJI.search(normalized):
            entities += [(start, 1, end, 200) for start, end in self._emoji_spans(normalized)]
        weight = 0
        position = 0
        for start, _, end, entity_weight in sorted(entities):
            if start < position:  # inside the entity just counted
                continue
            weight += _plain_weight(normalized[position:start]) + entity_weight
            position = end
        weight += _plain_weight(normalized[position:])
        return -(-weight // 100)

    def _url_weight(self, url: str) -> int:
        if url_tld(url) in RECENT_TLDS:  # X may not link it: count the longer of both readings
            return max(self.url_length * 100, _plain_weight(url))
        return self.url_length * 100

    def fits(self, text: str) -> bool:
        normalized = unicodedata.normalize("NFC", text)
        if not normalized or _X_INVALID.search(normalized):
            return False
        return self.count(normalized) <= self.limit

    def display_url(self, url: str) -> str:
        return url  # X shows its own t.co form and counts every link as `url_length` anyway

    @staticmethod
    def _emoji_spans(text: str) -> list[tuple[int, int]]:
        emoji = _emoji_data()
        spans = []
        fully_qualified = emoji.STATUS["fully_qualified"]
        for match in emoji.emoji_list(text):
            found = match["emoji"]
            data = emoji.EMOJI_DATA.get(found, {})
            if len(found) == 1:
                # One code point weighs what its range says: 2, except a bare "©" or "®" (text to X).
                continue
            # X knows the fully-qualified sequences of its emoji version; any other sequence (such as
            # a ZWJ sequence missing its U+FE0F) it counts code point by code point.
            known = data.get("status") == fully_qualified and data.get("E", 99) <= X_MAX_EMOJI_VERSION
            known = known or found in _X_BARE_KEYCAPS
            if known and found not in _X_UNKNOWN_SEQUENCES:
                spans.append((match["match_start"], match["match_end"]))
        return spans


# --- Bluesky -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BlueskyRules:
    """At most 300 graphemes and 3000 UTF-8 bytes; links and tags are facets, links shown short."""

    limit: int = 300
    max_bytes: int = 3000
    facets: bool = True

    def count(self, text: str) -> int:
        return grapheme_count(text)

    def fits(self, text: str) -> bool:
        return bool(text) and len(text.encode("utf-8")) <= self.max_bytes and self.count(text) <= self.limit

    def display_url(self, url: str) -> str:
        return short_url(url)


# --- Mastodon ----------------------------------------------------------------------------------------

# Mastodon.py's own pattern, with the standard library's idea of \w (the `regex` module's differs).
_MASTODON_ACCOUNT = re.compile(r"(^|[^/\w])@(([a-z0-9_]+)@[a-z0-9\.\-]+[a-z0-9]+)", re.IGNORECASE)


# Where Unicode 15.1's rule GB9c may join a consonant to what precedes it across a virama (counted
# even where it does not: one more grapheme is only ever safe).
_INDIC_CONJUNCT_JOIN = regex.compile(
    r"\p{InCB=Linker}[\p{InCB=Extend}\p{InCB=Linker}\u200d]*(?=\p{InCB=Consonant})"
)


@cache
def _mastodon_url_regex() -> Any:
    # Mastodon.py's port of the server's URL pattern; imported late because the package is heavy.
    from mastodon._url_regex import url_regex

    return url_regex


@dataclass(frozen=True)
class MastodonRules:
    """Graphemes, every link counting `url_length` and remote mentions their local part, as
    Mastodon.py's `get_status_length` and the server count them (Indic conjuncts as two graphemes, as
    servers on older Unicode do). `limit` and `url_length` are the instance's `max_characters` and
    `characters_reserved_per_url`."""

    limit: int = 500
    url_length: int = 23
    facets: bool = False

    def count(self, text: str) -> int:
        countable = _mastodon_url_regex().sub(lambda m: m.group(2) + "x" * self.url_length, text)
        countable = _MASTODON_ACCOUNT.sub(r"\1@\3", countable)
        # Servers on Unicode before 15.1 split Indic conjuncts ("क्षि") in two: count them that way.
        return grapheme_count(countable) + len(_INDIC_CONJUNCT_JOIN.findall(countable))

    def fits(self, text: str) -> bool:
        return bool(text.strip()) and self.count(text) <= self.limit

    def display_url(self, url: str) -> str:
        return url


# --- Outbox ------------------------------------------------------------------------------------------

# Outbox posts are read by people checking what the bot would say; a cap keeps them looking like posts
# (about a long Mastodon post) rather than whole paragraphs pasted in.
OUTBOX_LIMIT = 1000


@dataclass(frozen=True)
class PlainRules:
    """A plain cap in graphemes, links shown and counted whole: the local outbox."""

    limit: int = OUTBOX_LIMIT
    facets: bool = False

    def count(self, text: str) -> int:
        return grapheme_count(text)

    def fits(self, text: str) -> bool:
        return bool(text.strip()) and self.count(text) <= self.limit

    def display_url(self, url: str) -> str:
        return url
