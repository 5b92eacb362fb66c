"""A cable as JSON: the one serializer behind `cablebot export` and `cablebot show --format json`.

The field names are a published format (scripts read them): ref_id, created, released, classification,
origin, subject, tags, references, url, paragraphs (number, marking, text, url), source (format,
location). Times are ISO 8601 in UTC.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

from bot.model import Cable


def iso_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def cable_to_json(cable: Cable) -> dict[str, Any]:
    return {
        "ref_id": cable.ref_id,
        "created": iso_utc(cable.created),
        "released": iso_utc(cable.released),
        "classification": cable.classification,
        "origin": cable.origin,
        "subject": cable.subject,
        "tags": list(cable.tags),
        "references": list(cable.references),
        "url": cable.url,
        "paragraphs": [
            {"number": p.number, "marking": p.marking, "text": p.text, "url": p.url} for p in cable.paragraphs
        ],
        "source": {
            "format": cable.source.format if cable.source else None,
            "location": cable.source.location if cable.source else None,
        },
    }


def write_json_lines(cables: Iterable[Cable], out: TextIO) -> int:
    """One JSON object per line; returns how many cables were written."""
    count = 0
    for cable in cables:
        out.write(json.dumps(cable_to_json(cable), ensure_ascii=False))
        out.write("\n")
        count += 1
    return count
