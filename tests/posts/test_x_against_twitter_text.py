"""X's count against X's own library: twitter-text (the npm package, run with Node) on arbitrary text.

Our counter may count longer than twitter-text (emoji newer than its table, TLDs newer than its list),
never shorter: a post measured short would be refused by X.

Needs Node and twitter-text 3.1.0 installed in CABLEBOT_TWITTER_TEXT (default
~/.cache/cablebot/twitter-text): `npm install --prefix ~/.cache/cablebot/twitter-text twitter-text@3.1.0`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import emoji
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.posts.lengths import XRules
from bot.posts.twitter_urls import RECENT_TLDS
from tests.posts.test_render import _PARAGRAPHS
from tests.support import unavailable

HOME = Path(os.environ.get("CABLEBOT_TWITTER_TEXT") or Path.home() / ".cache" / "cablebot" / "twitter-text")
SCRIPT = """
const tt = require(process.argv[1]);
const texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));
console.log(JSON.stringify(texts.map(t => tt.parseTweet(t).weightedLength)));
"""


def twitter_text_lengths(texts: list[str]) -> list[int]:
    node = shutil.which("node")
    module = HOME / "node_modules" / "twitter-text"
    if not node or not module.is_dir():
        unavailable(f"Node or twitter-text is not installed (looked in {module}); see this file's docstring")
    done = subprocess.run(
        [node, "-e", SCRIPT, str(module)], input=json.dumps(texts), capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_every_emoji_is_counted_at_least_as_x_counts_it() -> None:
    texts = list(emoji.EMOJI_DATA) + [f"a {e}b" for e in emoji.EMOJI_DATA]
    theirs = twitter_text_lengths(texts)
    ours = [XRules().count(t) for t in texts]
    short = [(t, o, x) for t, o, x in zip(texts, ours, theirs, strict=True) if o < x]
    assert not short


def test_every_top_level_domain_is_counted_at_least_as_x_counts_it() -> None:
    from bot.posts.twitter_urls import top_level_domains

    generic, country = top_level_domains()
    texts = [
        f"{form}{tld}{path}"
        for tld in sorted(generic | country)
        for form in ("name.", "a-very-long-host-name-indeed.", "http://x.")
        for path in ("", "/p")
    ]
    theirs = twitter_text_lengths(texts)
    for text, x in zip(texts, theirs, strict=True):
        ours = XRules().count(text)
        assert ours >= x, text
        if text.rsplit(".", 1)[-1].split("/")[0] not in RECENT_TLDS:
            assert ours == x, text


_TEXTS = st.lists(
    _PARAGRAPHS
    | st.text(max_size=300)
    | st.lists(
        st.sampled_from([*list(emoji.EMOJI_DATA)[::3], " ", "\u200d", "\ufe0f", "a", ".com", "x.co/"]),
        max_size=40,
    ).map("".join),
    min_size=50,
    max_size=50,
)


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(_TEXTS)
def test_x_is_never_counted_shorter_than_twitter_text_counts_it(texts: list[str]) -> None:
    theirs = twitter_text_lengths(texts)
    for text, x in zip(texts, theirs, strict=True):
        assert XRules().count(text) >= x, text
