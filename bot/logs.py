"""Logging: readable on a terminal, JSON lines otherwise; secrets are masked on the way out.

Secrets are registered by whoever reads them from the environment (`register_secret`), so a token can
never reach a log line, whatever code path formats it.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

_secrets: set[str] = set()
MASK = "[secret]"


def register_secret(value: str | None) -> None:
    if value and len(value) >= 4:
        _secrets.add(value)


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class JsonLinesFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, default=str, ensure_ascii=False))


class ReadableFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", {}) or {}
        extra = " ".join(f"{k}={v}" for k, v in fields.items())
        line = f"{record.levelname.lower():7} {record.getMessage()}" + (f"  {extra}" if extra else "")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return redact(line)


def setup_logging(level: int = logging.INFO, stream=None, json_lines: bool | None = None) -> None:
    """JSON lines when the stream is not a terminal (a host's log collector), readable text otherwise."""
    stream = stream or sys.stderr
    if json_lines is None:
        json_lines = not stream.isatty()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLinesFormatter() if json_lines else ReadableFormatter())
    root = logging.getLogger("cablebot")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(f"cablebot.{name}")


def log(logger: logging.Logger, level: int, message: str, **fields: object) -> None:
    """Log with structured fields (they become JSON keys)."""
    logger.log(level, message, extra={"fields": fields})
