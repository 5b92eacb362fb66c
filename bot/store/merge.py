"""The merge rule: what re-ingesting a cable that is already stored does.

Copies of one cable differ: a page has paragraphs, a metadata-only text export has none, a CSV row has no
release date. The rule keeps the fullest copy and never loses anything a copy gave:
- an identical copy changes nothing ("skipped");
- a fuller copy (more paragraphs, then a longer body) replaces the stored one, keeping stored metadata
  where the new copy has a gap ("updated");
- an emptier or equally full copy never replaces the paragraphs; it only fills the stored copy's metadata
  gaps, such as an unknown release date ("updated" when it filled one, else "skipped").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC
from enum import StrEnum
from typing import Any

from bot.model import Cable

# fullness = paragraphs * _BODY_SPAN + body length: one integer that orders copies by paragraph count,
# then by how much text they hold, so that SQL and Python compare it the same way.
_BODY_SPAN = 1_000_000_000

# Metadata a copy may leave empty, and what "empty" is for each.
GAP_FIELDS = ("released", "classification", "origin", "subject", "tags", "references")


class Outcome(StrEnum):
    ingested = "ingested"
    updated = "updated"
    skipped = "skipped"


def fullness(cable: Cable) -> int:
    body = sum(len(p.text) for p in cable.paragraphs)
    return len(cable.paragraphs) * _BODY_SPAN + min(body, _BODY_SPAN - 1)


def paragraph_count(stored: Stored) -> int:
    return stored.fullness // _BODY_SPAN


def digest(cable: Cable) -> str:
    """Everything a copy says about the cable (not where it came from), as one hash.

    Fields are joined with ASCII separator characters, which cable text never holds: much cheaper
    than serialising to JSON, and this runs for every cable ingested.
    """
    parts = [
        cable.ref_id,
        cable.created.astimezone(UTC).isoformat(),
        cable.released.astimezone(UTC).isoformat() if cable.released else "\x15",
        cable.classification,
        cable.origin,
        cable.subject,
        "\x1d".join(cable.tags),
        "\x1d".join(cable.references),
    ]
    none = "\x15"
    parts.extend(
        f"{p.number}\x1d{none if p.marking is None else p.marking}\x1d{p.url is not None:d}\x1d{p.text}"
        for p in cable.paragraphs
    )
    return hashlib.sha256("\x1e".join(parts).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Stored:
    """What the merge needs to know of the stored copy: its metadata, fullness and digest."""

    id: int
    fullness: int
    digest: str
    metadata: dict[str, Any]  # GAP_FIELDS -> stored value (tags/references as tuples)


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    replace_paragraphs: bool = False
    # The Cable fields to write: GAP_FIELDS, and `created` when the paragraphs are replaced.
    metadata: dict[str, Any] = field(default_factory=dict)


def cable_metadata(cable: Cable) -> dict[str, Any]:
    return {
        "released": cable.released,
        "classification": cable.classification,
        "origin": cable.origin,
        "subject": cable.subject,
        "tags": tuple(cable.tags),
        "references": tuple(cable.references),
    }


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == ()


def decide(stored: Stored, incoming: Cable, incoming_digest: str | None = None) -> Decision:
    """How `incoming` merges into the stored copy of the same cable."""
    if (incoming_digest or digest(incoming)) == stored.digest:
        return Decision(Outcome.skipped)
    new = cable_metadata(incoming)
    if fullness(incoming) > stored.fullness:
        merged = {k: stored.metadata[k] if _empty(v) else v for k, v in new.items()}
        merged["created"] = incoming.created
        return Decision(Outcome.updated, replace_paragraphs=True, metadata=merged)
    filled = {k: new[k] for k, v in stored.metadata.items() if _empty(v) and not _empty(new[k])}
    if filled:
        return Decision(Outcome.updated, metadata=filled)
    return Decision(Outcome.skipped)
