"""X (Twitter), through tweepy's API v2 client with OAuth 1.0a user context (the four `*_env` keys).

tweepy is never allowed to sleep on a rate limit (`wait_on_rate_limit` stays off: without the header it
retries at once, and against the 24-hour cap it loops). The adapter reads the 15-minute window
(`x-rate-limit-*`) and the 24-hour caps (`x-user-limit-24hour-*`, `x-app-limit-24hour-*`, which tweepy
ignores) itself, after failures and after successes, and reports the time to wait as RateLimited.

X has no idempotency key. `recover` looks for the post's exact text among the account's latest `RECENT`
posts since shortly before the thread was planned (links compare as "a link": X shows them as t.co
links). Its limits: X's timeline can lag behind a post just made, and a post deleted since is not found.
Then the post is sent again, and X itself refuses the same text twice in a row (403 duplicate): the
adapter then looks once more and takes the post it finds. A duplicate X cannot see (the text differs
from the first attempt's) is the remaining risk; the renderer makes the same text on every attempt.

Account keys: `consumer_key_env`, `consumer_secret_env`, `access_token_env`, `access_token_secret_env`
(the variables holding the app's keys and the account's OAuth 1.0a token, with Read and Write
permission), optional `api_base` (another base URL for the same API) and `timeout` (seconds, default 30).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

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
)
from bot.posts.model import Post, Thread
from bot.posts.rules import TextRules

API = "https://api.twitter.com"
RECENT = 20
CREDENTIALS = ("consumer_key_env", "consumer_secret_env", "access_token_env", "access_token_secret_env")
# (remaining, reset) header pairs: the 15-minute window, then the per-user and per-app 24-hour caps.
WINDOWS = (
    ("x-rate-limit-remaining", "x-rate-limit-reset"),
    ("x-user-limit-24hour-remaining", "x-user-limit-24hour-reset"),
    ("x-app-limit-24hour-remaining", "x-app-limit-24hour-reset"),
)
logger = get_logger("networks.x")


class XNetwork:
    name: ClassVar[str] = "x"

    def __init__(
        self,
        account: str,
        *,
        credentials: Mapping[str, str],
        variables: Mapping[str, str],
        api_base: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.account = account
        self._credentials = dict(credentials)
        self.variables = dict(variables)
        self.api_base = api_base
        self.timeout = timeout
        self._client: Any = None
        self._user_id: str | None = None
        self.blocked_until: datetime | None = None  # a window the last answer showed exhausted

    @classmethod
    def text_rules(cls, account: Mapping[str, Any] | None = None) -> TextRules:
        from bot.posts.lengths import XRules

        return XRules()

    @classmethod
    def from_account(
        cls, name: str, table: Mapping[str, Any], env: Mapping[str, str], sessions: SessionStore | None = None
    ) -> XNetwork:
        reader = AccountTable(name, table, env)
        credentials = {key.removesuffix("_env"): reader.secret(key) for key in CREDENTIALS}
        # Another base URL for the same API: a gateway, or a local server in tests.
        api_base = reader.optional_url("api_base")
        timeout = reader.number("timeout", 30)
        reader.finish()
        variables = {key.removesuffix("_env"): str(table[key]) for key in CREDENTIALS}
        return cls(
            name, credentials=credentials, variables=variables, api_base=api_base, timeout=float(timeout)
        )

    def publish(
        self, thread: Thread, key: str, done: Sequence[PublishedPost], planned_at: datetime
    ) -> Iterator[PublishedPost]:
        finished = {p.position: p for p in done}
        parent: str | None = None
        for position, post in enumerate(thread.posts, start=1):
            if position in finished:
                parent = finished[position].remote_id
                continue
            self._check_window()
            try:
                response = self._call(
                    lambda post=post, parent=parent: self.client.create_tweet(
                        text=post.text, in_reply_to_tweet_id=parent, user_auth=True
                    ),
                    posting=True,
                )
            except Duplicate as e:
                # X refuses the same text twice: after a lost answer, the first attempt may be out there.
                found = self.recover(key, position, post, planned_at)
                if found is None:
                    raise Rejected(str(e)) from None
                published = found
            else:
                tweet_id = str(response.json()["data"]["id"])
                log(logger, 20, "posted to X", account=self.account, id=tweet_id, position=position)
                published = PublishedPost(position, tweet_id, tweet_url(tweet_id))
            parent = published.remote_id
            yield published

    def recover(self, key: str, position: int, post: Post, planned_at: datetime) -> PublishedPost | None:
        if self._user_id is None:
            me = self._call(lambda: self.client.get_me(user_auth=True)).json()
            self._user_id = str(me["data"]["id"])
        since = (planned_at - timedelta(minutes=5)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        found = self._call(
            lambda: self.client.get_users_tweets(
                self._user_id, max_results=RECENT, start_time=since, user_auth=True
            )
        ).json()
        wanted = comparable(post.text)
        for tweet in found.get("data") or []:
            if comparable(tweet.get("text", "")) == wanted:
                return PublishedPost(position, str(tweet["id"]), tweet_url(str(tweet["id"])))
        return None

    # -- the client and its answers ---------------------------------------------------------------

    @property
    def client(self) -> Any:
        if self._client is None:
            import requests
            import tweepy

            client = tweepy.Client(
                consumer_key=self._credentials["consumer_key"],
                consumer_secret=self._credentials["consumer_secret"],
                access_token=self._credentials["access_token"],
                access_token_secret=self._credentials["access_token_secret"],
                return_type=requests.Response,  # the headers, on successes too
                wait_on_rate_limit=False,
            )
            # requests' own transport hook: a timeout on every call (tweepy sets none), and the base URL.
            client.session.mount(API, transport(self.api_base, self.timeout))
            self._client = client
        return self._client

    def _call(self, call: Any, posting: bool = False) -> Any:
        """One request, its failure in the shared vocabulary; a post's answer also tells the windows left."""
        import requests
        import tweepy

        try:
            response = call()
        except tweepy.TooManyRequests as e:
            raise RateLimited(
                f"[accounts.{self.account}]: X rate limit reached; {self._limits_text(e.response)}",
                self._reset(e.response) or datetime.now(UTC) + timedelta(minutes=15),
            ) from None
        except tweepy.HTTPException as e:
            raise self._translate(e) from None
        except requests.RequestException as e:
            raise Transient(f"[accounts.{self.account}]: cannot reach X: {type(e).__name__}: {e}") from None
        if posting:  # other endpoints have windows of their own, which say nothing about posting
            self._note_window(response)
        return response

    def _check_window(self) -> None:
        if self.blocked_until and self.blocked_until > datetime.now(UTC):
            raise RateLimited(
                f"[accounts.{self.account}]: X allows no more posts until {self.blocked_until:%H:%M} UTC",
                self.blocked_until,
            )

    def _note_window(self, response: Any) -> None:
        exhausted = [reset for remaining, reset in _windows(response.headers) if remaining <= 0]
        self.blocked_until = max(exhausted) if exhausted else None

    def _reset(self, response: Any) -> datetime | None:
        """When posting may resume: the latest reset of the windows used up, else the 15-minute one's."""
        headers = response.headers
        exhausted = [reset for remaining, reset in _windows(headers) if remaining <= 0]
        if exhausted:
            return max(exhausted)
        fifteen = _windows(headers, WINDOWS[:1])
        return fifteen[0][1] if fifteen else None

    def _limits_text(self, response: Any) -> str:
        until = self._reset(response)
        return f"try again after {until:%Y-%m-%d %H:%M} UTC" if until else "try again later"

    def _translate(self, error: Any) -> PublishError:
        import tweepy

        where = f"[accounts.{self.account}]"
        reason = x_reason(error)
        if isinstance(error, tweepy.TwitterServerError):
            return Transient(f"{where}: X failed ({reason})")
        if isinstance(error, tweepy.Unauthorized):
            names = ", ".join(self.variables.values())
            return AuthFailed(f"{where}: X refused the credentials ({reason}); check {names}")
        if isinstance(error, tweepy.Forbidden):
            lowered = reason.lower()
            if "duplicate" in lowered:
                return Duplicate(f"{where}: X refused a duplicate post ({reason})")
            if "permission" in lowered or "oauth1" in lowered or "not permitted" in lowered:
                return AuthFailed(
                    f"{where}: X refused to post ({reason}); give the app Read and Write permission in the "
                    f"developer portal, then regenerate the access token and secret "
                    f"({self.variables['access_token']}, {self.variables['access_token_secret']})"
                )
            return Rejected(f"{where}: X refused the post ({reason})")
        return Rejected(f"{where}: X rejected the post ({reason})")


