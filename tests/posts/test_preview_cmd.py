"""`cablebot preview`: what a paragraph becomes on each network, byte for byte what would be sent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.posts.lengths import BlueskyRules
from bot.posts.render import render_thread
from bot.posts.templates import TemplateSet
from tests.support import REPO_ROOT

POST_KEYS = {"text", "length", "limit", "quote", "facets"}


@pytest.fixture
def sample(cli, tmp_path: Path) -> Path:
    """The bundled sample in the store, and a config pointing at the project's templates."""
    assert cli("ingest", "--sample").exit_code == 0
    config = tmp_path / "bot.toml"
    config.write_text(f'[templates]\ndir = "{REPO_ROOT / "templates"}"\n', encoding="utf-8")
    return config


def test_json_for_one_network_is_exactly_the_documented_shape(cli, sample: Path) -> None:
    result = cli(
        "preview",
        "08ASTANA2079",
        "--paragraph",
        "3",
        "--network",
        "bluesky",
        "--format",
        "json",
        "--config",
        str(sample),
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) == {"ref_id", "paragraph", "network", "posts"}
    assert [document[k] for k in ("ref_id", "paragraph", "network")] == ["08ASTANA2079", "3", "bluesky"]
    assert document["posts"] and all(set(p) == POST_KEYS for p in document["posts"])
    first = document["posts"][0]
    assert first["limit"] == 300 and first["length"] <= 300
    features = [f["features"][0] for f in first["facets"]]
    assert {"$type": "app.bsky.richtext.facet#tag", "tag": "cablegate"} in features
    assert {
        "$type": "app.bsky.richtext.facet#link",
        "uri": "https://wikileaks.org/cable/2008/10/08ASTANA2079.html#par3",
    } in features
    for facet in first["facets"]:
        start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
        assert first["text"].encode("utf-8")[start:end].decode("utf-8") in (
            "#cablegate",
            "#08ASTANA2079",
            "wikileaks.org/cable/2008/10/08ASTANA2079.html#par3",
        )


def test_the_preview_is_what_the_renderer_gives_the_network(cli, sample: Path) -> None:
    from bot.store import open_store

    result = cli(
        "preview",
        "08ASTANA2079",
        "-p",
        "3",
        "--network",
        "bluesky",
        "--format",
        "json",
        "--config",
        str(sample),
    )
    with open_store(f"sqlite:///{cli.env['CABLEBOT_DATA_DIR']}/cablebot.db") as store:
        cable = store.get_cable("08ASTANA2079")
    thread = render_thread(
        cable,
        cable.paragraph("3"),
        network="bluesky",
        rules=BlueskyRules(),
        templates=TemplateSet(REPO_ROOT / "templates"),
    )
    posts = json.loads(result.stdout)["posts"]
    assert [p["text"] for p in posts] == [p.text for p in thread.posts]
    assert [p["facets"] for p in posts] == [[f.to_atproto() for f in p.facets] for p in thread.posts]


def test_without_network_the_configured_accounts_networks_are_previewed_as_a_list(cli, sample: Path) -> None:
    sample.write_text(
        sample.read_text(encoding="utf-8")
        + '[accounts.newsroom]\nnetwork = "mastodon"\nmax_characters = 1200\n'
        + '[accounts.local]\nnetwork = "outbox"\n',
        encoding="utf-8",
    )
    result = cli("preview", "08ASTANA2079", "-p", "3", "--format", "json", "--config", str(sample))
    assert result.exit_code == 0, result.stderr
    documents = json.loads(result.stdout)
    assert [d["network"] for d in documents] == ["mastodon", "outbox"]
    assert documents[0]["posts"][0]["limit"] == 1200  # the account's instance limit
    assert all(d["posts"][0]["facets"] == [] for d in documents)


def test_without_accounts_every_installed_network_is_previewed(cli, sample: Path) -> None:
    pytest.importorskip("bot.networks.x", reason="the X adapter (bot.networks.x) is not written yet")
    result = cli("preview", "08ASTANA2079", "-p", "3", "--format", "json", "--config", str(sample))
    assert result.exit_code == 0, result.stderr
    assert sorted(d["network"] for d in json.loads(result.stdout)) == ["bluesky", "mastodon", "outbox", "x"]


def test_text_output_shows_each_post_with_its_length(cli, sample: Path) -> None:
    result = cli("preview", "08ASTANA2079", "-p", "1", "--network", "outbox", "--config", str(sample))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("outbox: 08ASTANA2079 ¶1, 1 post\n--- 1/1 (")
    assert "#cablegate #08ASTANA2079" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--network", "myspace"], "unknown network 'myspace'; installed networks:"),
        (["--network", "outbox", "-p", "99"], "cable 08ASTANA2079 has no paragraph '99'; its paragraphs: 1,"),
    ],
)
def test_bad_input_is_a_clear_error_without_a_traceback(cli, sample: Path, args: list, message: str) -> None:
    argv = ["preview", "08ASTANA2079", "--config", str(sample), *args]
    if "-p" not in args:
        argv += ["-p", "3"]
    result = cli(*argv)
    assert result.exit_code == 1
    assert message in result.stderr and "Traceback" not in result.stderr


def test_an_unknown_cable_is_a_clear_error(cli, sample: Path) -> None:
    result = cli("preview", "99NOWHERE1", "-p", "1", "--network", "outbox", "--config", str(sample))
    assert result.exit_code == 1
    assert "cable 99NOWHERE1 is not in the store" in result.stderr and "Traceback" not in result.stderr


def test_a_broken_template_names_cable_paragraph_network_and_file(cli, sample: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.j2"
    broken.write_text("{{ quote }} {{ hashtags }} {{ permalink }}\n{{ editor_name }}\n", encoding="utf-8")
    sample.write_text(sample.read_text(encoding="utf-8") + f'outbox = "{broken}"\n', encoding="utf-8")
    result = cli("preview", "08ASTANA2079", "-p", "3", "--network", "outbox", "--config", str(sample))
    assert result.exit_code == 1
    expected = f"cable 08ASTANA2079 paragraph 3 for outbox: {broken}:2: 'editor_name' is undefined"
    assert expected in result.stderr
