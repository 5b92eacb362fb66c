"""X's API v2 as it answers posts (only what was not recorded in ../shared/peers/x): 201 with the
15-minute and 24-hour rate-limit headers, 401 for bad credentials, 403 without write permission or for a
duplicate (X's own problem bodies), 429 with its headers, and the account's timeline with links shown as
t.co links and `&` escaped, as X gives texts back.
"""

from __future__ import annotations

import html
import itertools
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.peers.http_fake import FakeServer, Reply, Request, serving

URL = re.compile(r"(?:https?://)?(?:[\w-]+\.)+[a-z]{2,}(?:/\S*)?", re.IGNORECASE)

NO_WRITE = {
    "title": "Forbidden",
    "status": 403,
    "type": "https://api.twitter.com/2/problems/oauth1-permissions",
    "detail": "Your client app is not configured with the appropriate oauth1 app permissions for this "
    "endpoint.",
}
DUPLICATE = {
    "title": "Forbidden",
    "status": 403,
    "type": "about:blank",
    "detail": "You are not allowed to create a Tweet with duplicate content.",
}
UNAUTHORIZED = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
TOO_MANY = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}


@dataclass
class XApi:
    consumer_key: str
    access_token: str
    user_id: str = "1460000000000000001"
    username: str = "newsroom"
    write: bool = True
    window_limit: int = 100  # per 15 minutes
    daily_limit: int = 17  # per user per 24 hours (the free tier's)
    hidden_reads: int = 0  # timeline reads that do not show the posts yet (X's timelines lag)
    tweets: list[dict[str, Any]] = field(default_factory=list)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1_860_000_000_000_000_001))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def limits(self) -> dict[str, str]:
        now = int(time.time())
        used = len(self.tweets)
        return {
            "x-rate-limit-limit": str(self.window_limit),
            "x-rate-limit-remaining": str(max(self.window_limit - used, 0)),
            "x-rate-limit-reset": str(now + 900),
            "x-user-limit-24hour-limit": str(self.daily_limit),
            "x-user-limit-24hour-remaining": str(max(self.daily_limit - used, 0)),
            "x-user-limit-24hour-reset": str(now + 86_400),
            "x-app-limit-24hour-limit": "1667",
            "x-app-limit-24hour-remaining": str(1667 - used),
            "x-app-limit-24hour-reset": str(now + 86_400),
        }

    def authorized(self, request: Request) -> bool:
        auth = request.headers.get("authorization", "")
        return (
            auth.startswith("OAuth ")
            and f'oauth_consumer_key="{self.consumer_key}"' in auth
            and f'oauth_token="{self.access_token}"' in auth
        )

    def __call__(self, request: Request) -> Reply:
        headers = {"x-access-level": "read-write" if self.write else "read", **self.limits()}
        if not self.authorized(request):
            return Reply(401, UNAUTHORIZED, headers)
        if request.method == "POST" and request.path == "/2/tweets":
            return self.create(request, headers)
        if request.method == "GET" and request.path == "/2/users/me":
            return Reply(
                200, {"data": {"id": self.user_id, "name": "Newsroom", "username": self.username}}, headers
            )
        if request.method == "GET" and request.path == f"/2/users/{self.user_id}/tweets":
            count = int(request.query.get("max_results", ["10"])[0])
            since = request.query.get("start_time", ["1970-01-01T00:00:00Z"])[0]
            with self.lock:
                if self.hidden_reads:
                    self.hidden_reads -= 1
                    return Reply(200, {"meta": {"result_count": 0}}, headers)
                shown = [
                    {"id": t["id"], "text": t["shown"], "edit_history_tweet_ids": [t["id"]]}
                    for t in reversed(self.tweets)
                    if t["created_at"] >= since
                ][:count]
            meta = {"result_count": len(shown)}
            return Reply(200, {"data": shown, "meta": meta} if shown else {"meta": meta}, headers)
        return Reply(404, {"title": "Not Found Error", "status": 404, "type": "about:blank"}, headers)

    def create(self, request: Request, headers: dict[str, str]) -> Reply:
        if not self.write:
            return Reply(403, NO_WRITE, headers)
        body = request.form()
        text = body.get("text", "")
        with self.lock:
            if any(t["text"] == text for t in self.tweets):
                return Reply(403, DUPLICATE, headers)
            if len(self.tweets) >= self.daily_limit:
                return Reply(429, TOO_MANY, headers)
            tweet_id = str(next(self.ids))
            reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
            shortened = URL.sub(lambda m: f"https://t.co/{abs(hash(m.group(0))) % 10**10:010d}", text)
            shown = html.escape(shortened, quote=False)
            created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            self.tweets.append(
                {"id": tweet_id, "text": text, "shown": shown, "in_reply_to": reply_to, "created_at": created}
            )
            headers = {**headers, **self.limits(), "location": f"https://api.twitter.com/2/tweets/{tweet_id}"}
        return Reply(
            201, {"data": {"id": tweet_id, "text": shown, "edit_history_tweet_ids": [tweet_id]}}, headers
        )


@contextmanager
def x_api(consumer_key: str, access_token: str, **options: Any) -> Iterator[tuple[FakeServer, XApi]]:
    api = XApi(consumer_key=consumer_key, access_token=access_token, **options)
    with serving(api) as server:
        yield server, api
