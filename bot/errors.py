"""Errors meant for an editor: what went wrong, where, and what to do.

The CLI and the worker print `str(error)` and never a traceback for any of these.
"""

from __future__ import annotations


class CablebotError(Exception):
    """Base of every error cablebot reports to a person."""


class ParseError(CablebotError):
    """A file or record is not a cable cablebot can read."""

    def __init__(self, reason: str, *, where: str | None = None, line: int | None = None) -> None:
        self.reason = reason
        self.where = where
        self.line = line
        place = where or ""
        if line is not None:
            place = f"{place}:{line}" if place else f"line {line}"
        super().__init__(f"{place}: {reason}" if place else reason)

    def located(self, where: str) -> ParseError:
        """The same error, placed in a file (parsers of text do not know the file they read)."""
        if self.where:
            return self
        return ParseError(self.reason, where=where, line=self.line)


class ConfigError(CablebotError):
    """The editors' configuration (config/*.toml) or the environment is wrong."""


class TemplateError(CablebotError):
    """An editor's template cannot be rendered."""


class RenderError(CablebotError):
    """A paragraph cannot be turned into posts for a network."""


class StoreError(CablebotError):
    """The store cannot answer (unreachable database, unknown cable...)."""


class UnknownCable(StoreError):
    def __init__(self, ref_id: str) -> None:
        self.ref_id = ref_id
        super().__init__(f"cable {ref_id} is not in the store; ingest it first (cablebot ingest PATH)")
