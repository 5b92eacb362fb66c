"""`cablebot post`, `history` and `check`, run as a person runs them (bot.cli.app.main)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.networks.conftest import PDS_ACCOUNTS
from tests.peers.mastodon import mastodon_instance
from tests.support import REPO_ROOT


def ingest_sample(store) -> None:
    """The bundled sample cable, in the store."""
    from importlib.resources import files

    from bot.sources import parse_document

    text = (files("bot") / "samples" / "08ASTANA2079.txt").read_text(encoding="utf-8")
    store.save_cables([parse_document(text, where="sample")])


def write_config(tmp_path: Path, accounts: str) -> str:
    path = tmp_path / "bot.toml"
    path.write_text(f'[templates]\ndir = "{REPO_ROOT / "templates"}"\n\n{accounts}', encoding="utf-8")
    return str(path)


LOCAL = '[accounts.local]\nnetwork = "outbox"\npath = "{path}"\n'


@pytest.fixture
def outbox_config(tmp_path, cli) -> tuple[str, Path]:
    outbox = tmp_path / "outbox.jsonl"
    assert cli("ingest", "--sample").exit_code == 0
    return write_config(tmp_path, LOCAL.format(path=outbox)), outbox


def test_post_publishes_to_the_outbox_and_prints_each_post(cli, outbox_config):
    config, outbox = outbox_config
    result = cli(
        "post",
        "08ASTANA2079",
        "--paragraph",
        "3",
        "--account",
        "local",
        "--config",
        config,
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    entries = json.loads(result.stdout)
    assert {e["account"] for e in entries} == {"local"} and {e["network"] for e in entries} == {"outbox"}
    assert all(e["status"] == "sent" and e["remote_id"] and e["url"].startswith("file://") for e in entries)
    [line] = [json.loads(x) for x in outbox.read_text(encoding="utf-8").splitlines()]
    assert (line["ref_id"], line["paragraph"]) == ("08ASTANA2079", "3")
    assert "https://wikileaks.org/cable/2008/10/08ASTANA2079.html#par3" in line["posts"][-1]
    assert all("#cablegate" in text and "#08ASTANA2079" in text for text in line["posts"][-1:])

    text = cli("post", "08ASTANA2079", "-p", "7", "--config", config)
    assert text.exit_code == 0
    assert "local" in text.stdout and "sent" in text.stdout and "file://" in text.stdout


def test_post_refuses_a_paragraph_already_posted_unless_forced(cli, outbox_config):
    config, outbox = outbox_config
    assert cli("post", "08ASTANA2079", "-p", "3", "--config", config).exit_code == 0
    again = cli("post", "08ASTANA2079", "-p", "3", "--config", config)
    assert again.exit_code == 1 and "already posted" in again.stderr and "--force" in again.stderr
    assert "Traceback" not in again.stderr
    forced = cli("post", "08ASTANA2079", "-p", "3", "--force", "--config", config, "--format", "json")
    assert forced.exit_code == 0 and {e["generation"] for e in json.loads(forced.stdout)} == {1}
    assert len(outbox.read_text().splitlines()) == 2


def test_post_without_a_paragraph_takes_the_best_one_not_yet_posted(cli, outbox_config):
    config, _ = outbox_config
    chosen = []
    for _ in range(2):
        result = cli("post", "08ASTANA2079", "--config", config, "--format", "json")
        assert result.exit_code == 0, result.stderr
        chosen.append(json.loads(result.stdout)[0]["paragraph"])
    assert chosen[0] != chosen[1]


def ledger_rows(cli) -> list:
    return json.loads(cli("history", "--format", "json").stdout)


def test_a_dry_run_shows_the_posts_and_neither_publishes_nor_records(cli, outbox_config):
    config, outbox = outbox_config
    result = cli("post", "08ASTANA2079", "-p", "3", "--dry-run", "--config", config, "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows
    assert {(r["account"], r["network"], r["status"]) for r in rows} == {("local", "outbox", "dry-run")}
    assert [r["position"] for r in rows] == list(range(1, len(rows) + 1))
    text = "\n".join(r["text"] for r in rows)
    assert "https://wikileaks.org/cable/2008/10/08ASTANA2079.html#par3" in text
    assert "#cablegate" in text and "#08ASTANA2079" in text
    assert not outbox.exists()
    assert ledger_rows(cli) == []

    people = cli("post", "08ASTANA2079", "-p", "3", "--dry-run", "--config", config)
    assert people.exit_code == 0, people.stderr
    assert "dry run" in people.stdout and "local (outbox)" in people.stdout
    assert all(r["text"] in people.stdout for r in rows)
    assert not outbox.exists() and ledger_rows(cli) == []


def test_a_dry_run_renders_exactly_what_the_post_then_publishes(cli, outbox_config):
    config, outbox = outbox_config
    dry = cli("post", "08ASTANA2079", "--dry-run", "--config", config, "--format", "json")
    assert dry.exit_code == 0, dry.stderr
    planned = json.loads(dry.stdout)
    real = cli("post", "08ASTANA2079", "--config", config, "--format", "json")
    assert real.exit_code == 0, real.stderr
    [line] = [json.loads(x) for x in outbox.read_text(encoding="utf-8").splitlines()]
    assert (line["paragraph"], line["posts"]) == (planned[0]["paragraph"], [r["text"] for r in planned])
    # Once posted, a dry run refuses it as the post would, and with --force shows the next generation.
    again = cli("post", "08ASTANA2079", "-p", line["paragraph"], "--dry-run", "--config", config)
    assert again.exit_code == 1 and "already posted" in again.stderr and "Traceback" not in again.stderr
    forced = cli(
        "post",
        "08ASTANA2079",
        "-p",
        line["paragraph"],
        "--dry-run",
        "--force",
        "--config",
        config,
        "--format",
        "json",
    )
    assert forced.exit_code == 0 and {r["generation"] for r in json.loads(forced.stdout)} == {1}
    assert len(outbox.read_text(encoding="utf-8").splitlines()) == 1
    assert len(ledger_rows(cli)) == len(planned)


def test_a_dry_run_needs_no_secret_and_calls_no_network(cli, tmp_path):
    assert cli("ingest", "--sample").exit_code == 0
    config = write_config(
        tmp_path,
        """
