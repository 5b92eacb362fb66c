"""How a network counts and limits text: the renderer fits posts to these rules without knowing the network.

Each network adapter declares its rules (bot.networks.*); the counters themselves live in
bot.posts.lengths so that there is one counter per kind of rule.
"""

from __future__ import annotations

from typing import Protocol


class TextRules(Protocol):
    limit: int  # in the network's own unit (weighted characters, graphemes, characters)
    facets: bool  # True when links and hashtags must be sent as facets (Bluesky)

    def count(self, text: str) -> int:
        """The length of `text`, counted the network's way."""
        ...

    def fits(self, text: str) -> bool:
        """Every limit the network applies (Bluesky also caps UTF-8 bytes)."""
        ...

    def display_url(self, url: str) -> str:
        """The text shown for a link (a short form where the network keeps the full URL elsewhere)."""
        ...
