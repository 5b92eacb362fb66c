"""Mastodon (any instance), through Mastodon.py.

Each post carries an Idempotency-Key (its own post key): the instance answers a repeated request with
the status it already created instead of a new one, for about an hour. The instance's own length limit
is read from it (and cached) before sending, so a post over it is refused here, not by the server.
Mastodon.py never sleeps on a rate limit here (`ratelimit_method="throw"`): the limit is reported.

Account keys: `instance` (its URL), `access_token_env` (the variable holding a token with the
write:statuses scope), optional `visibility` (public, unlisted, private, direct), `language` (default
"en", the cables' language), `max_characters` and `characters_reserved_per_url` (the limits the renderer
fits posts to before the instance is asked; default 500 and 23), `timeout` (seconds, default 30).
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from bot.errors import ConfigError
from bot.logs import get_logger, log
from bot.networks.base import (
    AccountTable,
    AuthFailed,
    PublishedPost,
    PublishError,
    RateLimited,
    Rejected,
    SessionStore,
    Transient,
    post_key,
)
from bot.posts.model import Post, Thread
from bot.posts.rules import TextRules

DEFAULT_LIMIT = 500
DEFAULT_URL_LENGTH = 23
RECENT = 40  # statuses looked through by `recover`
logger = get_logger("networks.mastodon")


class MastodonNetwork:
    name: ClassVar[str] = "mastodon"

    def __init__(
        self,
        account: str,
        *,
        instance: str,
        token: str,
        token_env: str = "",
        visibility: str | None = None,
        language: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.account = account
        self.instance = instance
        self._token = token
        self.token_env = token_env
        self.visibility = visibility
        self.language = language
        self.timeout = timeout
        self._api: Any = None
        self._rules: Any = None

    @classmethod
    def text_rules(cls, account: Mapping[str, Any] | None = None) -> TextRules:
        from bot.posts.lengths import MastodonRules

        account = account or {}
        limits = {"max_characters": DEFAULT_LIMIT, "characters_reserved_per_url": DEFAULT_URL_LENGTH}
        for key in limits:
            value = account.get(key, limits[key])
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError(f"a mastodon account's {key} must be a whole number above 0, not {value!r}")
            limits[key] = value
        return MastodonRules(limit=limits["max_characters"], url_length=limits["characters_reserved_per_url"])

    @classmethod
    def from_account(
        cls, name: str, table: Mapping[str, Any], env: Mapping[str, str], sessions: SessionStore | None = None
    ) -> MastodonNetwork:
        reader = AccountTable(name, table, env)
        instance = reader.url("instance")
        token = reader.secret("access_token_env")
        visibility = reader.optional_text("visibility")
        language = reader.text("language", "en")
        for key in ("max_characters", "characters_reserved_per_url"):
            if key in table:
                reader.number(key, 1)
        timeout = reader.number("timeout", 30)
        if visibility and visibility not in ("public", "unlisted", "private", "direct"):
            reader.problems.append('visibility must be "public", "unlisted", "private" or "direct"')
        reader.finish()
        return cls(
            name,
            instance=instance.rstrip("/"),
            token=token,
            token_env=str(table["access_token_env"]),
            visibility=visibility,
            language=language,
            timeout=float(timeout),
        )

    def publish(
        self, thread: Thread, key: str, done: Sequence[PublishedPost], planned_at: datetime
    ) -> Iterator[PublishedPost]:
        finished = {p.position: p for p in done}
        rules = self.live_rules()
        parent: str | None = None
        for position, post in enumerate(thread.posts, start=1):
            if position in finished:
                parent = finished[position].remote_id
                continue
            length = rules.count(post.text)
            if length > rules.limit:
                raise Rejected(
                    f"[accounts.{self.account}]: post {position} of {thread.ref_id} paragraph "
                    f"{thread.paragraph} counts {length} characters; {self.instance} allows {rules.limit}"
                )
            status = self._call(
                lambda post=post, parent=parent, position=position: self.api.status_post(
                    post.text,
                    in_reply_to_id=parent,
                    visibility=self.visibility,
                    language=self.language,
                    idempotency_key=idempotency_key(post_key(key, position)),
                )
            )
            parent = str(status["id"])
            log(logger, 20, "posted to Mastodon", account=self.account, id=parent, position=position)
            yield self._published(position, status)

    def recover(self, key: str, position: int, post: Post, planned_at: datetime) -> PublishedPost | None:
        """The account's recent statuses, searched for this post's exact text.

        Mastodon cannot be asked for a status by idempotency key, so this looks through the last
        `RECENT` statuses. A post is resent when not found, with the same Idempotency-Key, so within the
        instance's idempotency window (about an hour) even a miss creates no duplicate.
        """
        me = self._call(lambda: self.api.me())
        statuses = self._call(lambda: self.api.account_statuses(me["id"], limit=RECENT))
        wanted = _comparable(post.text)
        for status in statuses:
            if _comparable(_plain(status.get("content") or "")) == wanted:
                return self._published(position, status)
        return None

    def live_rules(self) -> Any:
        """The instance's own limits (read once per adapter), falling back to Mastodon's defaults."""
        if self._rules is None:
            from bot.posts.lengths import MastodonRules

            try:
                info = self._call(lambda: self.api.instance_v2())
            except Rejected:  # no v2 endpoint (Mastodon before 4.0)
                info = self._call(lambda: self.api.instance_v1())
            statuses = (info.get("configuration") or {}).get("statuses") or {}
            self._rules = MastodonRules(
                limit=int(statuses.get("max_characters") or info.get("max_toot_chars") or DEFAULT_LIMIT),
                url_length=int(statuses.get("characters_reserved_per_url") or DEFAULT_URL_LENGTH),
            )
        return self._rules

    @property
    def api(self) -> Any:
        if self._api is None:
            from mastodon import Mastodon

            self._api = Mastodon(
                access_token=self._token,
                api_base_url=self.instance,
                ratelimit_method="throw",
                version_check_mode="none",
                request_timeout=self.timeout,
                user_agent="cablebot",
            )
        return self._api

    def _published(self, position: int, status: Any) -> PublishedPost:
        return PublishedPost(position, str(status["id"]), str(status.get("url") or status.get("uri") or ""))

    def _call(self, call: Any) -> Any:
        from mastodon import MastodonError

        try:
            return call()
        except MastodonError as e:
            raise self._translate(e) from e

    def _translate(self, error: Exception) -> PublishError:
        from mastodon import (
            MastodonAPIError,
            MastodonNetworkError,
            MastodonNotFoundError,
            MastodonRatelimitError,
            MastodonServerError,
            MastodonUnauthorizedError,
        )

        where = f"[accounts.{self.account}]"
        if isinstance(error, MastodonRatelimitError):
            reset = getattr(self._api, "ratelimit_reset", None)
            now = datetime.now(UTC)
            # Mastodon.py read X-RateLimit-Reset before it raised; without it, a cautious guess.
            fresh = reset is not None and reset > now.timestamp()
            until = datetime.fromtimestamp(reset, UTC) if fresh else now + timedelta(minutes=5)
            return RateLimited(f"{where}: {self.instance} rate limited until {until:%H:%M:%S} UTC", until)
        if isinstance(error, MastodonNetworkError):
            return Transient(f"{where}: cannot reach {self.instance}: {_reason(error)}")
        if isinstance(error, MastodonServerError):
            return Transient(f"{where}: {self.instance} failed: {_reason(error)}")
        if isinstance(error, MastodonUnauthorizedError) or _status(error) == 403:
            return AuthFailed(
                f"{where}: {self.instance} refused the access token ({_reason(error)}); "
                f"check the token in {self.token_env or 'its access token variable'} "
                "and that it has the write:statuses scope"
            )
        if isinstance(error, MastodonNotFoundError):
            return Rejected(f"{where}: {self.instance} answered not found: {_reason(error)}")
        if isinstance(error, MastodonAPIError):
            return Rejected(f"{where}: {self.instance} rejected the post: {_reason(error)}")
        return Transient(f"{where}: Mastodon call failed: {_reason(error)}")


def idempotency_key(key: str) -> str:
    """The key as an HTTP header value: itself when plain ASCII, else a digest of it."""
    if key.isascii() and key.isprintable() and len(key) <= 200:
        return key
    return "cablebot-" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def _status(error: Exception) -> int | None:
    args = getattr(error, "args", ())
    return args[1] if len(args) > 1 and isinstance(args[1], int) else None


def _reason(error: Exception) -> str:
    args = getattr(error, "args", ())
    if len(args) >= 4 and args[3]:
        return f"{args[1]} {args[3]}"
    return str(error) or type(error).__name__


_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<br\s*/?>|</p>\s*<p>", re.IGNORECASE)


def _plain(content: str) -> str:
    """A status's HTML as text (links, hashtags and paragraphs flattened)."""
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", content)))


def _comparable(text: str) -> str:
    return "".join(text.split())
