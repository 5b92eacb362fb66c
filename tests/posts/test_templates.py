"""Editors' templates: sandboxed, strict about names, overridable from the config, errors with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import parse_config
from bot.errors import RenderError, TemplateError
from bot.posts.lengths import BlueskyRules, PlainRules, XRules
from bot.posts.render import render_thread
from bot.posts.templates import TemplateSet
from tests.support import REPO_ROOT, make_cable

CABLE = make_cable(paragraphs=["The minister said the pipeline would be finished by spring."])
PARAGRAPH = CABLE.paragraphs[0]


def _set(tmp_path: Path, network: str, source: str) -> TemplateSet:
    (tmp_path / f"{network}.j2").write_text(source, encoding="utf-8")
    return TemplateSet(tmp_path)


def _render(templates: TemplateSet, network: str = "outbox", rules=None):
    return render_thread(CABLE, PARAGRAPH, network=network, rules=rules or PlainRules(), templates=templates)


def test_the_shipped_templates_render_for_every_network() -> None:
    templates = TemplateSet(REPO_ROOT / "templates")
    for network, rules in [
        ("x", XRules()),
        ("bluesky", BlueskyRules()),
        ("mastodon", PlainRules(500)),
        ("outbox", PlainRules()),
    ]:
        thread = _render(templates, network, rules)
        assert PARAGRAPH.text in thread.posts[0].text
        assert "#cablegate #08ASTANA2079" in thread.posts[0].text


def test_an_undefined_name_is_an_error_naming_the_file_and_line(tmp_path: Path) -> None:
    source = "“{{ quote }}”\n{{ hashtags }} {{ permalink }}\n{{ cable.nonsense }}\n"
    templates = _set(tmp_path, "outbox", source)
    with pytest.raises(TemplateError) as e:
        _render(templates)
    assert f"{tmp_path / 'outbox.j2'}:3" in str(e.value)
    assert "nonsense" in str(e.value)


def test_an_unknown_variable_is_an_error_too(tmp_path: Path) -> None:
    templates = _set(tmp_path, "outbox", "{{ quote }} {{ hashtags }} {{ permalink }} {{ author }}")
    with pytest.raises(TemplateError, match=r"outbox\.j2:1: 'author' is undefined"):
        _render(templates)


@pytest.mark.parametrize(
    "unsafe",
    [
        "{{ cable.__class__.__mro__ }}",
        "{{ cable.paragraph.__globals__ }}",
        "{{ ''.__class__.__subclasses__() }}",
        "{{ range(10 ** 9) | list }}",
    ],
)
def test_the_sandbox_blocks_unsafe_access(tmp_path: Path, unsafe: str) -> None:
    templates = _set(tmp_path, "outbox", "{{ quote }} {{ hashtags }} {{ permalink }}\n" + unsafe)
    with pytest.raises(TemplateError) as e:
        _render(templates)
    assert f"{tmp_path / 'outbox.j2'}:2" in str(e.value)


def test_a_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    templates = _set(tmp_path, "outbox", "{{ quote }}\n{% if is_first %}\n{{ hashtags }}")
    with pytest.raises(TemplateError, match=r"outbox\.j2:3: template syntax error"):
        _render(templates)


def test_an_override_from_the_config_is_used(tmp_path: Path) -> None:
    custom = tmp_path / "custom-x.j2"
    custom.write_text("BREAKING {{ hashtags }} {{ permalink }} “{{ quote }}”", encoding="utf-8")
    config = parse_config({"templates": {"dir": str(REPO_ROOT / "templates"), "x": str(custom)}})
    templates = TemplateSet.from_config(config)
    thread = _render(templates, "x", XRules())
    assert thread.posts[0].text.startswith("BREAKING #cablegate #08ASTANA2079 https://wikileaks.org/")
    assert templates.path("bluesky") == REPO_ROOT / "templates" / "bluesky.j2"


def test_a_missing_template_says_where_it_was_looked_for(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"mastodon\.j2: no template for network 'mastodon'"):
        _render(TemplateSet(tmp_path), "mastodon")


def test_an_unknown_network_names_the_cable_paragraph_network_and_template() -> None:
    with pytest.raises(TemplateError) as e:
        _render(TemplateSet(REPO_ROOT / "templates"), "myspace")
    assert str(e.value).startswith("cable 08ASTANA2079 paragraph 1 for myspace: ")
    assert str(REPO_ROOT / "templates" / "myspace.j2") in str(e.value)


def test_a_template_too_long_even_without_a_quote_is_a_clear_error(tmp_path: Path) -> None:
    templates = _set(tmp_path, "x", "{{ hashtags }} {{ permalink }} " + "padding " * 40 + "{{ quote }}")
    with pytest.raises(RenderError) as e:
        _render(templates, "x", XRules())
    message = str(e.value)
    assert "too long for x even with no quote" in message
    assert "cable 08ASTANA2079 paragraph 1" in message and str(tmp_path / "x.j2") in message


def test_a_template_that_renders_nothing_is_an_error(tmp_path: Path) -> None:
    templates = _set(tmp_path, "outbox", "{% if false %}{{ quote }}{% endif %}\n\n")
    with pytest.raises(TemplateError, match="renders nothing"):
        _render(templates)


def test_a_template_that_drops_the_citation_is_an_error(tmp_path: Path) -> None:
    templates = _set(tmp_path, "outbox", "“{{ quote }}” {{ permalink }}")
    with pytest.raises(TemplateError, match="#cablegate, #08ASTANA2079"):
        _render(templates)


def test_templates_are_plain_text_not_html(tmp_path: Path) -> None:
    cable = make_cable(paragraphs=['Q&A <b>with</b> "the" minister\'s aide.'])
    templates = _set(tmp_path, "outbox", "{{ quote }} {{ hashtags }} {{ permalink }}")
    thread = render_thread(
        cable, cable.paragraphs[0], network="outbox", rules=PlainRules(), templates=templates
    )
    assert thread.posts[0].text.startswith('Q&A <b>with</b> "the" minister\'s aide. #cablegate')


def test_outside_the_project_folder_the_shipped_templates_are_used(tmp_path: Path, monkeypatch) -> None:
    # An editor runs cablebot from another folder (or a host's working directory has no templates/):
    # every network still has its template, the one cablebot ships.
    monkeypatch.chdir(tmp_path)
    templates = TemplateSet.from_config(parse_config({}))
    assert templates.path("outbox").read_text(encoding="utf-8") == (
        REPO_ROOT / "templates" / "outbox.j2"
    ).read_text(encoding="utf-8")
    assert "#cablegate #08ASTANA2079" in _render(templates).posts[0].text


def test_the_current_folders_templates_win_over_the_shipped_ones(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "outbox.j2").write_text("OURS {{ quote }} {{ hashtags }} {{ permalink }}")
    assert _render(TemplateSet.from_config(parse_config({}))).posts[0].text.startswith("OURS ")


def test_a_templates_dir_the_config_names_is_never_replaced(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    templates = TemplateSet.from_config(parse_config({"templates": {"dir": "ours"}}))
    with pytest.raises(TemplateError, match=r"ours/outbox\.j2: no template for network 'outbox'"):
        templates.get("outbox")
