"""The full release's CSV: built here from real pages by bench/make_release_csv.py, read back row by row."""

from __future__ import annotations

import csv
import importlib.util
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import ParseError
from bot.model import Cable
from bot.sources import detect_format, iter_release_csv, parse_document, read_path
from bot.sources.release_csv import parse_release_row
from tests.support import cables_dir

REPO_ROOT = Path(__file__).resolve().parents[2]


def _builder():
    spec = importlib.util.spec_from_file_location(
        "make_release_csv", REPO_ROOT / "bench" / "make_release_csv.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(**fields: str) -> list[str]:
    row = {
        "id": "7",
        "date": "10/20/2008 11:03",
        "ref_id": "08ASTANA2079",
        "origin": "Embassy Astana",
        "classification": "UNCLASSIFIED//FOR OFFICIAL USE ONLY",
        "references": "",
        "header": "VZCZCXRO9445\nO 201103Z OCT 08",
        "body": (
            "UNCLAS ASTANA 002079\n\nSUBJECT: A TEST\n\n1. (U) First.\n\n2. (SBU) Second\nline.\n\nHOAGLAND"
        ),
    }
    row.update(fields)
    return list(row.values())


def test_a_row_becomes_a_cable_with_the_csv_date_in_utc():
    cable = parse_release_row(_row(), where="cables.csv:row 1")
    assert isinstance(cable, Cable)
    assert cable.created == datetime(2008, 10, 20, 11, 3, tzinfo=UTC)
    assert cable.released is None
    assert (cable.ref_id, cable.origin, cable.subject) == ("08ASTANA2079", "Embassy Astana", "A TEST")
    assert [(p.number, p.marking, p.text) for p in cable.paragraphs] == [
        ("1", "U", "First."),
        ("2", "SBU", "Second line."),
    ]
    assert cable.paragraph("2").url == "https://wikileaks.org/cable/2008/10/08ASTANA2079.html#par2"
    assert str(cable.source) == "csv:cables.csv:row 1"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (_row()[:5], "expected 8 columns"),
        (_row(date="2008-10-20"), "column 2"),
        (_row(date="13/45/2008 11:03"), "column 2"),
        (_row(ref_id="not an id"), "column 3"),
    ],
)
def test_a_bad_row_is_a_parse_error_naming_the_row(row, reason):
    error = parse_release_row(row, where="cables.csv:row 12")
    assert isinstance(error, ParseError)
    assert reason in str(error) and "cables.csv:row 12" in str(error)


def test_a_malformed_row_in_the_middle_does_not_stop_the_stream(tmp_path: Path):
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(_row(id="1"))
    writer.writerow(["2", "10/20/2008 11:03", "08ASTANA2080"])  # three columns
    writer.writerow(_row(id="3", ref_id="08ASTANA2081"))
    path = tmp_path / "cables.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    items = [item for _, item in iter_release_csv(path)]
    assert [type(i).__name__ for i in items] == ["Cable", "ParseError", "Cable"]
    assert "row 2" in str(items[1]) and str(path) in str(items[1])
    assert items[2].ref_id == "08ASTANA2081"


def test_bytes_read_grow_to_the_file_size(tmp_path: Path):
    path = tmp_path / "cables.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
        for n in range(300):
            writer.writerow(_row(id=str(n), ref_id=f"08ASTANA{n + 1}"))
    consumed = [c for c, _ in iter_release_csv(path)]
    assert len(consumed) == 300
    assert consumed == sorted(consumed) and consumed[-1] == path.stat().st_size


def test_a_row_that_is_not_utf8_is_read_as_cp1252(tmp_path: Path):
    path = tmp_path / "cables.csv"
    text = io.StringIO()
    csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\n").writerow(_row(origin="Embassy Bogotá"))
    path.write_bytes(text.getvalue().encode("cp1252"))
    [(_, cable)] = list(iter_release_csv(path))
    assert cable.origin == "Embassy Bogotá"


def test_a_missing_file_is_one_parse_error(tmp_path: Path):
    [(_, error)] = list(iter_release_csv(tmp_path / "nowhere.csv"))
    assert isinstance(error, ParseError) and "nowhere.csv" in str(error)


@pytest.mark.corpus
def test_a_csv_built_from_the_real_pages_gives_the_pages_paragraphs(tmp_path: Path):
    html = cables_dir() / "html"
    builder = _builder()
    path = tmp_path / "cables.csv"
    pages = len(list(html.glob("*.html")))
    builder.write_release_csv(html, path, rows=pages + 40)
    assert detect_format(path.read_text(encoding="utf-8")[:4096]) == "csv"

    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    assert {len(r) for r in rows} == {8} and rows[0][0] == "1"
    assert rows[pages][2] == rows[0][2] + "A1"  # the second lap makes reference IDs unique

    items = list(read_path(path))
    assert len(items) == pages + 40
    assert all(isinstance(i, Cable) for i in items)
    by_page = {p.stem: p for p in sorted(html.glob("*.html"))}
    same = 0
    for cable in items[:pages]:
        page = parse_document(by_page[cable.ref_id].read_text(encoding="utf-8"), where="page")
        assert cable.created == page.created and cable.url == page.url
        assert (cable.classification, cable.origin) == (page.classification, page.origin)
        assert [p.number for p in cable.paragraphs] == [p.number for p in page.paragraphs], cable.ref_id
        same += cable.paragraphs == page.paragraphs
    assert same == pages  # markings, text and permalinks too
    lap2 = items[pages]
    assert lap2.ref_id.endswith("A1") and lap2.paragraphs[0].url.endswith(
        f"/{lap2.ref_id}.html#par{lap2.paragraphs[0].number}"
    )


def test_the_builder_never_writes_into_the_repository(tmp_path: Path):
    with pytest.raises(SystemExit, match="inside the repository"):
        _builder().write_release_csv(tmp_path, REPO_ROOT / "cables.csv", rows=1)
