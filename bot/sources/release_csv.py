"""The full release's CSV (`cables.csv`): 251,287 rows, about 1.7 GB, streamed in constant memory.

No header row; eight columns: sequence id, date (`12/28/1966 18:48`, UTC), reference ID, origin,
classification, references, header (routing), body. Fields are quoted and span lines. The csv module
reads the file through a buffered text decoder (UTF-8; bytes that are not UTF-8 are decoded again as
cp1252, field by field), so memory stays constant, the bytes consumed are known (for a progress bar),
and a bad row costs one ParseError naming the row, never the rest of the file.

The body has no anchors: the site's anchor rule is applied to it (bot.sources.cable_text), which gives
the same paragraphs as the page of the same cable. The released date is not in the CSV (None).
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from bot.errors import ParseError
from bot.model import Cable, Source
from bot.permalink import DEFAULT_PERMALINKS, PermalinkTemplate
from bot.sources.cable_text import cable_paragraphs, read_cable_text
from bot.sources.detect import _REF_ID

FORMAT = "csv"
_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2})")
COLUMNS = ("id", "date", "ref_id", "origin", "classification", "references", "header", "body")

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def iter_release_csv(
    path: Path, permalinks: PermalinkTemplate = DEFAULT_PERMALINKS
) -> Iterator[tuple[int, Cable | ParseError]]:
    """(bytes read so far, cable or error) for each row of the release CSV at `path`.

    The byte count is exact to within the reader's buffer (8 KB): enough for a progress bar.
    """
    where = str(path)
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed in finally: the caller may abandon the generator
    except OSError as e:
        yield 0, ParseError(f"cannot read the file: {e.strerror or e}", where=where)
        return
    try:
        # Undecodable bytes survive as surrogates and are decoded again, per field, as cp1252.
        text = io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape", newline="")
        reader = csv.reader(text, strict=False)
        row_number = 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                row_number += 1
                yield (
                    raw.tell(),
                    ParseError(f"row {row_number}: malformed CSV ({e})", where=where, line=reader.line_num),
                )
                continue
            row_number += 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            yield raw.tell(), parse_release_row(row, where=f"{where}:row {row_number}", permalinks=permalinks)
    finally:
        raw.close()


def _redecode(field: str) -> str:
    if field.isascii():
        return field
    try:
        field.encode("utf-8")
    except UnicodeEncodeError:
        return field.encode("utf-8", errors="surrogateescape").decode("cp1252", errors="replace")
    return field


def parse_release_row(
    row: list[str], *, where: str, permalinks: PermalinkTemplate = DEFAULT_PERMALINKS
) -> Cable | ParseError:
    """One CSV row as a Cable, or the ParseError that says what is wrong with it."""
    if len(row) != len(COLUMNS):
        return ParseError(
            f"expected {len(COLUMNS)} columns ({', '.join(COLUMNS)}), found {len(row)}", where=where
        )
    date_s, ref_id, origin, classification = (_redecode(field).strip() for field in row[1:5])
    body = _redecode(row[7])
    if not _REF_ID.match(ref_id):
        return ParseError(f"column 3 {ref_id!r} is not a cable reference ID", where=where)
    m = _DATE.fullmatch(date_s)
    try:
        if not m:
            raise ValueError(date_s)
        month, day, year, hour, minute = (int(g) for g in m.groups())
        created = datetime(year, month, day, hour, minute, tzinfo=UTC)
    except ValueError:
        return ParseError(f"column 2 {date_s!r} is not a date like 12/28/1966 18:48", where=where)
    try:
        cable_text = read_cable_text(body, anchored=False)
    except Exception as e:
        return ParseError(f"cannot read the cable text: {e}", where=where)
    return Cable(
        ref_id=ref_id,
        created=created,
        released=None,
        classification=classification,
        origin=origin,
        subject=cable_text.subject,
        tags=cable_text.tags,
        references=cable_text.references,
        url=permalinks.cable_url(ref_id, created),
        paragraphs=cable_paragraphs(cable_text.paragraphs, ref_id, created, permalinks),
        source=Source(FORMAT, where),
    )
