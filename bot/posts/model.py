"""What the renderer hands to a network: a thread of posts, each exactly as it will be sent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True, slots=True)
class Facet:
    """A clickable span of a post's text, in UTF-8 byte offsets (the AT Protocol's own convention)."""

    byte_start: int
    byte_end: int
    kind: Literal["link", "tag"]
    value: str  # the full URI for a link; the tag without "#" for a tag

    def to_atproto(self) -> dict[str, Any]:
        feature: dict[str, Any]
        if self.kind == "link":
            feature = {"$type": "app.bsky.richtext.facet#link", "uri": self.value}
        else:
            feature = {"$type": "app.bsky.richtext.facet#tag", "tag": self.value}
        return {"index": {"byteStart": self.byte_start, "byteEnd": self.byte_end}, "features": [feature]}


@dataclass(frozen=True, slots=True)
class Post:
    text: str
    length: int  # counted the network's way
    limit: int
    quote: str  # the excerpt of the paragraph this post carries, as shown: its own words, "…" where cut
    facets: tuple[Facet, ...] = ()


@dataclass(frozen=True, slots=True)
class Thread:
    """One paragraph rendered for one network: one post, or several when one is not enough."""

    ref_id: str
    paragraph: str
    network: str
    permalink: str
    posts: tuple[Post, ...]
