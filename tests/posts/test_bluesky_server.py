"""Bluesky's limits, checked against the real server (the reference PDS): it counts graphemes as we do,
and it accepts every post the renderer makes, facets included, byte for byte."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings

from bot.posts.lengths import BlueskyRules
from bot.posts.render import render_thread
from bot.posts.templates import TemplateSet
from tests.peers.pds import running_pds
from tests.posts.test_render import _PARAGRAPHS
from tests.support import REPO_ROOT, make_cable

pytestmark = [pytest.mark.pds, pytest.mark.slow]

HANDLE, PASSWORD = "quoter.test", "quoter-pass-5t7u"
RULES = BlueskyRules()

# Clusters where grapheme segmenters disagree with each other (and with older Unicode versions).
CLUSTERS = {
    "Devanagari conjunct (Unicode 15.1 rule GB9c)": "क्षि",
    "family ZWJ sequence": "👨\u200d👩\u200d👧\u200d👦",
    "flag": "🇰🇿",
    "keycap": "1\ufe0f\u20e3",
    "skin tone": "👍🏽",
    "stacked combining marks": "e\u0301\u0302\u0323",
    "Hangul jamo syllable": "\u1100\u1161\u11a8",
    "CR LF": "\r\n",
    "Thai sara am": "กำ",
    "prepended Arabic number sign": "\u0600\u0661",
    "rainbow flag": "🏳️\u200d🌈",
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[tuple]:
    from atproto import Client

    # One PDS for this module, shared by the xdist workers that run its tests.
    base = tmp_path_factory.getbasetemp()
    state = (base.parent if worker_id != "master" else base) / "posts-pds"
    with running_pds([(HANDLE, PASSWORD)], state) as pds:
        c = Client(base_url=pds.url)
        c.login(HANDLE, PASSWORD, fetch_bsky_profile=False)
        yield c, pds.account(HANDLE).did


def _create(client: tuple, text: str, facets: list | None = None):
    c, did = client
    record = {"$type": "app.bsky.feed.post", "text": text, "createdAt": datetime.now(UTC).isoformat()}
    if facets:
        record["facets"] = facets
    data = {"repo": did, "collection": "app.bsky.feed.post", "record": record}
    return c.com.atproto.repo.create_record(data)


@pytest.mark.parametrize("cluster", list(CLUSTERS.values()), ids=list(CLUSTERS))
def test_the_server_counts_graphemes_as_the_rules_do(client: tuple, cluster: str) -> None:
    from atproto.exceptions import BadRequestError

    size = len(cluster.encode("utf-8"))
    repeat = min(300, (3000 - 300) // max(1, size - 1))
    text = cluster * repeat + "a" * (300 - repeat)
    assert RULES.count(text) == 300 and RULES.fits(text)
    _create(client, text)
    with pytest.raises(BadRequestError) as e:
        _create(client, text + "a")
    assert "grapheme too big (maximum 300, got 301)" in str(e.value.response.content.message)


def test_the_server_refuses_more_than_3000_bytes_as_the_rules_do(client: tuple) -> None:
    from atproto.exceptions import BadRequestError

    text = "👨\u200d👩\u200d👧\u200d👦" * 120  # 120 graphemes of 25 bytes: 3000 bytes
    assert RULES.fits(text) and not RULES.fits(text + "a")
    _create(client, text)
    with pytest.raises(BadRequestError):
        _create(client, text + "a")


def _send_thread(client: tuple, text: str) -> None:
    c, did = client
    cable = make_cable(paragraphs=[text])
    thread = render_thread(
        cable,
        cable.paragraphs[0],
        network="bluesky",
        rules=RULES,
        templates=TemplateSet(REPO_ROOT / "templates"),
    )
    for post in thread.posts:
        facets = [f.to_atproto() for f in post.facets]
        created = _create(client, post.text, facets)
        stored = c.com.atproto.repo.get_record(
            {"repo": did, "collection": "app.bsky.feed.post", "rkey": created.uri.rsplit("/", 1)[-1]}
        )
        assert stored.value.text == post.text
        assert [f.index.byte_start for f in stored.value.facets or []] == [f.byte_start for f in post.facets]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_PARAGRAPHS)
def test_the_server_accepts_every_post_the_renderer_makes(client: tuple, text: str) -> None:
    if any(c.isalnum() for c in text):
        _send_thread(client, text)


def test_the_server_accepts_the_bundled_sample(client: tuple) -> None:
    from bot.sources import read_path

    (cable,) = read_path(REPO_ROOT / "bot" / "samples" / "08ASTANA2079.txt")
    for paragraph in cable.paragraphs:
        if paragraph.citable:
            _send_thread(client, paragraph.text)
