"""Record -> publish -> record: the one way a thread reaches a network, for `cablebot post` and the worker.

Every post is written to the ledger before its network call (sending) and after it (sent, failed, or
unknown when the answer was lost), each in its own short transaction. Posts left `sending` or `unknown`
by a crash are checked with the adapter's `recover` before anything is sent again, so a thread is
completed without a duplicate.

The retry policy is written once here, against the shared error vocabulary:
- Transient: back off with jitter and try again, a bounded number of times;
- RateLimited: wait only when the reset is within `max_rate_wait`; otherwise record it and report the time;
- Rejected: record the network's reason on the post, never retry;
- AuthFailed: leave the posts planned, report it (an editor must fix the credentials).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.config import Config
from bot.errors import CablebotError, ConfigError
from bot.logs import get_logger, log, redact
from bot.networks.base import (
    AuthFailed,
    Network,
    PublishedPost,
    PublishError,
    RateLimited,
    Rejected,
    Transient,
)
from bot.posts.model import Thread
from bot.store.ledger import FAILED, PLANNED, SENDING, SENT, UNKNOWN, Ledger, LedgerEntry, thread_key

logger = get_logger("posting")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # calls per thread for transient trouble, the first included
    base_delay: float = 1.0  # seconds; doubled each time, with full jitter
    max_delay: float = 30.0
    max_rate_wait: float = 0.0  # seconds worth sleeping for a rate limit; a longer one is reported
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def backoff(self, attempt: int) -> float:
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


@dataclass(frozen=True)
class Outcome:
    """How one thread stands after a publish: its ledger rows and, when it is not all out, why."""

    entries: list[LedgerEntry]
    error: PublishError | None = None

    @property
    def complete(self) -> bool:
        return bool(self.entries) and all(e.status == SENT for e in self.entries)


# With no account configured, posts go to the local outbox (var/outbox.jsonl): the README's main job.
BUILT_IN_ACCOUNTS: dict[str, dict[str, object]] = {"local": {"network": "outbox"}}


def configured_accounts(config: Config) -> dict[str, dict[str, object]]:
    """The config's `[accounts.NAME]` tables, or the built-in local outbox when there are none."""
    return dict(config.accounts) or dict(BUILT_IN_ACCOUNTS)


def choose_account(config: Config, name: str | None) -> tuple[str, dict[str, object]]:
    """The account `name`, or the only one configured; a ConfigError listing them otherwise."""
    accounts = configured_accounts(config)
    listed = ", ".join(sorted(accounts))
    if name:
        if name not in accounts:
            raise ConfigError(f"{config.where()}: no account {name!r}; the accounts are: {listed}")
        return name, accounts[name]
    if len(accounts) == 1:
        return next(iter(accounts.items()))
    raise ConfigError(f"several accounts are configured ({listed}); choose one with --account NAME")


class AlreadyPosted(CablebotError):
    """The account has posted this paragraph already; only an editor's --force posts it again."""


def choose_generation(
    ledger: Ledger, account: str, ref_id: str, paragraph: str, *, force: bool = False
) -> int:
    """Which thread of this paragraph a manual post works on.

    Nothing out yet (never posted, or every try failed): that generation, planned again. A thread begun
    and not finished (a crash, a transient failure): that thread, to be completed, never a second one.
    A finished thread, or one with a rejected post: AlreadyPosted, unless `force` starts a new generation.
    """
    latest = ledger.latest_generation(account, ref_id, paragraph)
    if latest is None:
        return 0
    entries = ledger.thread(thread_key(account, ref_id, paragraph, latest))
    statuses = {e.status for e in entries}
    if SENT not in statuses:
        return latest
    if not statuses <= {SENT, FAILED}:
        return latest
    if force:
        return latest + 1
    sent = [e for e in entries if e.status == SENT]
    when = f"{sent[0].created_at:%Y-%m-%d %H:%M} UTC"
    if len(sent) == len(entries):
        what = f"posted {ref_id} paragraph {paragraph} on {when} ({sent[0].url})"
    else:
        what = f"posted {len(sent)} of the {len(entries)} posts of {ref_id} paragraph {paragraph} on {when}"
    raise AlreadyPosted(f"{account} has already {what}; use --force to post it again")


class ThreadMismatch(CablebotError):
    """A thread partly posted earlier now renders differently: it cannot be completed as it began."""


