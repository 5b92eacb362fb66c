"""The editors' [picks] settings: defaults, and errors that name the key."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import parse_config
from bot.errors import ConfigError
from bot.picks.settings import DEFAULT_WEIGHTS, parse_duration, parse_picks
from bot.picks.signals import SIGNALS


def test_every_signal_has_a_default_weight_and_editors_may_override_any():
    assert set(DEFAULT_WEIGHTS) == set(SIGNALS) | {"boost"}
    settings = parse_picks({"weights": {"candour": 5, "boilerplate": -10.5}})
    assert settings.weights["candour"] == 5.0
    assert settings.weights["boilerplate"] == -10.5
    assert settings.weights["quotation"] == DEFAULT_WEIGHTS["quotation"]


def test_the_shipped_config_is_valid():
    import tomllib
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "config" / "bot.toml"
    config = parse_config(tomllib.loads(path.read_text(encoding="utf-8")), path)
    settings = parse_picks(config.picks, config.where())
    assert settings.same_cable_window == timedelta(days=3)


def test_the_weights_the_shipped_config_shows_editors_are_the_defaults():
    """Editors read the commented weights in config/bot.toml as the defaults: they follow each relearning."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "config" / "bot.toml").read_text(encoding="utf-8")
    section = text.split("[picks.weights]", 1)[1].split("\n\n", 1)[0]
    shown = {name: float(value) for name, value in re.findall(r"^# (\w+) = (-?[\d.]+)", section, re.M)}
    assert len(shown) >= 5
    assert shown == {name: DEFAULT_WEIGHTS[name] for name in shown}


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ({"wieghts": {}}, "wieghts"),
        ({"weights": {"candor": 1}}, "candor"),
        ({"weights": {"candour": "high"}}, "candour"),
        ({"boost": "Gaddafi"}, "boost"),
        ({"block": [1, 2]}, "block"),
        ({"exclude_paragraphs": ["08ASTANA2079-1"]}, "exclude_paragraphs"),
        ({"same_cable_window": "three days"}, "same_cable_window"),
        ({"variety": {"recent_posts": -1}}, "recent_posts"),
        ({"variety": {"origin_penality": 1}}, "origin_penality"),
        ({"protect": {"pattern": ["x"]}}, "pattern"),
        ({"release": [{"ref_id": "05MADRID569", "paragraph": "3"}]}, "reason"),
        ({"release": {"ref_id": "05MADRID569"}}, "release"),
        ({"queue_paragraphs": 0}, "queue_paragraphs"),
    ],
)
def test_a_bad_setting_is_an_error_naming_the_key(table, named):
    with pytest.raises(ConfigError) as error:
        parse_picks(table, "config/bot.toml")
    assert named in str(error.value)
    assert "config/bot.toml" in str(error.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3d", timedelta(days=3)),
        ("12h", timedelta(hours=12)),
        ("1d12h", timedelta(hours=36)),
        ("90m", timedelta(minutes=90)),
        ("45s", timedelta(seconds=45)),
        ("1w", timedelta(weeks=1)),
    ],
)
def test_durations_read_as_editors_write_them(text, expected):
    assert parse_duration(text, "same_cable_window") == expected
