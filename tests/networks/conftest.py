"""Fixtures for the network adapters: the real Bluesky PDS for the session, and threads to publish."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from bot.posts.model import Facet, Post, Thread
from tests.peers.pds import RunningPds, running_pds

PDS_ACCOUNTS = [
    ("alice.test", "alice-pass-7f3k"),
    ("bob.test", "bob-pass-9q2m"),
    ("carol.test", "carol-pass-4x8z"),
    ("dave.test", "dave-pass-2w6n"),  # the worker's crash tests' own: nothing else posts with it
    ("erin.test", "erin-pass-6h3j"),
]
PERMALINK = "https://wikileaks.org/cable/2008/10/08ASTANA2079.html#par3"


@pytest.fixture(scope="session")
def pds(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[RunningPds]:
    """The reference PDS on free loopback ports for the whole run, shared by the xdist workers (each test
    uses threads of its own), stopped with SIGTERM by the last one."""
    base = tmp_path_factory.getbasetemp()
    with running_pds(PDS_ACCOUNTS, base.parent if worker_id != "master" else base) as running:
        yield running


def cited_post(quote: str, *, ref_id: str = "08ASTANA2079", link: str = PERMALINK) -> Post:
    """A post as the renderer makes it for Bluesky: the quote, a short link and both hashtags as facets."""
    shown = link.removeprefix("https://")[:24] + "…"
    tags = ["cablegate", ref_id]
    text = f"{quote} {shown} " + " ".join(f"#{t}" for t in tags)
    encoded = text.encode("utf-8")

    def span(part: str, after: int = 0) -> tuple[int, int]:
        start = encoded.index(part.encode("utf-8"), after)
        return start, start + len(part.encode("utf-8"))

    start, end = span(shown)
    facets = [Facet(start, end, "link", link)]
    for tag in tags:
        s, e = span(f"#{tag}", end)
        facets.append(Facet(s, e, "tag", tag))
    return Post(text=text, length=len(text), limit=300, quote=quote, facets=tuple(facets))


def thread_of(*quotes: str, network: str = "bluesky", paragraph: str | None = None) -> Thread:
    """A thread citing a paragraph; each test gets its own paragraph number unless it asks for one."""
    paragraph = paragraph or f"t{secrets.token_hex(4)}"
    return Thread(
        ref_id="08ASTANA2079",
        paragraph=paragraph,
        network=network,
        permalink=PERMALINK,
        # The paragraph in each text tells this test's posts from the others' on a shared account.
        posts=tuple(cited_post(f"({i}/{len(quotes)}) {q} [{paragraph}]") for i, q in enumerate(quotes, 1)),
    )