[accounts.newsroom-bsky]
network = "bluesky"
service = "http://127.0.0.1:9"
handle = "newsroom.example"
password_env = "DRY_RUN_TEST_UNSET_PASSWORD"
""",
    )
    result = cli(
        "post",
        "08ASTANA2079",
        "-p",
        "3",
        "--dry-run",
        "--config",
        config,
        "--format",
        "json",
        env={"DRY_RUN_TEST_UNSET_PASSWORD": None},
    )
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {r["network"] for r in rows} == {"bluesky"}
    assert all(r["length"] <= 300 for r in rows)
    assert ledger_rows(cli) == []


def test_post_names_the_accounts_when_several_exist_and_none_is_chosen(cli, tmp_path):
    two = LOCAL.format(path=tmp_path / "a") + LOCAL.replace("local", "other").format(path=tmp_path / "b")
    config = write_config(tmp_path, two)
    result = cli("post", "08ASTANA2079", "-p", "3", "--config", config)
    assert result.exit_code == 1 and "local" in result.stderr and "other" in result.stderr
    assert "--account" in result.stderr


def test_post_of_an_unknown_cable_says_to_ingest_it(cli, tmp_path):
    config = write_config(tmp_path, LOCAL.format(path=tmp_path / "o"))
    result = cli("post", "99NOWHERE1", "-p", "1", "--config", config)
    assert result.exit_code == 1 and "ingest" in result.stderr and "Traceback" not in result.stderr


def test_history_lists_every_post_with_its_place_in_the_thread(cli, outbox_config):
    config, _ = outbox_config
    assert cli("history").stdout.startswith("the ledger is empty")
    cli("post", "08ASTANA2079", "-p", "3", "--config", config)
    cli("post", "08ASTANA2079", "-p", "7", "--config", config)
    entries = json.loads(cli("history", "--format", "json").stdout)
    assert [e["paragraph"] for e in entries][:1] == ["7"]
    for entry in entries:
        assert {
            "account",
            "network",
            "ref_id",
            "paragraph",
            "status",
            "remote_id",
            "url",
            "at",
            "position",
            "parts",
        } <= set(entry)
    assert json.loads(cli("history", "--account", "nobody", "--format", "json").stdout) == []


def test_check_reports_every_problem_at_once(cli, tmp_path):
    config = write_config(
        tmp_path,
        """
[templates]
[accounts.newsroom-bsky]
network = "bluesky"
handle = "newsroom.example"
password_env = "CHECK_TEST_BSKY_PASSWORD"

