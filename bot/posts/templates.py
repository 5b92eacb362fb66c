"""The editors' post templates: one Jinja file per network, rendered in Jinja's sandbox.

Templates are plain text (no HTML escaping), undefined names are errors, and every error names the
template file and line, so that an editor can fix it without reading Python.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import TemplateError

if TYPE_CHECKING:
    from jinja2 import Template

    from bot.config import Config


DEFAULT_DIRECTORY = Path("templates")


def bundled_directory() -> Path | None:
    """The templates cablebot ships: bot/_templates in an installed package (setup.py copies them from the
    project's templates/ at build time), or the checkout's own templates/ when installed editable."""
    package = Path(__file__).resolve().parents[1]
    built = package / "_templates"
    if built.is_dir():
        return built
    checkout = package.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "templates").is_dir():
        return checkout / "templates"
    return None


class TemplateSet:
    """The templates of every network, loaded once: `<dir>/<network>.j2` unless the config names
    another file (`[templates] x = "path"`). With the default dir, a network whose template is not in the
    current folder's templates/ gets the one cablebot ships (`fallback`), so that cablebot run outside
    the project folder still posts; a dir or file the config names is never replaced."""

    def __init__(
        self,
        directory: Path = DEFAULT_DIRECTORY,
        overrides: dict[str, Path] | None = None,
        fallback: Path | None = None,
    ) -> None:
        from jinja2 import FunctionLoader, StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment

        self.directory = Path(directory)
        self.overrides = {k: Path(v) for k, v in (overrides or {}).items()}
        self.fallback = fallback
        self._env = SandboxedEnvironment(
            loader=FunctionLoader(self._source),
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
        )
        self._loaded: dict[str, NetworkTemplate] = {}

    @classmethod
    def from_config(cls, config: Config) -> TemplateSet:
        fallback = bundled_directory() if config.templates_dir == DEFAULT_DIRECTORY else None
        return cls(config.templates_dir, config.template_overrides, fallback)

    def path(self, network: str) -> Path:
        if network in self.overrides:
            return self.overrides[network]
        path = self.directory / f"{network}.j2"
        if self.fallback is not None and not path.is_file() and (self.fallback / path.name).is_file():
            return self.fallback / path.name
        return path

    def get(self, network: str) -> NetworkTemplate:
        if network not in self._loaded:
            path = self.path(network)
            if not path.is_file():
                how = "the [templates] entry" if network in self.overrides else "[templates] dir"
                raise TemplateError(
                    f"{path}: no template for network {network!r}; create it or fix {how} in the config"
                )
            try:
                template = self._env.get_template(str(path))
            except Exception as e:
                raise _template_error(e, path) from None
            self._loaded[network] = NetworkTemplate(path, template)
        return self._loaded[network]

    @staticmethod
    def _source(name: str) -> tuple[str, str, Any]:
        path = Path(name)
        try:
            return path.read_text(encoding="utf-8"), str(path), lambda: True
        except (OSError, UnicodeDecodeError) as e:
            raise TemplateError(f"{path}: cannot read the template: {e}") from None


class NetworkTemplate:
    """One network's template. `render` gives the text of one post, stripped of surrounding blank space."""

    def __init__(self, path: Path, template: Template) -> None:
        self.path = path
        self._template = template

    def render(self, **context: Any) -> str:
        try:
            return self._template.render(**context).strip()
        except TemplateError:
            raise
        except Exception as e:
            raise _template_error(e, self.path) from None

    def __str__(self) -> str:
        return str(self.path)


def _template_error(error: Exception, path: Path) -> TemplateError:
    """The error as an editor needs it: which file, which line, what went wrong."""
    from jinja2 import TemplateSyntaxError, UndefinedError
    from jinja2.exceptions import SecurityError

    line = getattr(error, "lineno", None) if isinstance(error, TemplateSyntaxError) else _line_in(path)
    where = f"{path}:{line}" if line else str(path)
    message = getattr(error, "message", None) or str(error)
    if isinstance(error, UndefinedError):
        hint = (
            "; templates get cable, paragraph, permalink, hashtags, quote, part, parts, is_first, is_last"
            " and network"
        )
        return TemplateError(f"{where}: {message}{hint}")
    if isinstance(error, SecurityError):
        return TemplateError(f"{where}: not allowed in a template: {message}")
    if isinstance(error, TemplateSyntaxError):
        return TemplateError(f"{where}: template syntax error: {message}")
    return TemplateError(f"{where}: {type(error).__name__}: {message}")


def _line_in(path: Path) -> int | None:
    """The template line being rendered when the current exception was raised.

    Jinja rewrites tracebacks so that frames of template code carry the template's file and line.
    """
    tb = sys.exc_info()[2]
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == str(path):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
