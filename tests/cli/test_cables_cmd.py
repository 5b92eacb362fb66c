"""`cablebot ingest`, `show` and `export`, as a person and a script use them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import cables_dir, run_cablebot

EXPORT_FIELDS = {
    "ref_id",
    "created",
    "released",
    "classification",
    "origin",
    "subject",
    "tags",
    "references",
    "url",
    "paragraphs",
    "source",
}


def test_the_bundled_sample_is_ingested_and_shown_with_its_permalinks(cli):
    ingested = cli("ingest", "--sample")
    assert ingested.exit_code == 0, ingested.stderr
    assert "ingested 1," in ingested.stdout
    shown = cli("show", "08ASTANA2079")
    assert shown.exit_code == 0, shown.stderr
    assert "Embassy Astana" in shown.stdout
    assert "https://wikileaks.org/cable/2008/10/08ASTANA2079.html#par6" in shown.stdout
    assert "¶9" in shown.stdout


def test_show_as_json_has_the_export_fields_and_every_paragraph(cli):
    cli("ingest", "--sample")
    cable = json.loads(cli("show", "08ASTANA2079", "--format", "json").stdout)
    assert set(cable) == EXPORT_FIELDS
    assert [p["number"] for p in cable["paragraphs"]] == [str(n) for n in range(1, 10)]
    assert cable["created"] == "2008-10-20T11:03:00Z"
    assert set(cable["source"]) == {"format", "location"}


def test_export_writes_one_json_object_per_cable_with_exactly_the_published_fields(cli, tmp_path):
    pages = _copy_pages(tmp_path, 3)
    assert cli("ingest", str(pages), "--sample").exit_code == 0
    result = cli("export")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    for line in lines:
        cable = json.loads(line)
        assert set(cable) == EXPORT_FIELDS
        assert cable["released"] is None or cable["released"].endswith("Z")
        for paragraph in cable["paragraphs"]:
            assert set(paragraph) == {"number", "marking", "text", "url"}
            assert paragraph["url"] is None or paragraph["url"].startswith(cable["url"] + "#par")


def test_an_unknown_cable_is_a_clear_error_without_a_traceback(cli):
    result = cli("show", "09NOWHERE123")
    assert result.exit_code == 1
    assert "09NOWHERE123 is not in the store" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_ingest_without_anything_to_read_says_what_to_give(cli):
    result = cli("ingest")
    assert result.exit_code == 1
    assert "cablebot ingest PATH" in result.stderr


def test_bad_inputs_are_each_reported_with_file_and_reason_and_the_rest_is_ingested(cli, tmp_path):
    folder = _copy_pages(tmp_path, 2)
    page = next(folder.iterdir()).read_bytes()
    (folder / "notes.txt").write_text("Minutes of the editors' meeting: nothing to see.\n", encoding="utf-8")
    (folder / "truncated.html").write_bytes(page[: int(len(page) * 0.8)])
    (folder / "empty.txt").write_bytes(b"")
    (folder / "latin1.txt").write_bytes(page.replace(b"e", b"\xe9\xff"))

    result = cli("ingest", str(folder))

    assert result.exit_code == 1
    assert "Traceback" not in result.stderr + result.stdout
    for name, reason in [
        ("notes.txt", "not a cable"),
        ("truncated.html", "truncated"),
        ("empty.txt", "not a cable"),
        ("latin1.txt", "encoding"),
    ]:
        [line] = [line for line in result.stderr.splitlines() if name in line]
        assert reason in line, line
    assert "ingested 2, updated 0, skipped 0 (unchanged), failed 4" in result.stdout


def test_the_json_summary_lists_counts_and_failures(cli, tmp_path):
    folder = _copy_pages(tmp_path, 1)
    (folder / "notes.txt").write_text("not a cable\n", encoding="utf-8")
    result = cli("ingest", str(folder), str(tmp_path / "missing"), "--format", "json")
    summary = json.loads(result.stdout)
    assert result.exit_code == 1
    assert {k: summary[k] for k in ("ingested", "updated", "skipped", "failed")} == {
        "ingested": 1,
        "updated": 0,
        "skipped": 0,
        "failed": 2,
    }
    assert {f["where"] for f in summary["failures"]} == {str(folder / "notes.txt"), str(tmp_path / "missing")}


def test_a_cable_without_numbered_paragraphs_is_stored_with_a_warning_naming_it(cli):
    metadata_only = _metadata_only_export()
    result = cli("ingest", str(metadata_only))
    assert result.exit_code == 0, result.stderr
    assert f"warning {metadata_only.stem}" in result.stderr
    assert json.loads(cli("show", metadata_only.stem, "--format", "json").stdout)["paragraphs"] == []


def test_an_unreachable_database_is_a_clear_error_without_the_password(cli):
    result = cli(
        "show", "08ASTANA2079", env={"DATABASE_URL": "postgres://editor:s3cr3t-pw@127.0.0.1:1/cables"}
    )
    assert result.exit_code == 1
    assert "127.0.0.1:1" in result.stderr and "DATABASE_URL" in result.stderr
    assert "s3cr3t-pw" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_reingesting_the_same_files_skips_them_all(cli, tmp_path):
    folder = _copy_pages(tmp_path, 5)
    cli("ingest", str(folder))
    again = json.loads(cli("ingest", str(folder), "--format", "json").stdout)
    assert (again["ingested"], again["updated"], again["skipped"], again["failed"]) == (0, 0, 5, 0)


def test_the_real_command_ingests_and_shows_the_sample(tmp_path):
    env = {"CABLEBOT_DATA_DIR": str(tmp_path / "var")}
    ingested = run_cablebot("ingest", "--sample", "--format", "json", env=env)
    assert ingested.returncode == 0, ingested.stderr
    assert json.loads(ingested.stdout)["ingested"] == 1
    assert (tmp_path / "var" / "cablebot.db").exists()
    shown = run_cablebot("show", "08ASTANA2079", "--format", "json", env=env)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["paragraphs"][5]["url"].endswith("08ASTANA2079.html#par6")
    missing = run_cablebot("show", "10NOWHERE1", env=env)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr


def _copy_pages(tmp_path: Path, count: int) -> Path:
    """A folder of `count` real pages (copied out of the shared corpus, so tests can add bad files)."""
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    for page in sorted((cables_dir() / "html").glob("*.html"))[:count]:
        shutil.copy(page, folder / page.name)
    return folder


def _metadata_only_export() -> Path:
    for path in sorted((cables_dir() / "text").glob("*.txt")):
        if len(path.read_text(encoding="utf-8", errors="replace").strip().splitlines()) <= 5:
            return path
    pytest.fail("the shared corpus has no metadata-only text export (its README says it has 25)")


def _ingest_the_pages_on_a_terminal(tmp_path: Path, interrupt: bool = False) -> tuple[int, str, str]:
    """`cablebot ingest` of the real pages with stderr on a terminal (a pty), as an editor runs it; with
    `interrupt`, an editor's Ctrl-C as soon as the progress bar counts bytes. Returns the exit code, what
    the terminal showed and stdout."""
    import os
    import pty
    import signal

    from tests.support import REPO_ROOT, cablebot_env

    env = cablebot_env({"CABLEBOT_DATA_DIR": str(tmp_path / "var"), "COLUMNS": "120", "TERM": "xterm"})
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("cablebot")), "ingest", str(cables_dir() / "html")],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=terminal,
        text=True,
        # A Ctrl-C must reach the command even when this test runs under a runner that ignores SIGINT.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    os.close(terminal)
    seen = b""
    if interrupt:
        while b"MB" not in seen:  # the progress bar counts bytes read: the ingest is under way
            seen += os.read(controller, 65536)
        process.send_signal(signal.SIGINT)
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the command is done
            break
        if not chunk:
            break
        seen += chunk
    stdout = process.communicate(timeout=300)[0]
    os.close(controller)
    return process.returncode, seen.decode("utf-8", "replace"), stdout


def test_on_a_terminal_ingest_shows_a_progress_bar_and_in_a_pipe_nothing_but_the_summary(tmp_path):
    code, seen, stdout = _ingest_the_pages_on_a_terminal(tmp_path)
    assert code == 0
    assert "ingesting" in seen and "MB" in seen  # the bar counts bytes read
    assert stdout.startswith("ingested 1,295,")
    piped = run_cablebot("ingest", "--sample", env={"CABLEBOT_DATA_DIR": str(tmp_path / "var")})
    assert "ingesting" not in piped.stderr


def test_an_interrupted_ingest_says_what_is_stored_and_a_second_run_finishes_it(tmp_path):
    code, said, _ = _ingest_the_pages_on_a_terminal(tmp_path, interrupt=True)
    assert code == 130, said[-2000:]
    assert "interrupted: the store" in said and "run the same command again" in said
    assert "Traceback" not in said

    again = run_cablebot(
        "ingest", str(cables_dir() / "html"), env={"CABLEBOT_DATA_DIR": str(tmp_path / "var")}
    )
    assert again.returncode == 0, again.stderr
    summary = again.stdout.splitlines()[0]
    counts = {word: int(n.replace(",", "")) for word, n in re.findall(r"(\w+) ([\d,]+)", summary)}
    held = int(re.search(r"holds ([\d,]+) cables", said).group(1).replace(",", ""))
    # What the message said was stored is exactly what the second run finds stored (and skips).
    assert counts["skipped"] == held and counts["ingested"] + counts["skipped"] == 1295
    assert counts["failed"] == 0
