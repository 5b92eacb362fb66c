"""The entry point: a command loads only what it uses, so that `cablebot next` starts quickly."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.support import REPO_ROOT, cablebot_env

# What `next` never needs: Alembic (with Mako) when the schema is current, the networks' SDKs, the
# renderer's Jinja and the worker's scheduler. Each costs tens of milliseconds of imports.
NOT_FOR_NEXT = {"alembic", "mako", "tweepy", "atproto", "atproto_client", "mastodon", "jinja2", "apscheduler"}

# `cablebot ARGS` as the console script runs it, then the top-level packages it loaded (on stderr).
RUN = textwrap.dedent("""
    import json, sys
    from bot.cli.app import main
    sys.argv = ["cablebot", *sys.argv[1:]]
    try:
        main()
    except SystemExit as e:
        code = e.code
    loaded = sorted({m.split(".")[0] for m in sys.modules})
    print(json.dumps({"code": code, "loaded": loaded}), file=sys.stderr)
""")


@pytest.mark.parametrize("output", ["text", "json"])
def test_next_on_a_current_store_loads_neither_alembic_nor_a_network_sdk(cli, tmp_path, output):
    assert cli("ingest", "--sample").exit_code == 0  # the store is created and migrated here
    ran = subprocess.run(
        [sys.executable, "-c", RUN, "next", "-n", "2", "--format", output],
        cwd=REPO_ROOT,
        env=cablebot_env({"CABLEBOT_DATA_DIR": str(tmp_path / "var"), "COLUMNS": "200"}),
        capture_output=True,
        text=True,
    )
    report = json.loads(ran.stderr.strip().splitlines()[-1])
    assert report["code"] == 0, ran.stderr
    assert "08ASTANA2079" in ran.stdout
    assert NOT_FOR_NEXT.isdisjoint(report["loaded"]), sorted(NOT_FOR_NEXT & set(report["loaded"]))