[accounts.newsroom-x]
network = "x"
consumer_key_env = "CHECK_TEST_X_KEY"
consumer_secret_env = "CHECK_TEST_X_SECRET"
access_token_env = "CHECK_TEST_X_TOKEN"
access_token_secret_env = "CHECK_TEST_X_TOKEN_SECRET"

[accounts.newsroom-masto]
network = "mastodon"
access_token_env = "CHECK_TEST_MASTO_TOKEN"
cron = "0 25 * * *"

[accounts.mystery]
network = "friendster"
""".replace("[templates]\n", ""),
    )
    result = cli("check", "--config", config)
    assert result.exit_code == 1
    for expected in (
        "CHECK_TEST_BSKY_PASSWORD",
        "CHECK_TEST_X_KEY",
        "CHECK_TEST_X_TOKEN_SECRET",
        "[accounts.newsroom-masto]",
        "instance",
        "CHECK_TEST_MASTO_TOKEN",
        "cron",
        "friendster",
    ):
        assert expected in result.stderr, expected
    assert "Traceback" not in result.stderr


def test_check_finds_a_broken_template(cli, tmp_path):
    broken = tmp_path / "outbox.j2"
    broken.write_text("{{ no_such_thing }}", encoding="utf-8")
    config = write_config(tmp_path, '[accounts.local]\nnetwork = "outbox"\n')
    text = Path(config).read_text().replace("[templates]\n", f'[templates]\noutbox = "{broken}"\n')
    Path(config).write_text(text)
    result = cli("check", "--config", config)
    assert result.exit_code == 1 and "outbox" in result.stderr and "no_such_thing" in result.stderr


def test_check_passes_a_good_setup(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("CHECK_OK_PASSWORD", "app-pass-1234")
    config = write_config(
        tmp_path,
        LOCAL.format(path=tmp_path / "o")
        + """
[accounts.bsky]
network = "bluesky"
handle = "newsroom.example"
password_env = "CHECK_OK_PASSWORD"
""",
    )
    result = cli("check", "--config", config)
    assert result.exit_code == 0, result.stderr
    assert "2 accounts" in result.stdout


def test_commands_that_do_not_publish_never_import_a_network_sdk():
    code = (
        "import sys\n"
        "import bot.networks.bluesky, bot.networks.x, bot.networks.mastodon, bot.networks.outbox\n"
        "import bot.posting, bot.cli.app\n"
        "bot.cli.app._register_commands()\n"
        "from bot.networks.registry import installed_networks, network_class\n"
        "assert {'outbox', 'x', 'bluesky', 'mastodon'} <= set(installed_networks())\n"
        "assert network_class('bluesky').__name__ == 'BlueskyNetwork'\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('atproto', 'atproto_client', 'tweepy', "
        "'mastodon')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.pds
def test_post_to_bluesky_prints_the_at_uri_and_the_public_url(cli, tmp_path, pds):
    assert cli("ingest", "--sample").exit_code == 0
    handle, password = PDS_ACCOUNTS[0]
    config = write_config(
        tmp_path,
        f"""
[accounts.newsroom-bsky]
network = "bluesky"
service = "{pds.url}"
handle = "{handle}"
password_env = "CLI_TEST_BSKY_PASSWORD"
""",
    )
    result = cli(
        "post",
        "08ASTANA2079",
        "-p",
        "3",
        "--config",
        config,
        "--format",
        "json",
        env={"CLI_TEST_BSKY_PASSWORD": password},
    )
    assert result.exit_code == 0, result.stderr
    entries = json.loads(result.stdout)
    did = pds.account(handle).did
    assert all(e["remote_id"].startswith(f"at://{did}/app.bsky.feed.post/") for e in entries)
    assert all(e["url"].startswith(f"https://bsky.app/profile/{did}/post/") for e in entries)


def test_post_to_mastodon_through_the_cli(cli, tmp_path):
    assert cli("ingest", "--sample").exit_code == 0
    with mastodon_instance("cli-mastodon-token-42") as (server, instance):
        config = write_config(
            tmp_path,
            f"""
[accounts.masto]
network = "mastodon"
instance = "{server.url}"
access_token_env = "CLI_TEST_MASTODON_TOKEN"
""",
        )
        result = cli(
            "post",
            "08ASTANA2079",
            "-p",
            "3",
            "--config",
            config,
            "--format",
            "json",
            env={"CLI_TEST_MASTODON_TOKEN": "cli-mastodon-token-42"},
        )
    assert result.exit_code == 0, result.stderr
    assert [e["remote_id"] for e in json.loads(result.stdout)] == [s["id"] for s in instance.statuses]
