"""A Mastodon instance as the API answers (v4): instance v2 configuration, statuses with Idempotency-Key,
422 over the length limit, 401 for a bad token, and X-RateLimit-* headers on every answer.

Status lengths are counted by Mastodon.py's own rendition of the server's rule (graphemes, links as
`characters_reserved_per_url`).
"""

from __future__ import annotations

import html
import itertools
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.peers.http_fake import FakeServer, Reply, Request, serving

URL = re.compile(r"https?://[^\s<]+")
HASHTAG = re.compile(r"(?<![\w/])#(\w+)")


@dataclass
class MastodonInstance:
    token: str
    max_characters: int = 500
    url_length: int = 23
    username: str = "newsroom"
    rate_limit: int = 300
    v2: bool = True
    base: str = ""
    statuses: list[dict[str, Any]] = field(default_factory=list)
    by_key: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(113_000_000_000_000_001))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def account(self) -> dict[str, Any]:
        return {
            "id": "109000000000000001",
            "username": self.username,
            "acct": self.username,
            "display_name": "Newsroom",
            "url": f"{self.base}/@{self.username}",
            "locked": False,
            "bot": True,
            "created_at": "2022-11-01T00:00:00.000Z",
            "note": "",
            "followers_count": 0,
            "following_count": 0,
            "statuses_count": len(self.statuses),
            "emojis": [],
            "fields": [],
        }

    def rate_headers(self) -> dict[str, str]:
        reset = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        used = len(self.statuses)
        return {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(max(self.rate_limit - used, 0)),
            "X-RateLimit-Reset": reset,
        }

    def __call__(self, request: Request) -> Reply:
        headers = self.rate_headers()
        if request.path == "/api/v2/instance" and self.v2:
            return Reply(200, self.instance(), headers)
        if request.path == "/api/v1/instance":
            limits = {"max_characters": self.max_characters, "characters_reserved_per_url": self.url_length}
            v1 = {"uri": self.base.split("//")[-1], "version": "3.5.3", "configuration": {"statuses": limits}}
            return Reply(200, v1, headers)
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(401, {"error": "The access token is invalid"}, headers)
        if request.method == "GET" and request.path == "/api/v1/accounts/verify_credentials":
            return Reply(200, self.account(), headers)
        if request.method == "GET" and re.fullmatch(r"/api/v1/accounts/\d+/statuses", request.path):
            limit = int(request.query.get("limit", ["20"])[0])
            with self.lock:
                return Reply(200, list(reversed(self.statuses))[:limit], headers)
        if request.method == "POST" and request.path == "/api/v1/statuses":
            return self.post_status(request, headers)
        return Reply(404, {"error": "Record not found"}, headers)

    def instance(self) -> dict[str, Any]:
        return {
            "domain": self.base.split("//")[-1],
            "title": "Local Mastodon",
            "version": "4.3.0",
            "source_url": "https://github.com/mastodon/mastodon",
            "usage": {"users": {"active_month": 1}},
            "configuration": {
                "urls": {"streaming": self.base.replace("http", "ws")},
                "accounts": {"max_featured_tags": 10},
                "statuses": {
                    "max_characters": self.max_characters,
                    "max_media_attachments": 4,
                    "characters_reserved_per_url": self.url_length,
                },
                "media_attachments": {},
                "polls": {},
                "translation": {"enabled": False},
            },
            "registrations": {"enabled": False, "approval_required": False, "message": None},
            "contact": {"email": "", "account": None},
            "rules": [],
        }

    def post_status(self, request: Request, headers: dict[str, str]) -> Reply:
        from mastodon import Mastodon

        form = request.form()
        text = form.get("status", "")
        key = request.headers.get("idempotency-key")
        with self.lock:
            if key and (self.token, key) in self.by_key:
                return Reply(200, self.by_key[(self.token, key)], headers)
            if not text.strip():
                return Reply(422, {"error": "Validation failed: Text can't be blank"}, headers)
            if Mastodon.get_status_length(text) > self.max_characters:
                error = f"Validation failed: Text character limit of {self.max_characters} exceeded"
                return Reply(422, {"error": error}, headers)
            reply_to = form.get("in_reply_to_id") or None
            if reply_to and not any(s["id"] == reply_to for s in self.statuses):
                return Reply(404, {"error": "Record not found"}, headers)
            status_id = str(next(self.ids))
            status = {
                "id": status_id,
                "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "in_reply_to_id": reply_to,
                "in_reply_to_account_id": reply_to and self.account()["id"],
                "sensitive": False,
                "spoiler_text": "",
                "visibility": form.get("visibility") or "public",
                "language": form.get("language") or "en",
                "uri": f"{self.base}/users/{self.username}/statuses/{status_id}",
                "url": f"{self.base}/@{self.username}/{status_id}",
                "replies_count": 0,
                "reblogs_count": 0,
                "favourites_count": 0,
                "edited_at": None,
                "content": self.html(text),
                "reblog": None,
                "application": {"name": "cablebot", "website": None},
                "account": self.account(),
                "media_attachments": [],
                "mentions": [],
                "tags": [
                    {"name": t.lower(), "url": f"{self.base}/tags/{t.lower()}"} for t in HASHTAG.findall(text)
                ],
                "emojis": [],
                "card": None,
                "poll": None,
            }
            self.statuses.append(status)
            if key:
                self.by_key[(self.token, key)] = status
            return Reply(200, status, headers)

    def html(self, text: str) -> str:
        """Mastodon's rendering: paragraphs, links shortened with invisible spans, hashtags as links."""

        def link(match: re.Match[str]) -> str:
            url = match.group(0)
            scheme, rest = url.split("//", 1)
            return (
                f'<a href="{html.escape(url)}" rel="nofollow noopener" target="_blank">'
                f'<span class="invisible">{scheme}//</span>'
                f'<span class="ellipsis">{html.escape(rest[:30])}</span>'
                f'<span class="invisible">{html.escape(rest[30:])}</span></a>'
            )

        def tag(match: re.Match[str]) -> str:
            return (
                f'<a href="{self.base}/tags/{match.group(1).lower()}" class="mention hashtag" rel="tag">'
                f"#<span>{match.group(1)}</span></a>"
            )

        paragraphs = []
        for block in text.split("\n\n"):
            escaped = URL.sub(link, html.escape(block, quote=False))
            escaped = HASHTAG.sub(tag, escaped)
            paragraphs.append("<p>" + escaped.replace("\n", "<br />") + "</p>")
        return "".join(paragraphs)


@contextmanager
def mastodon_instance(token: str, **options: Any) -> Iterator[tuple[FakeServer, MastodonInstance]]:
    instance = MastodonInstance(token=token, **options)
    with serving(instance) as server:
        instance.base = server.url
        yield server, instance
