"""A paragraph's score: the weighted signals, the editors' keywords and exclusions, and the hard blocks.

    score_cable(cable, settings, df, total) -> one Score per paragraph, in the cable's order

`Score.reasons` maps each signal (and "boost") to its share of `Score.value`: the shares add up to the
value, so an editor reads exactly why a paragraph ranks where it does. A blocked paragraph keeps its
value and reasons (an editor may want to see what it would have scored) but is never picked, and
`block_reason` says why: protected source, not citable, excluded or blocked keyword.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType

from bot.model import Cable
from bot.picks import signals
from bot.picks.protect import protect_cable
from bot.picks.settings import PickSettings
from bot.picks.signals import SIGNALS, Passage, Reading, Signal, read, repeated_terms


@dataclass(frozen=True)
class Score:
    value: float
    blocked: bool = False
    block_reason: str | None = None
    reasons: Mapping[str, float] = field(default_factory=dict)
    released: str | None = None  # an editor's reason for releasing a protected paragraph

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"score": self.value, "blocked": self.blocked, "reasons": dict(self.reasons)}
        if self.block_reason:
            out["block_reason"] = self.block_reason
        if self.released:
            out["released"] = self.released
        return out


def _phrases(words: Sequence[str]) -> re.Pattern[str] | None:
    if not words:
        return None
    alternation = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class _Compiled:
    boost: re.Pattern[str] | None
    block: re.Pattern[str] | None
    weighted: tuple[tuple[str, float, Signal], ...]  # the signals that count: name, weight, function
    # The same for bot.picks._scoring (None without it): a signal it computes is given by its index there.
    plan: tuple[tuple[str, float, int | Signal], ...] | None
    scorer: ModuleType | None  # bot.picks._scoring, when there is a plan
    # For bot.picks.prepared: the plan without the signal that reads the corpus statistics, when all of
    # the plan is computed in C (None otherwise: such settings are scored whole, by score_cable).
    corpus_free: tuple[tuple[str, float, int | Signal], ...] | None = None
    slots: tuple[str, ...] = ()  # a paragraph's prepared shares, in this order: the plan's, then boost


_compiled: dict[int, tuple[PickSettings, _Compiled]] = {}


def _compile(settings: PickSettings) -> _Compiled:
    # Settings are immutable and few; keep their compiled keyword patterns rather than rebuild them
    # for every cable of an ingest.
    cached = _compiled.get(id(settings))
    if cached and cached[0] is settings:
        return cached[1]
    weighted = tuple(
        (name, settings.weights[name], signal)
        for name, signal in SIGNALS.items()
        if settings.weights.get(name)
    )
    plan = _plan(weighted) if signals._scorer is not None else None
    all_in_c = plan is not None and all(type(how) is int for _, _, how in plan)
    compiled = _Compiled(
        boost=_phrases(settings.boost),
        block=_phrases(settings.block),
        weighted=weighted,
        plan=plan,
        scorer=signals._scorer,
        corpus_free=tuple(s for s in plan if s[0] != signals.CORPUS_SIGNAL) if plan and all_in_c else None,
        slots=(*(name for name, _, _ in plan or ()), "boost"),
    )
    if len(_compiled) > 16:
        _compiled.clear()
    _compiled[id(settings)] = (settings, compiled)
    return compiled


def _plan(weighted: tuple[tuple[str, float, Signal], ...]) -> tuple[tuple[str, float, int | Signal], ...]:
    """The weighted signals for the compiled scorer: in C those it computes (for a weight of a type it
    multiplies as Python does), the others by their function, in the same order."""
    plan: list[tuple[str, float, int | Signal]] = []
    for name, weight, signal in weighted:
        index = signals._compiled_index(name, signal) if type(weight) in (float, int) else None
        plan.append((name, weight, signal if index is None else index))
    return tuple(plan)


def score_passage(p: Passage, settings: PickSettings) -> dict[str, float]:
    """Each signal's share of the score (weight x value), rounded for people; zero shares left out."""
    return _shares(p, _compile(settings), settings.weights.get("boost", 0.0))


