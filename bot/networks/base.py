"""The contract every network adapter implements, and the one error vocabulary they all report in.

The worker's retry logic is written once against these errors: it never asks which network failed.

An adapter (registered in the `cablebot.networks` entry-point group) is a class with:

- `name`: the network's name, as accounts write it (`network = "bluesky"`);
- `text_rules(account)`: how it counts and limits text (the renderer fits posts to them);
- `from_account(name, table, env, sessions)`: an adapter for one `[accounts.NAME]` table, its secrets
  read from `env` (ConfigError naming the account and the variable when one is missing);
- `publish(thread, key, done, planned_at)`: sends the posts of `thread` not yet in `done`, replies chained
  to the last done one, yielding each as soon as it is sent so that the caller records it first;
- `recover(key, position, post, planned_at)`: whether a post whose outcome is unknown was published.

`key` is the thread's idempotency key and `planned_at` the time the thread was first planned (both stable
across retries and restarts); a post's own key is `post_key(key, position)`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol

from bot.errors import CablebotError, ConfigError
from bot.logs import register_secret
from bot.posts.model import Post, Thread
from bot.posts.rules import TextRules


class PublishError(CablebotError):
    """A publish did not go through. Subclasses say what the caller should do about it."""


class RateLimited(PublishError):
    """Wait until `until` (timezone-aware UTC) before trying this account again."""

    def __init__(self, message: str, until: datetime) -> None:
        self.until = until
        super().__init__(message)


class Transient(PublishError):
    """Worth retrying after a back-off (network trouble, 5xx, timeouts).

    The post may or may not have reached the network (a connection cut after the request was sent):
    the caller checks with `recover` before sending it again.
    """


class Rejected(PublishError):
    """The network refused this post for good (its reason in the message); do not retry it."""


class AuthFailed(PublishError):
    """The account's credentials are missing, wrong or revoked: an editor must fix them."""


@dataclass(frozen=True, slots=True)
class PublishedPost:
    """One post as the network knows it: enough to link to it and to reply to it."""

    position: int  # 1-based, in its thread
    remote_id: str  # the network's id (an at:// URI on Bluesky)
    url: str  # where a person sees it


def post_key(key: str, position: int) -> str:
    """A post's own idempotency key: its thread's key and its place in the thread."""
    return f"{key}/{position}"


class SessionStore(Protocol):
    """Where an adapter keeps a login session across restarts (the store's `network_sessions`)."""

    def load(self, account: str) -> str | None: ...

    def save(self, account: str, session: str) -> None: ...


class MemorySessions:
    """Sessions kept in memory only: for a one-off run and for tests."""

    def __init__(self) -> None:
        self.sessions: dict[str, str] = {}

    def load(self, account: str) -> str | None:
        return self.sessions.get(account)

    def save(self, account: str, session: str) -> None:
        self.sessions[account] = session


class Network(Protocol):
    name: ClassVar[str]

    @classmethod
    def text_rules(cls, account: Mapping[str, Any] | None = None) -> TextRules: ...

    @classmethod
    def from_account(
        cls, name: str, table: Mapping[str, Any], env: Mapping[str, str], sessions: SessionStore
    ) -> Network: ...

    def publish(
        self, thread: Thread, key: str, done: Sequence[PublishedPost], planned_at: datetime
    ) -> Iterator[PublishedPost]: ...

    def recover(self, key: str, position: int, post: Post, planned_at: datetime) -> PublishedPost | None: ...


class AccountTable:
    """Reads one `[accounts.NAME]` table for an adapter, collecting every problem before reporting them.

    Adapters read their keys through it, then call `finish()`: one ConfigError names the account and
    lists each missing key or unset variable with what to do, so an editor fixes them all in one go.
    """

    def __init__(self, name: str, table: Mapping[str, Any], env: Mapping[str, str]) -> None:
        self.name = name
        self.table = table
        self.env = env
        self.problems: list[str] = []

    def text(self, key: str, default: str | None = None) -> str:
        value = self.table.get(key, default)
        if value is None:
            self.problems.append(f'needs {key} = "..."')
            return ""
        if not isinstance(value, str) or not value.strip():
            self.problems.append(f"{key} must be a non-empty string")
            return ""
        return value.strip()

    def optional_text(self, key: str) -> str | None:
        return self.text(key) if key in self.table else None

    def url(self, key: str, default: str | None = None) -> str:
        value = self.text(key, default)
        if value and not value.startswith(("https://", "http://")):
            self.problems.append(f'{key} must be a URL, like "https://{value}"')
        return value

    def optional_url(self, key: str) -> str | None:
        return self.url(key) if key in self.table else None

    def number(self, key: str, default: int) -> int:
        value = self.table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            self.problems.append(f"{key} must be a positive whole number")
            return default
        return value

    def secret(self, key: str) -> str:
        """The secret in the variable that `key` (an `*_env` key) names, registered for redaction."""
        variable = self.text(key)
        if not variable:
            return ""
        value = self.env.get(variable, "")
        if not value.strip():
            what = key.removesuffix("_env").replace("_", " ")
            self.problems.append(
                f"its {what} comes from the environment variable {variable}, which is not set: set {variable}"
            )
            return ""
        register_secret(value)
        return value

    def finish(self) -> None:
        if self.problems:
            raise ConfigError(f"[accounts.{self.name}]: " + "; ".join(self.problems))
