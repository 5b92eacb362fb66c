"""The editors' `[picks]` settings, checked once, with errors that name the key.

[picks]
boost = ["Gaddafi", "nuclear"]          # words or phrases that raise a paragraph (+ weights.boost each)
block = ["Diego Garcia"]                # words or phrases that keep a paragraph out, whatever its score
exclude_cables = ["08ASTANA2079"]       # cables never posted
exclude_paragraphs = ["08ASTANA2079#1"] # single paragraphs never posted (REFID#NUMBER)
same_cable_window = "3d"                # no two posts from one cable within this time (s, m, h, d, w)
queue_paragraphs = 3                    # how many of a queued cable's best paragraphs the queue serves
candidates = 200                        # how many top-scored paragraphs `next` weighs for variety

[picks.weights]                         # any signal of bot.picks.signals.SIGNALS, plus "boost"
candour = 3.0

[picks.variety]                         # penalties for an origin or a year the account posted recently
recent_posts = 20
origin_penalty = 1.5
year_penalty = 0.5

[picks.protect]
patterns = ["do not quote"]             # extra protection markers (plain phrases, any case)
names = ["Ali Hassan"]                  # people protected in every cable

[[picks.release]]                       # an editor's explicit release of ONE protected paragraph
ref_id = "05MADRID569"
paragraph = "3"
reason = "the source has since spoken publicly"
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from bot.errors import ConfigError

# Defaults in code; editors override any of them in [picks.weights]. Penalties are negative.
# Learned from 23 editors' picks on 1,215 real cables (`python -m tests.picks.learn`, which says how and
# why), except the guards, set by hand: what no editor weighs against a good paragraph, and no post carries;
# `wording` is learned with its lexicon, in the units of the score (`python -m tests.picks.wording`).
DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "quotation": 1.9,
        "named_people": 2.72,
        "figures": 0.28,
        "candour": 1.72,
        "request_or_deal": 0.89,  # requests and deals are most cables' business: they tell little apart
        "embassy_comment": 1.23,
        "hearsay": 1.16,
        "marking": 4.7,  # what was secret is what was revealing: editors pick (S) and (C) over (U)
        "distinctiveness": 2.43,
        "fit": 0.25,  # a floor: editors did not prefer short paragraphs, but a long thread is worse to post
        "dependence": -0.25,  # a floor: a paragraph that leans on another is worse to post
        "boilerplate": -4.0,  # a guard
        "procedure": -1.0,  # a guard
        "us_talking_points": -0.21,
        "redaction": -3.0,  # a guard
        "summary": -2.6,  # summaries pack every name and figure: they must be revealing to win
        "too_short": -3.0,  # a guard
        "reference_item": -6.0,  # a guard
        "boost": 1.5,
        # Last: `--jitter` draws a factor per weight in this order, so the others keep theirs (the newest
        # last).
        "judgement": 0.16,
        "novelty": 2.34,  # what only this paragraph of the cable says, against a summary restating the rest
        "wording": 1.0,  # words of paragraphs editors quote (bot/picks/wording.tsv), in units of the score
    }
)

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_KEYS = {
    "boost",
    "block",
    "exclude_cables",
    "exclude_paragraphs",
    "same_cable_window",
    "weights",
    "variety",
    "protect",
    "release",
    "candidates",
    "queue_paragraphs",
}


@dataclass(frozen=True)
class Release:
    ref_id: str
    paragraph: str
    reason: str


@dataclass(frozen=True)
class PickSettings:
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    boost: tuple[str, ...] = ()
    block: tuple[str, ...] = ()
    exclude_cables: frozenset[str] = frozenset()
    exclude_paragraphs: frozenset[str] = frozenset()  # "REFID#NUMBER"
    same_cable_window: timedelta = timedelta(days=3)
    recent_posts: int = 20
    origin_penalty: float = 1.5
    year_penalty: float = 0.5
    candidates: int = 200
    queue_paragraphs: int = 3
    protect_patterns: tuple[str, ...] = ()
    protect_names: tuple[str, ...] = ()
    releases: Mapping[tuple[str, str], Release] = field(default_factory=dict)

    def release_for(self, ref_id: str, number: str) -> Release | None:
        return self.releases.get((ref_id, number))


def parse_duration(value: str, key: str) -> timedelta:
    """ "3d", "12h", "90m", "1d12h", "45s" -> timedelta."""
    text = str(value).strip().lower()
    parts = _DURATION.findall(text)
    if not parts or _DURATION.sub("", text).strip():
        raise ConfigError(
            f'{key} = {value!r}: not a duration; write a number and a unit, e.g. "3d", "12h", "90m"'
        )
    return timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in parts))


def format_duration(value: timedelta) -> str:
    """A duration as editors write it: 3d, 12h, 1d12h, 90s."""
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"


def _strings(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f'{where}: {key} must be a list of strings, e.g. {key} = ["..."]')
    return tuple(v for v in value if v.strip())


def _number(table: Mapping[str, Any], key: str, where: str, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: {key} must be a number, not {value!r}")
    return float(value)


def parse_picks(table: Mapping[str, Any] | None, where: str = "config") -> PickSettings:
    """Check the [picks] table of the editors' config; every error names the key and says what to write."""
    table = table or {}
    w = f"{where}: [picks]"
    unknown = set(table) - _KEYS
    if unknown:
        raise ConfigError(f"{w} has unknown key(s) {sorted(unknown)}; known keys: {sorted(_KEYS)}")

    weights = dict(DEFAULT_WEIGHTS)
    overrides = table.get("weights", {})
    if not isinstance(overrides, dict):
        raise ConfigError(f"{w} weights must be a table: [picks.weights]")
    for name in overrides:
        if name not in weights:
            raise ConfigError(f"{where}: [picks.weights] {name}: no such signal; known: {sorted(weights)}")
        weights[name] = _number(overrides, name, f"{where}: [picks.weights]", 0.0)

    exclude_paragraphs = _strings(table, "exclude_paragraphs", w)
    for item in exclude_paragraphs:
        if not re.fullmatch(r"[A-Z0-9]+#[A-Za-z0-9]+", item.strip()):
            raise ConfigError(f'{w} exclude_paragraphs: {item!r} is not REFID#NUMBER, e.g. "08ASTANA2079#1"')

    variety = table.get("variety", {})
    if not isinstance(variety, dict):
        raise ConfigError(f"{w} variety must be a table: [picks.variety]")
    unknown = set(variety) - {"recent_posts", "origin_penalty", "year_penalty"}
    if unknown:
        raise ConfigError(f"{where}: [picks.variety] has unknown key(s) {sorted(unknown)}")
    vw = f"{where}: [picks.variety]"

    protect = table.get("protect", {})
    if not isinstance(protect, dict):
        raise ConfigError(f"{w} protect must be a table: [picks.protect]")
    unknown = set(protect) - {"patterns", "names"}
    if unknown:
        raise ConfigError(
            f"{where}: [picks.protect] has unknown key(s) {sorted(unknown)}; use patterns, names"
        )
    pw = f"{where}: [picks.protect]"

    releases: dict[tuple[str, str], Release] = {}
    raw_releases = table.get("release", [])
    if not isinstance(raw_releases, list):
        raise ConfigError(f"{w} release must be an array of tables: [[picks.release]]")
    for n, item in enumerate(raw_releases, 1):
        rw = f"{where}: [[picks.release]] #{n}"
        if not isinstance(item, dict):
            raise ConfigError(f"{rw} must be a table with ref_id, paragraph, reason")
        missing = [k for k in ("ref_id", "paragraph", "reason") if not str(item.get(k, "")).strip()]
        if missing:
            raise ConfigError(f"{rw} needs {', '.join(missing)}: a release names one paragraph and says why")
        extra = set(item) - {"ref_id", "paragraph", "reason"}
        if extra:
            raise ConfigError(f"{rw} has unknown key(s) {sorted(extra)}")
        release = Release(
            str(item["ref_id"]).strip(), str(item["paragraph"]).strip(), str(item["reason"]).strip()
        )
        releases[(release.ref_id, release.paragraph)] = release

    window = table.get("same_cable_window", "3d")
    recent = _number(variety, "recent_posts", vw, 20)
    candidates = _number(table, "candidates", w, 200)
    if recent < 0 or recent != int(recent):
        raise ConfigError(f"{vw} recent_posts must be a whole number >= 0")
    if candidates < 1 or candidates != int(candidates):
        raise ConfigError(f"{w} candidates must be a whole number >= 1")
    queue_paragraphs = _number(table, "queue_paragraphs", w, 3)
    if queue_paragraphs < 1 or queue_paragraphs != int(queue_paragraphs):
        raise ConfigError(f"{w} queue_paragraphs must be a whole number >= 1")
    return PickSettings(
        weights=MappingProxyType(weights),
        boost=_strings(table, "boost", w),
        block=_strings(table, "block", w),
        exclude_cables=frozenset(s.strip() for s in _strings(table, "exclude_cables", w)),
        exclude_paragraphs=frozenset(s.strip() for s in exclude_paragraphs),
        same_cable_window=parse_duration(window, f"{w} same_cable_window"),
        recent_posts=int(recent),
        origin_penalty=_number(variety, "origin_penalty", vw, 1.5),
        year_penalty=_number(variety, "year_penalty", vw, 0.5),
        candidates=int(candidates),
        queue_paragraphs=int(queue_paragraphs),
        protect_patterns=_strings(protect, "patterns", pw),
        protect_names=_strings(protect, "names", pw),
        releases=MappingProxyType(releases),
    )
