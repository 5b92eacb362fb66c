"""Bluesky, through the atproto SDK, on bsky.social or any PDS.

Three things matter here more than anywhere else:

- Sessions: Bluesky locks out accounts that log in too often, so the session is kept in the store
  (hosted workers have no lasting disk), saved on every creation and refresh, and a password login
  happens only when there is no session or the stored one is dead.
- Idempotency: each post is written with `com.atproto.repo.putRecord` under a record key derived from the
  post's own key (a valid TID), with `swapRecord: null` so that it is created only if absent. A retry after
  an unknown outcome finds the first attempt instead of posting twice, and `recover` is a lookup.
- Links and hashtags are clickable only as facets: they are sent exactly as the renderer computed them.

Account keys: `handle`, `password_env` (the variable holding an app password), `service` (the PDS or
entryway, default https://bsky.social), optional `proxy` (an HTTP proxy URL for every call) and
`timeout` (seconds, default 30).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, TypeVar

from bot.logs import get_logger, log, register_secret
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
from bot.posts.model import Facet, Post, Thread
from bot.posts.rules import TextRules

COLLECTION = "app.bsky.feed.post"
WEB = "https://bsky.app"
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_AUTH_ERRORS = {"ExpiredToken", "InvalidToken", "AuthMissing", "AuthenticationRequired"}
_LOGIN_ERRORS = {*_AUTH_ERRORS, "AuthFactorTokenRequired", "AccountTakedown", "AccountDeactivated"}
logger = get_logger("networks.bluesky")
T = TypeVar("T")


def record_key(key: str, position: int, planned_at: datetime) -> str:
    """The record key (a TID) of the post at `position` of the thread `key`, the same on every attempt.

    A TID is 53 bits of microseconds since the epoch and a 10-bit clock id, in sortable base32. The time
    is the thread's planning time (to the second) plus sub-second digits and a clock id taken from a hash
    of the thread key, so two threads planned in the same second differ, and the posts of one thread
    sort in order.
    """
    digest = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")
    seconds = int(planned_at.timestamp())
    micros = seconds * 1_000_000 + (digest % 1000) * 1000 + position % 1000
    clock_id = (digest >> 10) % 1024
    value = (micros << 10) | clock_id
    return "".join(TID_ALPHABET[(value >> (5 * i)) & 31] for i in range(12, -1, -1))


def created_at(position: int, planned_at: datetime) -> str:
    """The record's createdAt: stable across attempts, so that a retry writes the very same record."""
    at = planned_at.astimezone(UTC).replace(microsecond=0) + timedelta(milliseconds=position)
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class BlueskyNetwork:
    name: ClassVar[str] = "bluesky"

    def __init__(
        self,
        account: str,
        *,
        service: str,
        handle: str,
        password: str,
        sessions: SessionStore,
        password_env: str = "",
        proxy: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.account = account
        self.service = service
        self.handle = handle
        self._password = password
        self.password_env = password_env
        self.sessions = sessions
        self.proxy = proxy
        self.timeout = timeout
        self._client: Any = None
        self.did: str | None = None

    @classmethod
    def text_rules(cls, account: Mapping[str, Any] | None = None) -> TextRules:
        from bot.posts.lengths import BlueskyRules

        return BlueskyRules()

    @classmethod
    def from_account(
        cls, name: str, table: Mapping[str, Any], env: Mapping[str, str], sessions: SessionStore
    ) -> BlueskyNetwork:
        reader = AccountTable(name, table, env)
        service = reader.url("service", "https://bsky.social")
        handle = reader.text("handle")
        password = reader.secret("password_env")
        proxy = reader.optional_url("proxy")  # an HTTP proxy for every call, where a host needs one
        timeout = reader.number("timeout", 30)
        reader.finish()
        return cls(
            name,
            service=service.rstrip("/"),
            handle=handle.removeprefix("@"),
            password=password,
            password_env=str(table.get("password_env", "")),
            sessions=sessions,
            proxy=proxy,
            timeout=float(timeout),
        )

    # -- publishing -----------------------------------------------------------------------------------

    def publish(
        self, thread: Thread, key: str, done: Sequence[PublishedPost], planned_at: datetime
    ) -> Iterator[PublishedPost]:
        from atproto import models

        finished = {p.position: p for p in done}
        root: Any = None
        parent: Any = None
        for position, post in enumerate(thread.posts, start=1):
            remaining = any(p not in finished for p in range(position + 1, len(thread.posts) + 1))
            if position in finished:
                # Only what a later reply needs is fetched: the root, and the last post before a gap.
                if remaining and (root is None or (position + 1) not in finished):
                    ref = self._strong_ref(finished[position].remote_id)
                    root = root or ref
                    parent = ref
                continue
            reply = models.AppBskyFeedPost.ReplyRef(root=root, parent=parent) if root else None
            published, ref = self._put(key, position, post, planned_at, reply)
            root = root or ref
            parent = ref
            yield published

    def recover(self, key: str, position: int, post: Post, planned_at: datetime) -> PublishedPost | None:
        found = self._get(record_key(key, position, planned_at))
        return None if found is None else self._published(position, found.uri)

    # -- the calls ------------------------------------------------------------------------------------

    def _put(
        self, key: str, position: int, post: Post, planned_at: datetime, reply: Any
    ) -> tuple[PublishedPost, Any]:
        from atproto import models
        from atproto.exceptions import BadRequestError
        from atproto_client.models.utils import get_model_as_dict, get_response_model

        rkey = record_key(key, position, planned_at)
        record = models.AppBskyFeedPost.Record(
            text=post.text,
            created_at=created_at(position, planned_at),
            facets=[facet_model(f) for f in post.facets] or None,
            reply=reply,
            langs=["en"],
        )
        record_dict = get_model_as_dict(record)

        def put() -> Any:
            client = self.client  # connecting sets self.did
            body = {
                "repo": self.did,
                "collection": COLLECTION,
                "rkey": rkey,
                "record": record_dict,
                # Sent raw (the SDK drops None fields): "create only if absent".
                "swapRecord": None,
            }
            response = client.invoke_procedure(
                "com.atproto.repo.putRecord",
                content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                headers={"Content-Type": "application/json"},
            )
            return get_response_model(response, models.ComAtprotoRepoPutRecord.Response)

        try:
            created = self._call(put)
        except BadRequestError as e:
            if _error_name(e) != "InvalidSwap":
                raise self._translate(e) from None
            # A record already holds this key: ours from an earlier attempt, or someone else's.
            existing = self._get(rkey)
            if existing is None or _without_volatile(existing.value) != _without_volatile(record_dict):
                raise Rejected(
                    f"[accounts.{self.account}]: Bluesky already holds a different post under record key "
                    f"{rkey} of {self.did}; it was not overwritten"
                ) from None
            created = existing
        log(logger, 20, "posted to Bluesky", account=self.account, uri=created.uri, position=position)
        return self._published(position, created.uri), models.ComAtprotoRepoStrongRef.Main(
            uri=created.uri, cid=created.cid
        )

    def _get(self, rkey: str) -> Any:
        """The post record under `rkey` in this account's repository, or None when there is none."""
        from atproto import models
        from atproto.exceptions import BadRequestError

        def get() -> Any:
            # The repository (our DID) is known once the client has a session, so it is read inside.
            client = self.client
            return client.com.atproto.repo.get_record(
                models.ComAtprotoRepoGetRecord.Params(repo=self.did, collection=COLLECTION, rkey=rkey)
            )

        try:
            return self._call(get)
        except BadRequestError as e:
            if _error_name(e) == "RecordNotFound":
                return None
            raise self._translate(e) from None

    def _strong_ref(self, uri: str) -> Any:
        from atproto import models

        rkey = uri.rsplit("/", 1)[-1]
        found = self._get(rkey)
        if found is None:
            raise Rejected(
                f"[accounts.{self.account}]: the earlier post {uri} of this thread is gone; "
                "cannot reply to it (post the paragraph again with --force)"
            )
        return models.ComAtprotoRepoStrongRef.Main(uri=found.uri, cid=found.cid)

    def _published(self, position: int, uri: str) -> PublishedPost:
        did, _, rkey = uri.removeprefix("at://").partition(f"/{COLLECTION}/")
        return PublishedPost(position, uri, f"{WEB}/profile/{did}/post/{rkey}")

    # -- session and errors ---------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> Any:
        from atproto import Client
        from atproto_client.request import Request

        options: dict[str, Any] = {"timeout": self.timeout}
        if self.proxy:
            options["proxy"] = self.proxy
        client = Client(base_url=self.service, request=Request(**options))
        client.on_session_change(self._session_changed)
        stored = self.sessions.load(self.account)
        if stored:
            try:
                register_secret(stored)
                client.login(session_string=stored, fetch_bsky_profile=False)
                return client
            except Exception:  # an unreadable stored session is as good as none
                log(logger, 30, "stored Bluesky session unreadable; logging in", account=self.account)
        self._login(client)
        return client

    def _login(self, client: Any) -> None:
        from atproto.exceptions import AtProtocolError, BadRequestError, UnauthorizedError

        log(logger, 20, "logging in to Bluesky", account=self.account, service=self.service)
        try:
            client.login(self.handle, self._password, fetch_bsky_profile=False)
        except (UnauthorizedError, BadRequestError) as e:
            if isinstance(e, BadRequestError) and _error_name(e) not in _LOGIN_ERRORS:
                raise self._translate(e) from None
            raise AuthFailed(
                f"[accounts.{self.account}]: {self.service} refused the login of {self.handle} "
                f"({_error_name(e) or 'unauthorized'}); check handle and the app password in "
                f"{self.password_env or 'its password variable'}"
            ) from None
        except AtProtocolError as e:
            raise self._translate(e) from None

    def _session_changed(self, event: Any, session: Any) -> None:
        from atproto import SessionEvent

        register_secret(session.access_jwt)
        register_secret(session.refresh_jwt)
        self.did = session.did
        if event in (SessionEvent.CREATE, SessionEvent.REFRESH):
            # Refresh rotates the refresh token: the stored one is dead from now on.
            string = session.export()
            register_secret(string)
            self.sessions.save(self.account, string)

    def _call(self, call: Callable[[], T]) -> T:
        """Run one request; when the session turns out dead, log in once and run it again.

        A 400 other than a dead token comes back as the SDK's BadRequestError, for the caller to read
        (InvalidSwap, RecordNotFound); every other failure comes back in the shared vocabulary.
        """
        try:
            return self._attempt(call)
        except _SessionDead:
            log(logger, 30, "Bluesky session dead; logging in again", account=self.account)
        self._login(self.client)
        try:
            return self._attempt(call)
        except _SessionDead as e:
            raise AuthFailed(
                f"[accounts.{self.account}]: Bluesky refused a fresh session ({e}); check the account "
                f"and the app password in {self.password_env or 'its password variable'}"
            ) from None

    def _attempt(self, call: Callable[[], T]) -> T:
        import httpx
        from atproto.exceptions import AtProtocolError, BadRequestError, LoginRequiredError, UnauthorizedError

        try:
            return call()
        except (UnauthorizedError, LoginRequiredError) as e:
            raise _SessionDead(_describe(e)) from None
        except BadRequestError as e:
            if _error_name(e) in _AUTH_ERRORS:
                raise _SessionDead(_describe(e)) from None
            raise
        except (AtProtocolError, httpx.HTTPError) as e:
            raise self._translate(e) from None

    def _translate(self, error: Exception) -> PublishError:
        import httpx
        from atproto.exceptions import (
            BadRequestError,
            InvokeTimeoutError,
            NetworkError,
            RateLimitExceededError,
            RequestErrorBase,
            UnauthorizedError,
        )

        where = f"[accounts.{self.account}]"
        if isinstance(error, PublishError):
            return error
        if isinstance(error, RateLimitExceededError):
            until = error.reset_at or datetime.now(UTC) + timedelta(seconds=error.retry_after or 60)
            return RateLimited(f"{where}: Bluesky rate limit reached until {until:%H:%M:%S} UTC", until)
        if isinstance(error, UnauthorizedError):
            return AuthFailed(
                f"{where}: Bluesky refused the session ({_describe(error)}); check the account "
                f"and the app password in {self.password_env or 'its password variable'}"
            )
        if isinstance(error, BadRequestError):
            return Rejected(f"{where}: Bluesky rejected the post: {_describe(error)}")
        if isinstance(error, (NetworkError, InvokeTimeoutError, httpx.TransportError)):
            return Transient(f"{where}: cannot reach {self.service}: {_describe(error)}")
        if isinstance(error, RequestErrorBase) and error.response is not None:
            if error.response.status_code >= 500:
                return Transient(f"{where}: {self.service} failed: {_describe(error)}")
            return Rejected(f"{where}: Bluesky refused the request: {_describe(error)}")
        return Transient(f"{where}: Bluesky call failed: {type(error).__name__}: {error}")


class _SessionDead(Exception):
    """The session was refused: worth one fresh login."""


def facet_model(facet: Facet) -> Any:
    """The renderer's facet (UTF-8 byte offsets, exactly as rendered) as the SDK's model."""
    from atproto import models

    feature: Any
    if facet.kind == "link":
        feature = models.AppBskyRichtextFacet.Link(uri=facet.value)
    else:
        feature = models.AppBskyRichtextFacet.Tag(tag=facet.value)
    return models.AppBskyRichtextFacet.Main(
        index=models.AppBskyRichtextFacet.ByteSlice(byte_start=facet.byte_start, byte_end=facet.byte_end),
        features=[feature],
    )


def _error_name(error: Any) -> str:
    content = getattr(getattr(error, "response", None), "content", None)
    return str(getattr(content, "error", "") or "")


def _describe(error: Any) -> str:
    content = getattr(getattr(error, "response", None), "content", None)
    name, message = getattr(content, "error", None), getattr(content, "message", None)
    if name or message:
        return ": ".join(str(part) for part in (name, message) if part)
    status = getattr(getattr(error, "response", None), "status_code", None)
    text = str(error.__cause__ or error) if not str(error) else str(error)
    return f"{status} {text}".strip() if status else (text or type(error).__name__)


def _without_volatile(record: Any) -> Any:
    """A record as compared with another: the fields that identify a post (the SDK may add `$type`s)."""
    from atproto_client.models.utils import get_model_as_dict

    data = record if isinstance(record, dict) else get_model_as_dict(record)
    return {k: data.get(k) for k in ("text", "createdAt")}
