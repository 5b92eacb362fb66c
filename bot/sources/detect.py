"""Which format a file holds, told from its first few kilobytes (never from its name alone)."""

from __future__ import annotations

import re

from bot.sources.html_page import CABLE_TABLE

HEAD_SIZE = 16384  # enough to reach the metadata line of a blog copy after its help text

_HTML = re.compile(r"\s*(?:<\?xml|<!DOCTYPE\s+html|<html)", re.IGNORECASE)
_EXPORT_DATE = re.compile(r"[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} [+-]\d{4} \d{4}$")
_REF_ID = re.compile(r"[0-9]{2}[A-Z][A-Z0-9\-]*[0-9]+[A-Z0-9]*$")
_CSV_ROW = re.compile(r'\s*"?\d+"?,\s*"?\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}"?,\s*"?[0-9]{2}[A-Z]')
_METADATA_LINE = re.compile(
    r"^\s*Reference ID\s+Created\s+Released\s+Classification\s+Origin\s*$", re.MULTILINE
)
_CABLE_MARKS = (
    re.compile(r"^\s*SUBJ(?:ECT)?\s*:", re.MULTILINE | re.IGNORECASE),
    re.compile(r"^\s*TAGS?[:\s]", re.MULTILINE),
    re.compile(r"^\s*DE\s+R[A-Z]{3,6}\s+#\d{3,5}", re.MULTILINE),
    re.compile(r"^\s*[OPRZ]{1,2}\s+\d{6}Z\s+[A-Z]{3}\s+\d{2}\s*$", re.MULTILINE),
)


def detect_format(head: str) -> str | None:
    """ "html", "text-export", "plain-text", "csv", or None when the text looks like no cable format."""
    if head.startswith("\ufeff"):
        head = head[1:]
    if _HTML.match(head) or (head.lstrip().startswith("<") and CABLE_TABLE.search(head)):
        return "html"
    lines = head.split("\n", 6)
    if len(lines) >= 3 and _REF_ID.match(lines[0].strip()) and _EXPORT_DATE.match(lines[2].strip()):
        return "text-export"
    if _CSV_ROW.match(head):
        return "csv"
    if _METADATA_LINE.search(head):
        return "plain-text"
    if sum(1 for pattern in _CABLE_MARKS if pattern.search(head)) >= 2:
        return "plain-text"
    return None