def _shares(p: Passage, compiled: _Compiled, boost_weight: float) -> dict[str, float]:
    reasons: dict[str, float] = {}
    for name, weight, signal in compiled.weighted:
        value = signal(p)
        if value:
            share = round(weight * value, 3)
            if share:
                reasons[name] = share
    if compiled.boost is not None:
        hits = len(compiled.boost.findall(p.text))
        share = round(boost_weight * hits, 3)
        if share:
            reasons["boost"] = share
    return reasons


def score_cable(
    cable: Cable,
    settings: PickSettings,
    df: Mapping[str, int] | None = None,
    total: int = 0,
    readings: Sequence[Reading] | None = None,
) -> tuple[Score, ...]:
    """Score every paragraph of a cable against the corpus statistics (`df`: paragraph frequency of each
    term, `total`: paragraphs in the corpus). Pure: the same inputs give the same scores. `readings`
    (one per paragraph) saves reading the texts again when the caller has read them already."""
    compiled = _compile(settings)
    boost_weight = settings.weights.get("boost", 0.0)
    df = df if df is not None else {}
    blocks = _blocks(cable, settings, compiled)
    scores: list[Score] = []
    if readings is None:
        readings = [read(para.text) for para in cable.paragraphs]
    computed: list[tuple[float, dict[str, float]]] | None = None
    if compiled.plan is not None and compiled.scorer is not None:
        # Every paragraph's shares and value at once, as _shares and the line below give them.
        computed = compiled.scorer.score(
            cable, readings, df, total, compiled.plan, compiled.boost, boost_weight
        )
    repeated = repeated_terms(readings) if computed is None else None
    for i, para in enumerate(cable.paragraphs):
        if computed is not None:
            value, reasons = computed[i]
        else:
            passage = Passage(para, cable, i, df, total, readings[i], repeated)
            reasons = _shares(passage, compiled, boost_weight)
            value = round(sum(reasons.values()), 3)
        reason, released = blocks[i] if blocks is not None else _UNBLOCKED
        scores.append(Score(value, reason is not None, reason, reasons, released))
    return tuple(scores)


Block = tuple[str | None, str | None]  # a paragraph's block_reason and release (see Score)
_UNBLOCKED: Block = (None, None)


def _blocks(cable: Cable, settings: PickSettings, compiled: _Compiled) -> tuple[Block, ...] | None:
    """Each paragraph's block reason (the weightiest only) and an editor's release of its protection;
    None when no paragraph has either (most cables)."""
    blocked_by_protection = protect_cable(cable, settings.protect_patterns, settings.protect_names).blocked
    excluded = cable.ref_id in settings.exclude_cables
    exclude_paragraphs = settings.exclude_paragraphs
    block = compiled.block
    blocks: list[Block] = []
    for i, para in enumerate(cable.paragraphs):
        reason: str | None = None
        released: str | None = None
        if (protected := blocked_by_protection.get(i)) is not None:
            release = settings.release_for(cable.ref_id, para.number)
            if release is None:
                reason = protected  # the weightiest reason first: safety before anything else
            else:
                released = f"{protected}; released by an editor: {release.reason}"
        if reason is None:
            if para.url is None:
                reason = f"not citable: the original site gives paragraph {para.number} no anchor of its own"
            elif excluded:
                reason = "excluded by an editor: [picks] exclude_cables"
            elif exclude_paragraphs and f"{cable.ref_id}#{para.number}" in exclude_paragraphs:
                reason = "excluded by an editor: [picks] exclude_paragraphs"
            elif block is not None and (m := block.search(para.text)):
                reason = f"blocked keyword {m.group(0)!r}: [picks] block"
        blocks.append((reason, released))
    return tuple(blocks) if any(b != _UNBLOCKED for b in blocks) else None


def ranked(cable: Cable, scores: Sequence[Score]) -> list[tuple[int, Score]]:
    """Paragraph indexes, best first; blocked ones last (each group by score)."""
    return sorted(enumerate(scores), key=lambda item: (item[1].blocked, -item[1].value, item[0]))


def top_pick(cable: Cable, scores: Sequence[Score]) -> str | None:
    """The number of the paragraph cablebot would post from this cable, if any may be posted."""
    order = ranked(cable, scores)
    if not order or order[0][1].blocked:
        return None
    return cable.paragraphs[order[0][0]].number
