"""The one place that builds permalinks: the cable's page and each paragraph's anchor on it."""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime

from bot.errors import ConfigError

DEFAULT_CABLE_URL = "https://wikileaks.org/cable/{YYYY}/{MM}/{REFID}.html"
DEFAULT_PARAGRAPH_FRAGMENT = "#par{number}"
_FIELDS = {"YYYY", "MM", "REFID", "number"}


@dataclass(frozen=True, slots=True)
class PermalinkTemplate:
    """`cable` is the page URL; `paragraph` is appended to it for a paragraph's anchor.

    YYYY and MM are the year and month the cable was created: the original site filed pages that way.
    """

    cable: str = DEFAULT_CABLE_URL
    paragraph: str = DEFAULT_PARAGRAPH_FRAGMENT

    def __post_init__(self) -> None:
        for template in (self.cable, self.paragraph):
            try:
                names = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
            except ValueError as e:
                raise ConfigError(f"permalink template {template!r} is malformed: {e}") from None
            unknown = names - _FIELDS
            if unknown:
                raise ConfigError(
                    f"permalink template {template!r} uses unknown field(s) {sorted(unknown)}; "
                    f"use {sorted(_FIELDS)}"
                )
        if "{number}" not in self.paragraph:
            raise ConfigError(f"paragraph permalink template {self.paragraph!r} must contain {{number}}")

    def cable_url(self, ref_id: str, created: datetime) -> str:
        return self.cable.format(**_fields(ref_id, created), number="")

    def paragraph_url(self, ref_id: str, created: datetime, number: str) -> str:
        fragment = self.paragraph.format(**_fields(ref_id, created), number=number)
        return self.cable_url(ref_id, created) + fragment


def _fields(ref_id: str, created: datetime) -> dict[str, str]:
    return {"YYYY": f"{created.year:04d}", "MM": f"{created.month:02d}", "REFID": ref_id}


DEFAULT_PERMALINKS = PermalinkTemplate()
