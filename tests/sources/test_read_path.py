"""Reading files and folders: formats told by content, one item per cable, errors instead of tracebacks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.errors import ParseError
from bot.model import Cable
from bot.sources import decode_bytes, detect_format, read_path
from tests.support import cables_dir

SAMPLE = Path(__file__).resolve().parents[2] / "bot" / "samples" / "08ASTANA2079.txt"


def test_detect_format_by_content():
    assert detect_format("<?xml version='1.0' encoding='utf-8' ?>\n<!DOCTYPE html") == "html"
    assert (
        detect_format("10ASTANA72\nTITLE\nFri Jan 01 00:00:00 +0100 2010\nSECRET\nEmbassy Astana\n")
        == "text-export"
    )
    assert detect_format('"1","12/28/1966 18:48","66BUENOSAIRES2481","Embassy Buenos Aires"') == "csv"
    assert detect_format(SAMPLE.read_text(encoding="utf-8")) == "plain-text"
    assert detect_format('# Notes\nThe <table class="cable"> element holds the metadata.') is None
    assert detect_format("Dear editor, here is my shopping list.") is None
    assert detect_format("") is None


def test_a_cable_is_recognised_whatever_its_file_name(tmp_path: Path):
    shutil.copy(SAMPLE, tmp_path / "notes.html")
    [cable] = list(read_path(tmp_path / "notes.html"))
    assert isinstance(cable, Cable) and cable.ref_id == "08ASTANA2079"
    assert cable.source.format == "plain-text" and cable.source.location == str(tmp_path / "notes.html")


def test_a_folder_is_walked_recursively_in_sorted_order_and_bad_files_do_not_stop_it(tmp_path: Path):
    (tmp_path / "b" / "deeper").mkdir(parents=True)
    shutil.copy(SAMPLE, tmp_path / "b" / "deeper" / "z.txt")
    shutil.copy(SAMPLE, tmp_path / "a.txt")
    (tmp_path / "b" / "not-a-cable.txt").write_text("Dear editor,\nnothing to see here.\n", encoding="utf-8")
    (tmp_path / "b" / "binary.txt").write_bytes(b"\x00\x01\x02PNG\x00" * 50)
    (tmp_path / ".hidden.txt").write_text("ignored", encoding="utf-8")
    items = list(read_path(tmp_path))
    # a.txt, b/binary.txt, b/deeper/z.txt, b/not-a-cable.txt
    assert [type(i).__name__ for i in items] == ["Cable", "ParseError", "Cable", "ParseError"]
    assert "binary.txt" in str(items[1]) and "not a cable" in str(items[1])
    assert items[2].source.location.endswith("z.txt")
    assert "not-a-cable.txt" in str(items[3]) and "not a cable" in str(items[3])


def test_a_missing_path_is_one_error():
    [error] = list(read_path(Path("/nowhere/at/all")))
    assert isinstance(error, ParseError) and "/nowhere/at/all" in str(error)


def test_cp1252_text_is_read_when_that_is_clearly_what_it_is(tmp_path: Path):
    text = SAMPLE.read_text(encoding="utf-8").replace("\u00a0", " ").replace("Saparov", "Sápärov")
    path = tmp_path / "cp1252.txt"
    path.write_bytes(text.encode("cp1252"))
    [cable] = list(read_path(path))
    assert isinstance(cable, Cable)
    assert "Colonel Nygmedzhan Sápärov" in cable.paragraph("3").text


def test_an_unreadable_encoding_is_reported():
    data = b"08ASTANA2079\n" + bytes(range(128, 256)) * 20
    with pytest.raises(ParseError, match="unreadable encoding") as info:
        decode_bytes(data, where="odd.txt")
    assert "odd.txt" in str(info.value)


def test_utf16_with_a_byte_order_mark_and_utf8_with_a_bom_are_read(tmp_path: Path):
    text = SAMPLE.read_text(encoding="utf-8")
    for name, data in (("u16.txt", text.encode("utf-16")), ("bom.txt", b"\xef\xbb\xbf" + text.encode())):
        (tmp_path / name).write_bytes(data)
        [cable] = list(read_path(tmp_path / name))
        assert isinstance(cable, Cable) and cable.ref_id == "08ASTANA2079", name


@pytest.mark.corpus
def test_the_whole_shared_corpus_reads_without_a_single_error():
    items = list(read_path(cables_dir()))
    errors = [i for i in items if isinstance(i, ParseError)]
    cables = [i for i in items if isinstance(i, Cable)]
    # README.md is the only file that is no cable.
    assert [Path(e.where).name for e in errors] == ["README.md"]
    assert len(cables) == 1295 + 57 + 1
    assert {c.source.format for c in cables} == {"html", "text-export", "plain-text"}


@pytest.mark.corpus
def test_a_truncated_page_file_is_reported_and_the_rest_goes_on(tmp_path: Path):
    pages = sorted((cables_dir() / "html").glob("*.html"))[:3]
    for page in pages:
        shutil.copy(page, tmp_path / page.name)
    middle = tmp_path / pages[1].name
    middle.write_bytes(middle.read_bytes()[: len(middle.read_bytes()) - 3000])
    items = list(read_path(tmp_path))
    assert [type(i).__name__ for i in items] == ["Cable", "ParseError", "Cable"]
    assert "truncated page" in str(items[1]) and pages[1].name in str(items[1])
