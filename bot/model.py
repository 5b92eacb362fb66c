"""The small immutable models that flow through cablebot: a cable and its paragraphs.

Everything from the parsers to the ledger speaks these types. They are frozen so that a pick or a
rendered post can never alter the cable it cites.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Source:
    """Where a cable came from: the format that was read and where in the input it was."""

    format: str  # "html", "text-export", "plain-text", "csv"
    location: str  # a file path, or "path:row N" for the CSV

    def __str__(self) -> str:
        return f"{self.format}:{self.location}"


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One numbered paragraph of a cable.

    `number` is exactly the id the original site's anchor uses ("3", "A"). `url` is the permalink that
    lands on this paragraph, or None when the original site gives it no anchor of its own (a number the
    site did not anchor, or a repeated number whose anchor belongs to an earlier paragraph): such a
    paragraph cannot be cited exactly and is never posted.
    """

    number: str
    marking: str | None
    text: str
    url: str | None = None

    @property
    def citable(self) -> bool:
        return self.url is not None


@dataclass(frozen=True, slots=True)
class Cable:
    ref_id: str
    created: datetime  # timezone-aware UTC
    released: datetime | None  # timezone-aware UTC; None when the source does not say
    classification: str
    origin: str
    subject: str
    tags: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    url: str = ""
    paragraphs: tuple[Paragraph, ...] = ()
    source: Source | None = field(default=None, compare=False)

    def paragraph(self, number: str) -> Paragraph | None:
        """The first paragraph with this number (the one its anchor lands on)."""
        return next((p for p in self.paragraphs if p.number == number), None)
