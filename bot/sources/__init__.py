"""Sources of cables: every real format, parsed into one model (bot.model.Cable).

Public API (stable; the store and ingest build on it):

- `read_path(path, permalinks=DEFAULT_PERMALINKS) -> Iterator[Cable | ParseError]`
  A file, or a folder walked recursively in sorted order. Each file's format is detected by its content.
  One item per cable: a page, a text export or a plain-text copy gives one item; a CSV of the full
  release gives one item per row, streamed in constant memory. Never raises for bad input: a file or row
  that cannot be read yields a ParseError naming the file (and the row) and the walk goes on.
- `iter_release_csv(path, permalinks=DEFAULT_PERMALINKS) -> Iterator[tuple[int, Cable | ParseError]]`
  The same rows as `read_path` gives for a CSV, each with the number of bytes of the file read so far
  (compare with `path.stat().st_size` for a progress bar).
- `read_file(path, permalinks=DEFAULT_PERMALINKS) -> Iterator[Cable | ParseError]`: one file, any format.
- `parse_document(text, *, where, permalinks=DEFAULT_PERMALINKS) -> Cable`
  One document of any single-cable format (HTML page, text export, plain text or a web page's copy).
  Raises ParseError, never anything else.
- `detect_format(head) -> "html" | "text-export" | "plain-text" | "csv" | None`, from a file's first
  `HEAD_SIZE` characters.
- `decode_bytes(data, *, where) -> str`: UTF-8 (BOM allowed), UTF-16 with a BOM, or cp1252 when the bytes
  are clearly cp1252 text; otherwise ParseError "unreadable encoding".

Paragraph numbers, markings, text and permalinks follow the original site's anchors (kept from the page
or the text export's `¶`, or recomputed by the site's own rule for plain text and the CSV), so every
format of one cable gives the same paragraphs: see bot.sources.cable_text for the rule, for what is kept
in a paragraph's text, and for when a paragraph has no permalink (url None: never posted).

Modules: `html_page` (the site's pages), `text_export` (five metadata lines + text), `plain_text` (a
bare cable or a web page's copy of one), `release_csv` (the full release), `detect` (format by content),
`cable_text` (what all formats share: header fields, paragraphs, page breaks, signatures).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from bot.errors import ParseError
from bot.model import Cable
from bot.permalink import DEFAULT_PERMALINKS, PermalinkTemplate
from bot.sources.detect import HEAD_SIZE, detect_format
from bot.sources.html_page import parse_html_page
from bot.sources.plain_text import parse_plain_text
from bot.sources.release_csv import iter_release_csv
from bot.sources.text_export import parse_text_export

__all__ = [
    "HEAD_SIZE",
    "decode_bytes",
    "detect_format",
    "iter_release_csv",
    "parse_document",
    "read_file",
    "read_path",
]

_PARSERS = {
    "html": parse_html_page,
    "text-export": parse_text_export,
    "plain-text": parse_plain_text,
}
# The longest real cable page is well under 1 MB; a bigger file that is not a CSV is no single cable.
MAX_DOCUMENT_BYTES = 20_000_000
# Control characters that never occur in a text file (NUL, and C0 codes other than tab/newlines/form feed).
_BINARY = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


def parse_document(text: str, *, where: str, permalinks: PermalinkTemplate = DEFAULT_PERMALINKS) -> Cable:
    """One cable from an HTML page, a text export or a plain-text copy; ParseError if it is none."""
    kind = detect_format(text[:HEAD_SIZE])
    if kind is None:
        raise ParseError(
            "not a cable: not a cablegate page, a text export, a CSV of the release, or a plain-text cable "
            "with its SUBJECT/TAGS and routing lines",
            where=where,
        )
    if kind == "csv":
        raise ParseError("this is a CSV of the release, not one cable: ingest the file itself", where=where)
    try:
        return _PARSERS[kind](text, where=where, permalinks=permalinks)
    except ParseError as e:
        raise e.located(where) from None
    except RecursionError:
        raise ParseError(f"cannot read this {kind} document: it is too deeply nested", where=where) from None


def decode_bytes(data: bytes, *, where: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ParseError("unreadable encoding: broken UTF-16", where=where) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        # cp1252 only when it is clearly right: no undefined bytes, no control characters, and only a
        # sprinkling of non-ASCII letters (accents, curly quotes) in otherwise ASCII text.
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise ParseError(
                f"unreadable encoding: not UTF-8 (bad byte at offset {e.start})", where=where
            ) from None
        non_ascii = sum(1 for ch in text if ord(ch) > 127)
        if _BINARY.search(text) or non_ascii > max(8, len(text) // 50):
            raise ParseError(
                f"unreadable encoding: not UTF-8 (bad byte at offset {e.start})", where=where
            ) from None
        return text
    if _BINARY.search(text[:HEAD_SIZE]):
        raise ParseError("not a cable: a binary file", where=where)
    return text


def read_file(path: Path, permalinks: PermalinkTemplate = DEFAULT_PERMALINKS) -> Iterator[Cable | ParseError]:
    """The cables in one file (one per page or text; one per row of a release CSV)."""
    where = str(path)
    try:
        with open(path, "rb") as handle:
            head_bytes = handle.read(HEAD_SIZE * 4)
    except OSError as e:
        yield ParseError(f"cannot read the file: {e.strerror or e}", where=where)
        return
    head = head_bytes.decode("utf-8", errors="replace")
    if detect_format(head[:HEAD_SIZE]) == "csv":
        for _, item in iter_release_csv(path, permalinks):
            yield item
        return
    try:
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            raise ParseError(
                f"not a cable: {path.stat().st_size / 1e6:,.0f} MB is far more than one cable, and the file "
                "is not a CSV of the release (its first row does not look like one)",
                where=where,
            )
        data = path.read_bytes()
        yield parse_document(decode_bytes(data, where=where), where=where, permalinks=permalinks)
    except ParseError as e:
        yield e.located(where)
    except OSError as e:
        yield ParseError(f"cannot read the file: {e.strerror or e}", where=where)


def read_path(path: Path, permalinks: PermalinkTemplate = DEFAULT_PERMALINKS) -> Iterator[Cable | ParseError]:
    """Every cable in a file or, recursively and in sorted order, in a folder."""
    path = Path(path)
    if path.is_dir():
        for file in _walk(path):
            if isinstance(file, ParseError):
                yield file
            else:
                yield from read_file(file, permalinks)
    elif path.exists():
        yield from read_file(path, permalinks)
    else:
        yield ParseError("no such file or folder", where=str(path))


def _walk(folder: Path) -> Iterator[Path | ParseError]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as e:
        yield ParseError(f"cannot list the folder: {e.strerror or e}", where=str(folder))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path))
        elif entry.is_file():
            yield Path(entry.path)
