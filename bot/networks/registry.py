"""Networks are found through the `cablebot.networks` entry-point group, built-ins included.

Loading a network class must stay cheap: adapters import their SDK only when they publish.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from bot.errors import ConfigError

GROUP = "cablebot.networks"


def installed_networks() -> list[str]:
    return sorted({ep.name for ep in entry_points(group=GROUP)})


def network_class(name: str) -> Any:
    """The adapter class registered under `name`, or a ConfigError listing the installed ones."""
    for ep in entry_points(group=GROUP, name=name):
        return ep.load()
    raise ConfigError(f"unknown network {name!r}; installed networks: {', '.join(installed_networks())}")
