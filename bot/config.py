"""The editors' configuration: one TOML file (config/bot.toml by default), secrets only from the environment.

This module reads the file and checks the sections every command shares. Sections that belong to one
part of the bot (`[picks]`, `[accounts.NAME]`) are kept as tables here and validated by the module that
owns them, so that adding a network or a signal never edits this file.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.errors import ConfigError
from bot.permalink import PermalinkTemplate

DEFAULT_CONFIG_PATH = Path("config/bot.toml")
DEFAULT_DATA_DIR = Path("var")


@dataclass(frozen=True)
class Config:
    path: Path | None
    permalinks: PermalinkTemplate = field(default_factory=PermalinkTemplate)
    templates_dir: Path = Path("templates")
    template_overrides: dict[str, Path] = field(default_factory=dict)
    picks: dict[str, Any] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    def section(self, name: str) -> dict[str, Any]:
        value = self.raw.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError(f"{self.where()}: [{name}] must be a table")
        return value

    def where(self) -> str:
        return str(self.path) if self.path else "built-in defaults"


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--config, else CABLEBOT_CONFIG, else config/bot.toml."""
    return Path(explicit or os.environ.get("CABLEBOT_CONFIG") or DEFAULT_CONFIG_PATH)


def load_config(explicit: str | os.PathLike[str] | None = None) -> Config:
    """Read the config file; the built-in defaults when the default path does not exist."""
    path = config_path(explicit)
    if not path.exists():
        if explicit or os.environ.get("CABLEBOT_CONFIG"):
            raise ConfigError(f"{path}: config file not found")
        return Config(path=None)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read: {e}") from None
    return parse_config(raw, path)


def parse_config(raw: dict[str, Any], path: Path | None = None) -> Config:
    where = str(path) if path else "config"

    def table(name: str) -> dict[str, Any]:
        value = raw.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: [{name}] must be a table")
        return value

    links = table("permalinks")
    unknown = set(links) - {"cable", "paragraph"}
    if unknown:
        raise ConfigError(f"{where}: [permalinks] has unknown key(s) {sorted(unknown)}; use cable, paragraph")
    try:
        permalinks = PermalinkTemplate(**links)
    except ConfigError as e:
        raise ConfigError(f"{where}: [permalinks] {e}") from None
    except TypeError as e:
        raise ConfigError(f"{where}: [permalinks] {e}") from None

    templates = table("templates")
    templates_dir = Path(templates.get("dir", "templates"))
    # Relative paths are relative to where cablebot runs (the project folder), like the outbox path.
    overrides = {k: Path(v) for k, v in templates.items() if k != "dir"}

    accounts = table("accounts")
    for name, account in accounts.items():
        if not isinstance(account, dict):
            raise ConfigError(f"{where}: [accounts.{name}] must be a table")
        if "network" not in account:
            raise ConfigError(
                f'{where}: [accounts.{name}] needs network = "x", "bluesky", "mastodon" or "outbox"'
            )
    return Config(
        path=path,
        permalinks=permalinks,
        templates_dir=templates_dir,
        template_overrides=overrides,
        picks=table("picks"),
        accounts=accounts,
        raw=raw,
    )


def data_dir() -> Path:
    """Where the embedded store and local files live: CABLEBOT_DATA_DIR, else ./var."""
    return Path(os.environ.get("CABLEBOT_DATA_DIR") or DEFAULT_DATA_DIR)


def database_url() -> str:
    """DATABASE_URL as hosts give it (postgres:// included), else a SQLite file in the data folder."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{data_dir() / 'cablebot.db'}"
    # Hosts (Heroku, Render, Fly...) hand out postgres:// URLs, which SQLAlchemy 2 no longer accepts.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
