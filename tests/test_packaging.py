"""What a built cablebot carries: an installed cablebot must run outside the project folder."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support import REPO_ROOT


@pytest.mark.slow
def test_the_wheel_carries_the_templates_the_sample_the_migrations_and_the_reader(tmp_path: Path) -> None:
    # Built from a clean copy: a build/ folder left in the checkout would be packed as it is.
    source = tmp_path / "source"
    shutil.copytree(
        REPO_ROOT,
        source,
        ignore=shutil.ignore_patterns(".*", "build", "dist", "var", "*.egg-info", "__pycache__", "*.so"),
    )
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("cablebot-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (REPO_ROOT / "templates").glob("*.j2"):
        shipped = zipfile.ZipFile(wheel).read(f"bot/_templates/{template.name}").decode("utf-8")
        assert shipped == template.read_text(encoding="utf-8")
    assert {f"bot/_templates/{n}.j2" for n in ("x", "bluesky", "mastodon", "outbox")} <= names
    assert "bot/samples/08ASTANA2079.txt" in names
    assert "bot/picks/wording.tsv" in names  # signals.py loads it at import: a wheel without it cannot pick
    for migration in (REPO_ROOT / "bot" / "store" / "migrations" / "versions").glob("*.py"):
        assert f"bot/store/migrations/versions/{migration.name}" in names
    assert any(n.startswith("bot/picks/_reading.") and n.endswith(".so") for n in names)
