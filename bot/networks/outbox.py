"""The outbox: a local "network" that appends each thread as one JSON line to a file.

It needs no account, so it is what the README's main job posts to. A thread's key is written at most
once: the file is scanned for it under an exclusive lock before appending, and the line is fsynced
before the posts are reported as sent.

Account keys: optional `path` (default: outbox.jsonl in the data folder, var/ or CABLEBOT_DATA_DIR).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

from bot.config import data_dir
from bot.networks.base import AccountTable, PublishedPost, SessionStore, Transient, post_key
from bot.posts.model import Post, Thread
from bot.posts.rules import TextRules


class OutboxNetwork:
    name: ClassVar[str] = "outbox"

    def __init__(self, account: str, path: Path) -> None:
        self.account = account
        self.path = path

    @classmethod
    def text_rules(cls, account: Mapping[str, Any] | None = None) -> TextRules:
        from bot.posts.lengths import PlainRules

        return PlainRules()

    @classmethod
    def from_account(
        cls, name: str, table: Mapping[str, Any], env: Mapping[str, str], sessions: SessionStore | None = None
    ) -> OutboxNetwork:
        reader = AccountTable(name, table, env)
        path = reader.optional_text("path")
        reader.finish()
        return cls(name, Path(path) if path else data_dir() / "outbox.jsonl")

    def publish(
        self, thread: Thread, key: str, done: Sequence[PublishedPost], planned_at: datetime
    ) -> Iterator[PublishedPost]:
        # One line holds the whole thread, so a thread is either all in the file or not at all.
        line = {
            "account": self.account,
            "ref_id": thread.ref_id,
            "paragraph": thread.paragraph,
            "posts": [post.text for post in thread.posts],
            "key": key,
            "at": datetime.now(UTC).isoformat(),
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a+", encoding="utf-8") as f:
                fcntl.flock(f, fcntl.LOCK_EX)
                if not self._holds(f, key):
                    f.write(json_line(line))
                    f.flush()
                    os.fsync(f.fileno())
        except OSError as e:
            raise Transient(f"[accounts.{self.account}]: cannot write the outbox {self.path}: {e}") from None
        already = {p.position for p in done}
        for position in range(1, len(thread.posts) + 1):
            if position not in already:
                yield self._published(key, position)

    def recover(self, key: str, position: int, post: Post, planned_at: datetime) -> PublishedPost | None:
        try:
            with open(self.path, encoding="utf-8") as f:
                fcntl.flock(f, fcntl.LOCK_SH)
                found = self._holds(f, key)
        except FileNotFoundError:
            return None
        except OSError as e:
            raise Transient(f"[accounts.{self.account}]: cannot read the outbox {self.path}: {e}") from None
        return self._published(key, position) if found else None

    def _published(self, key: str, position: int) -> PublishedPost:
        remote_id = post_key(key, position)
        return PublishedPost(position, remote_id, f"{self.path.resolve().as_uri()}#{quote(remote_id)}")

    @staticmethod
    def _holds(f: Any, key: str) -> bool:
        f.seek(0)
        written = _json(key)  # the key as it reads in a line, escapes included
        for raw in f:
            if written not in raw:
                continue
            try:
                if json.loads(raw).get("key") == key:
                    return True
            except (ValueError, AttributeError):
                continue  # a torn or foreign line never hides another thread's key
        return False


# Characters that some readers take for line breaks (Python's str.splitlines among them) though JSON
# lets them stand unescaped: escaped, so that one thread is always exactly one line.
_LINE_BREAKING = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def json_line(entry: dict[str, Any]) -> str:
    """One JSON line, readable (UTF-8, not \\u escapes) yet one line for every reader."""
    return _json(entry) + "\n"


def _json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    for char, escape in _LINE_BREAKING.items():
        text = text.replace(char, escape)
    return text
