"""`cablebot`: the entry point. Start-up stays light: heavy libraries load inside the commands using them."""

from __future__ import annotations

import sys
from enum import StrEnum

import typer

from bot.errors import CablebotError

app = typer.Typer(
    name="cablebot",
    help="Cite Cablegate cables on social networks, one notable paragraph at a time, always correctly cited.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


FORMAT_OPTION = typer.Option(OutputFormat.text, "--format", help="text for people, json for scripts.")
CONFIG_OPTION = typer.Option(
    None, "--config", envvar="CABLEBOT_CONFIG", help="Config file (TOML). Default: config/bot.toml."
)


def _register_commands() -> None:
    # Each module adds its commands to `app`; their heavy imports happen inside the commands.
    from bot.cli import cables_cmd, picks_cmd, post_cmd, preview_cmd, worker_cmd  # noqa: F401


def main() -> None:
    _register_commands()
    try:
        app()
    except CablebotError as e:
        fail(str(e))


def fail(message: str, code: int = 1) -> None:
    """Report an error to a person (no traceback) and exit."""
    from rich.console import Console
    from rich.text import Text

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    console.print(Text.assemble(("error: ", "bold red"), message))
    sys.exit(code)