class Duplicate(Rejected):
    """X refused a text it has already seen from this account."""


def transport(api_base: str | None, timeout: float) -> Any:
    """A requests transport adapter for X's API: a default timeout, and another base URL if configured."""
    from requests.adapters import HTTPAdapter

    class XTransport(HTTPAdapter):
        def send(self, request: Any, **kwargs: Any) -> Any:
            if api_base and request.url.startswith(API):
                request.url = api_base.rstrip("/") + request.url[len(API) :]
            if kwargs.get("timeout") is None:
                kwargs["timeout"] = timeout
            return super().send(request, **kwargs)

    return XTransport()


def tweet_url(tweet_id: str) -> str:
    return f"https://x.com/i/web/status/{tweet_id}"


def x_reason(error: Any) -> str:
    """X's own words for a failure: its `detail` (v2 problem) or error messages, else the status line."""
    response = getattr(error, "response", None)
    try:
        body = response.json() if response is not None else {}
    except ValueError:
        body = {}
    parts = [body.get("detail") or body.get("title")] if isinstance(body, dict) else []
    if isinstance(body, dict):
        errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
        parts += [e.get("message") or e.get("detail") for e in errors]
    text = "; ".join(p for p in parts if p)
    status = f"{response.status_code} {response.reason}" if response is not None else type(error).__name__
    return f"{status}: {text}" if text else status


def _windows(
    headers: Mapping[str, str], which: Sequence[tuple[str, str]] = WINDOWS
) -> list[tuple[int, datetime]]:
    """(remaining, reset) of each window the headers report."""
    lowered = {k.lower(): v for k, v in headers.items()}
    found = []
    for remaining, reset in which:
        try:
            found.append((int(lowered[remaining]), datetime.fromtimestamp(int(lowered[reset]), UTC)))
        except (KeyError, ValueError):
            continue
    return found


_URL = re.compile(r"(?:https?://)?(?:[\w-]+\.)+[a-z]{2,}(?:/[^\s]*)?", re.IGNORECASE)


def comparable(text: str) -> str:
    """A post's text as X gives it back and as it was sent, made comparable: X escapes `&<>` and turns
    links into t.co links, so links compare as a placeholder and whitespace is ignored."""
    return "".join(_URL.sub("\x00", html.unescape(text)).split())