def publish_thread(
    ledger: Ledger,
    network: Network,
    *,
    account: str,
    thread: Thread,
    generation: int = 0,
    paragraph_id: int | None = None,
    policy: RetryPolicy | None = None,
    clock: Callable[[], datetime] | None = None,
    retry_rejected: bool = False,
) -> Outcome:
    """Publish `thread` for `account` (or complete it, when an earlier run was interrupted).

    A post the network rejected is not sent again: the outcome reports the rejection, unless
    `retry_rejected` (an editor asking for this very post again, after fixing what was wrong).
    """
    policy = policy or RetryPolicy()
    clock = clock or (lambda: datetime.now(UTC))
    texts = [post.text for post in thread.posts]
    entries = ledger.plan(
        account=account,
        network=network.name,
        ref_id=thread.ref_id,
        paragraph=thread.paragraph,
        generation=generation,
        texts=texts,
        paragraph_id=paragraph_id,
    )
    if [e.text for e in entries] != texts:
        raise ThreadMismatch(
            f"{thread.ref_id} paragraph {thread.paragraph} was partly posted by {account} with other texts "
            "(a template or the cable changed since); it cannot be completed as it began: "
            "post it again with --force"
        )
    key, planned_at = entries[0].thread_key, entries[0].created_at
    rejected = [e for e in entries if e.status == FAILED]
    if rejected and not retry_rejected:
        return Outcome(entries, Rejected(rejected[0].error or f"post {rejected[0].position} was rejected"))
    if rejected:
        ledger.mark_many([e.id for e in rejected], PLANNED)
    attempt = 0
    while True:
        attempt += 1
        try:
            _settle(ledger, network, thread, key, planned_at)
            _send(ledger, network, thread, key, planned_at)
            return Outcome(ledger.thread(key))
        except Transient as e:
            if attempt >= policy.attempts:
                log(logger, 40, "giving up for now", account=account, key=key, error=str(e), attempts=attempt)
                return Outcome(ledger.thread(key), e)
            delay = policy.backoff(attempt)
            log(
                logger,
                30,
                "transient failure; retrying",
                account=account,
                key=key,
                error=str(e),
                delay=round(delay, 2),
            )
            policy.sleep(delay)
        except RateLimited as e:
            wait = (e.until - clock()).total_seconds()
            if wait <= policy.max_rate_wait and attempt < policy.attempts:
                log(logger, 30, "rate limited; waiting", account=account, key=key, until=e.until.isoformat())
                policy.sleep(max(wait, 0.0))
                continue
            log(logger, 30, "rate limited", account=account, key=key, until=e.until.isoformat())
            return Outcome(ledger.thread(key), e)
        except (Rejected, AuthFailed) as e:
            log(logger, 40, "not published", account=account, key=key, error=str(e))
            return Outcome(ledger.thread(key), e)


def _settle(ledger: Ledger, network: Network, thread: Thread, key: str, planned_at: datetime) -> None:
    """Find out what became of posts whose outcome is unknown, before anything is sent again."""
    for entry in ledger.thread(key):
        if entry.status not in (SENDING, UNKNOWN):
            continue
        found = network.recover(key, entry.position, thread.posts[entry.position - 1], planned_at)
        if found:
            log(
                logger,
                20,
                "found a post whose outcome was unknown",
                key=key,
                position=entry.position,
                remote_id=found.remote_id,
            )
            ledger.mark(entry.id, SENT, remote_id=found.remote_id, url=found.url)
        else:
            ledger.mark(entry.id, PLANNED, error="not found on the network after an unknown outcome; resent")


def _send(ledger: Ledger, network: Network, thread: Thread, key: str, planned_at: datetime) -> None:
    entries = {e.position: e for e in ledger.thread(key)}
    done = [
        PublishedPost(e.position, e.remote_id or "", e.url or "")
        for e in entries.values()
        if e.status == SENT
    ]
    sent = {p.position for p in done}
    if len(sent) == len(entries):
        return
    posts = network.publish(thread, key, done, planned_at)
    try:
        _record_each(ledger, posts, entries, sent, network.name, key)
    finally:
        close = getattr(posts, "close", None)  # a generator: let it release its connection now
        if close:
            close()


def _record_each(
    ledger: Ledger,
    posts: Iterator[PublishedPost],
    entries: dict[int, LedgerEntry],
    sent: set[int],
    network: str,
    key: str,
) -> None:
    while True:
        current = next(e for p, e in sorted(entries.items()) if p not in sent)
        ledger.mark(current.id, SENDING, attempt=True)
        try:
            published = next(posts)
        except StopIteration:
            ledger.mark(current.id, UNKNOWN, error="the network adapter stopped before sending this post")
            raise Transient(f"{network} stopped before post {current.position} of {key}") from None
        except Transient as e:
            # The request may have reached the network before the connection failed.
            ledger.mark(current.id, UNKNOWN, error=redact(str(e)))
            raise
        except Rejected as e:
            ledger.mark(current.id, FAILED, error=redact(str(e)))
            later = [x.id for p, x in entries.items() if p > current.position and p not in sent]
            ledger.mark_many(later, FAILED, error=f"not sent: post {current.position} was rejected")
            raise
        except PublishError as e:
            ledger.mark(current.id, PLANNED, error=redact(str(e)))  # the network answered: nothing was posted
            raise
        ledger.mark(entries[published.position].id, SENT, remote_id=published.remote_id, url=published.url)
        sent.add(published.position)
        if len(sent) == len(entries):
            return
