"""`cablebot pick` and `cablebot next` as a person and a script use them."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def sample_store(cli):
    result = cli("ingest", "--sample")
    assert result.exit_code == 0, result.stderr
    return cli


def test_pick_ranks_a_cables_paragraphs_best_first_with_reasons(sample_store):
    result = sample_store("pick", "08ASTANA2079", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["number"] for r in rows if not r["blocked"]]
    assert sorted(r["number"] for r in rows) == [str(n) for n in range(1, 10)]
    scores = [r["score"] for r in rows if not r["blocked"]]
    assert scores == sorted(scores, reverse=True)
    for r in rows:
        assert abs(sum(r["reasons"].values()) - r["score"]) < 1e-6
        assert r["url"].endswith(f"08ASTANA2079.html#par{r['number']}")


def test_pick_for_people_shows_the_ranking(sample_store):
    result = sample_store("pick", "08ASTANA2079")
    assert result.exit_code == 0, result.stderr
    assert "08ASTANA2079" in result.stdout and "score" in result.stdout


def test_pick_of_an_unknown_cable_says_so_without_a_traceback(sample_store):
    result = sample_store("pick", "99NOWHERE1")
    assert result.exit_code == 1
    assert "99NOWHERE1 is not in the store" in result.stderr and "Traceback" not in result.stderr


def test_next_says_what_would_be_posted_and_why(sample_store):
    result = sample_store("next", "-n", "1", "--format", "json")
    assert result.exit_code == 0, result.stderr
    [choice] = json.loads(result.stdout)
    assert choice["ref_id"] == "08ASTANA2079" and choice["reasons"] and choice["why"]
    assert choice["url"].endswith(f"#par{choice['number']}")
    people = sample_store("next")
    assert "08ASTANA2079" in people.stdout


def test_rescore_rescores_the_store(sample_store):
    result = sample_store("pick", "--rescore", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"rescored": 1}


def test_a_bad_picks_setting_is_reported_with_its_key(sample_store, tmp_path):
    config = tmp_path / "bot.toml"
    config.write_text('[picks]\nsame_cable_window = "soon"\n', encoding="utf-8")
    result = sample_store("next", "--config", str(config))
    assert result.exit_code == 1
    assert "same_cable_window" in result.stderr and "Traceback" not in result.stderr


def test_help_lists_pick_and_next(cli):
    result = cli("--help")
    assert result.exit_code == 0
    assert "pick" in result.stdout and "next" in result.stdout
