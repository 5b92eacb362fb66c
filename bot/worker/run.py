"""The worker: every account's schedule, run until SIGTERM, each slot posted once across crashes and replicas.

A slot's life: claim it in the database (bot.worker.slots), write down the paragraph it will post (the
editors' queue first, then the picker's choice), render it for the account's network, publish it through
the one record -> publish -> record path (bot.posting), close the slot. Whatever a crash interrupts is
found again at the next start: the slot is still claimed by a dead process, its thread in the ledger.

One loop, one thread, driven by the schedules' next fire times: nothing runs between slots, and nothing
accumulates, so memory stays flat however long the worker runs.
"""

from __future__ import annotations

import os
import random
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.config import Config
from bot.errors import CablebotError
from bot.logs import get_logger, log, redact
from bot.networks.base import AuthFailed, RateLimited, Rejected, Transient
from bot.store import Store
from bot.worker import crash, slots
from bot.worker.schedule import Schedule, Slot, schedule_from_config
from bot.worker.slots import SlotRow

logger = get_logger("worker")
INFO, WARNING, ERROR = 20, 30, 40
# The longest the loop sleeps without looking at the database (a replica may have paused an account).
MAX_NAP = 60.0
# A slot whose thread keeps failing for transient reasons is retried later, this many times in all.
SLOT_ATTEMPTS = 5
RETRY_BASE = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=1)
# A thread left unfinished in the ledger with no slot holding it (an interrupted `cablebot post`) is
# resumed once nobody has touched it for this long, so that a post running right now is left alone.
ORPHAN_AGE = timedelta(minutes=2)
# The picker's first choices asked for at each slot: the best one whose post was not rejected is posted.
PICK_CANDIDATES = 5


class Stopping(Exception):
    """SIGTERM arrived while waiting: leave the post in hand to the next start (the ledger has it)."""


@dataclass(frozen=True, slots=True)
class SlotResult:
    account: str
    due_at: datetime
    status: str  # posted | skipped | failed | paused | abandoned | taken (another worker has it)
    ref_id: str | None = None
    paragraph: str | None = None
    urls: tuple[str, ...] = ()
    reason: str | None = None
    texts: tuple[str, ...] = ()  # the posts as sent, for a person watching `worker --once`


@dataclass
class Account:
    """One `[accounts.NAME]` as the worker serves it; `problem` set when it cannot be served."""

    name: str
    table: Mapping[str, Any]
    schedule: Schedule | None = None
    network: Any = None
    problem: str | None = None
    after: datetime | None = None  # the newest slot already handled
    next: Slot | None = None
    paused_until: datetime | None = None
    rules: Any = None  # how its network counts text (for the renderer)


def prepare_account(
    name: str, table: Mapping[str, Any], config: Config, env: Mapping[str, str], engine: Any
) -> Account:
    """The account ready to serve, or with `problem` saying why it cannot be (the others go on)."""
    from bot.networks.registry import network_class
    from bot.store.ledger import DatabaseSessions

    account = Account(name, table)
    try:
        account.schedule = schedule_from_config(name, dict(table), config.where())
        cls = network_class(str(table.get("network")))
        account.rules = cls.text_rules(table)
        network = cls.from_account(name, table, env, DatabaseSessions(engine))
        account.network = crash.around_network(network)
    except CablebotError as e:
        account.problem = redact(str(e))
        log(logger, ERROR, "account not served", account=name, problem=account.problem)
    return account


class Worker:
    def __init__(
        self,
        store: Store,
        config: Config,
        *,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        from bot.posts.templates import TemplateSet
        from bot.store.ledger import Ledger

        self.store = store
        self.engine = store.engine
        self.config = config
        self.env = os.environ if env is None else env
        self.clock = clock or (lambda: datetime.now(UTC))
        self.stop = stop or threading.Event()
        self.me = slots.worker_id()
        self.ledger = Ledger(self.engine, self.clock)
        self.templates = TemplateSet.from_config(config)
        self._pick_settings: Any = None  # the [picks] settings, read at the first pick
        from bot.posting import configured_accounts

        # Without any [accounts.NAME], the built-in local outbox: what `cablebot post` uses too.
        self.accounts = [
            prepare_account(name, table, config, self.env, self.engine)
            for name, table in configured_accounts(config).items()
        ]

    # -- set-up ------------------------------------------------------------------------------------

    def served(self) -> list[Account]:
        return [a for a in self.accounts if a.problem is None]

    # -- the two ways to run --------------------------------------------------------------------------

    def run(self) -> None:
        """Every account's schedule until `stop` is set (SIGTERM)."""
        scheduled = self.start()
        if not scheduled:
            log(logger, WARNING, "no account has a schedule (cron or every): nothing to do until stopped")
        while not self.stop.is_set():
            self.tick(scheduled)
            self._nap(scheduled)
        log(logger, INFO, "stopped", worker=self.me)

    def start(self) -> list[Account]:
        """Recover what a crash left, then place each scheduled account after its newest handled slot."""
        self.recover()
        now = self.clock()
        scheduled = [a for a in self.served() if a.schedule is not None]
        for account in scheduled:
            assert account.schedule is not None
            last = slots.last_due(self.engine, account.name)
            # No history yet: nothing was missed; the account starts with its next slot.
            account.after = last or now
            log(logger, INFO, "serving", account=account.name, schedule=account.schedule.description)
        return scheduled

    def tick(self, accounts: list[Account]) -> list[SlotResult]:
        """Serve each account's slots that are due now (at most one post per account)."""
        results = []
        for account in accounts:
            if self.stop.is_set():
                break
            results.extend(self._serve(account))
        return results

    def once(self, accounts: list[str] | None = None) -> list[SlotResult]:
        """One slot for every served account (or the named ones), now, whatever their schedules say."""
        self.recover()
        results = []
        for account in self.accounts:
            if accounts and account.name not in accounts:
                continue
            if account.problem is not None:
                results.append(SlotResult(account.name, self.clock(), "failed", reason=account.problem))
                continue
            now = self.clock()
            held = slots.waiting(self.engine, account.name, now)
            if held is not None:
                results.append(SlotResult(account.name, now, "paused", reason=slots.pause_reason(held)))
                continue
            row = slots.claim(self.engine, Slot(account.name, now, now), self.me, now, kind="manual")
            if row is None:
                results.append(SlotResult(account.name, now, "taken"))
                continue
            results.append(self._run_slot(account, row))
        return results

    # -- recovery -------------------------------------------------------------------------------------

    def recover(self) -> list[SlotResult]:
        """What a crash left: slots of dead workers (their threads in the ledger), then unfinished threads
        no slot holds. Each is completed without posting anything twice."""
        results = []
        by_name = {a.name: a for a in self.served()}
        for row in slots.take_over(self.engine, self.me, self.clock()):
            account = by_name.get(row.account)
            if account is None:
                continue  # an account no longer served: its slot waits for a worker that serves it
            log(
                logger,
                INFO,
                "resuming a slot left by a stopped worker",
                account=row.account,
                due_at=row.due_at.isoformat(),
                ref_id=row.ref_id,
                paragraph=row.paragraph,
            )
            results.append(self._run_slot(account, row))
        results.extend(self._resume_orphans(by_name))
        return results

    def _resume_orphans(self, by_name: dict[str, Account]) -> list[SlotResult]:
        held = {r.ledger_key for r in slots.open_claims(self.engine)}
        cutoff = self.clock() - ORPHAN_AGE
        threads: dict[str, Any] = {}
        for name in by_name:
            for entry in self.ledger.pending(name):
                if entry.thread_key not in held:
                    threads.setdefault(entry.thread_key, entry)
        results = []
        for key, entry in threads.items():
            if max(e.updated_at for e in self.ledger.thread(key)) > cutoff:
                continue
            log(logger, INFO, "completing an interrupted thread", account=entry.account, key=key)
            account = by_name[entry.account]
            try:
                thread = self._render(account, entry.ref_id, entry.paragraph)
                outcome = self._publish(account, thread, entry.generation)
            except CablebotError as e:
                log(
                    logger,
                    ERROR,
                    "cannot complete an interrupted thread",
                    account=entry.account,
                    key=key,
                    error=redact(str(e)),
                )
                continue
            status = "posted" if outcome.complete else "failed"
            results.append(
                SlotResult(
                    entry.account,
                    entry.created_at,
                    status,
                    entry.ref_id,
                    entry.paragraph,
                    tuple(e.url or "" for e in outcome.entries),
                    _reason(outcome.error),
                )
            )
        return results

    # -- the schedule loop --------------------------------------------------------------------------------

    def _serve(self, account: Account) -> list[SlotResult]:
        assert account.schedule is not None and account.after is not None
        now = self.clock()
        # A slot paused for a rate limit or a back-off whose wait is over, or one a dead worker held.
        resumed = slots.take_over(self.engine, self.me, now, account.name)
        results = [self._run_slot(account, row) for row in resumed]
        now = self.clock()
        waiting = slots.waiting(self.engine, account.name, now)
        account.paused_until = waiting.retry_at if waiting else None
        plan = account.schedule.plan(account.after, now)
        account.next = plan.next
        skipped = list(plan.skipped)
        if plan.post is not None and waiting is not None:
            skipped.append((plan.post, slots.pause_reason(waiting)))
        for slot, why in skipped:
            if slots.record_skip(self.engine, slot, why, now):
                log(
                    logger,
                    WARNING,
                    "slot skipped",
                    account=account.name,
                    due_at=slot.due_at.isoformat(),
                    reason=why,
                )
                results.append(SlotResult(account.name, slot.due_at, "skipped", reason=why))
        if plan.skipped_count > len(plan.skipped):
            log(
                logger,
                WARNING,
                "more slots skipped",
                account=account.name,
                count=plan.skipped_count - len(plan.skipped),
            )
        handled = [s.due_at for s, _ in skipped] + ([plan.post.due_at] if plan.post else [])
        account.after = max([account.after, *handled])
        if plan.post is None or account.paused_until is not None:
            return results
        row = slots.claim(self.engine, plan.post, self.me, now)
        if row is None:
            log(
                logger,
                INFO,
                "slot taken by another worker",
                account=account.name,
                due_at=plan.post.due_at.isoformat(),
            )
            return results
        results.append(self._run_slot(account, row))
        return results

    def _nap(self, accounts: list[Account]) -> None:
        now = self.clock()
        wake = [a.next.fire_at for a in accounts if a.next is not None]
        wake += [a.paused_until for a in accounts if a.paused_until is not None]
        seconds = min([(w - now).total_seconds() for w in wake] + [MAX_NAP])
        self.stop.wait(max(seconds, 0.0))

    # -- one slot -----------------------------------------------------------------------------------------

    def _run_slot(self, account: Account, row: SlotRow) -> SlotResult:
        crash.reached("after-claim")
        try:
            if row.ledger_key is None:
                chosen = self._choose(account, row)
                if chosen is None:
                    why = "nothing left to post: every citable paragraph was posted or blocked"
                    return self._finish(account, row, "skipped", why)
                row, thread, generation, paragraph_id = chosen
            else:
                # Taken over: post exactly what the slot had chosen (its thread may be partly out),
                # naming its paragraph row as a first attempt does (`next` passes posted rows over by id).
                ref_id, paragraph, generation = _parse_key(row.ledger_key)
                thread = self._render(account, ref_id, paragraph)
                paragraph_id = self.ledger.paragraph_id(ref_id, paragraph)
            outcome = self._publish(account, thread, generation, paragraph_id)
        except Stopping:
            # The ledger holds the thread as it stands; any worker may take the slot over at once.
            slots.pause(
                self.engine, row, self.me, self.clock(), "abandoned at shutdown; resumed at next start"
            )
            log(
                logger,
                WARNING,
                "slot abandoned at shutdown",
                account=account.name,
                due_at=row.due_at.isoformat(),
            )
            return SlotResult(account.name, row.due_at, "abandoned", row.ref_id, row.paragraph)
        except CablebotError as e:
            return self._finish(account, row, "failed", redact(str(e)))
        urls = tuple(e.url or "" for e in outcome.entries)
        if outcome.complete:
            crash.reached("before-finish")
            result = self._finish(account, row, "posted", None, urls)
            return replace(result, texts=tuple(e.text for e in outcome.entries))
        error, reason = outcome.error, _reason(outcome.error)
        if isinstance(error, RateLimited):
            account.paused_until = error.until
            slots.pause(self.engine, row, self.me, error.until, reason or "rate limited")
            log(
                logger,
                WARNING,
                "account paused by a rate limit",
                account=account.name,
                until=error.until.isoformat(),
            )
            return SlotResult(account.name, row.due_at, "paused", row.ref_id, row.paragraph, urls, reason)
        if isinstance(error, Transient):
            return self._retry_later(account, row, reason or "transient failure")
        if isinstance(error, Rejected | AuthFailed):
            return self._finish(account, row, "failed", reason, urls)
        return self._finish(account, row, "failed", reason or "the thread was not completed", urls)

    def _choose(self, account: Account, row: SlotRow) -> tuple[SlotRow, Any, int, int | None] | None:
        """Pick the account's next paragraph and plan it in the ledger, one worker at a time per account,
        so that the next pick (on any replica) already sees it as taken."""
        from bot.errors import RenderError
        from bot.store.ledger import thread_key

        with slots.pick_lock(self.engine, account.name):
            for ref_id, paragraph, paragraph_id in self._candidates(account):
                try:
                    thread = self._render(account, ref_id, paragraph)
                except RenderError as e:
                    # This paragraph cannot be posted on this network; the next one can.
                    log(
                        logger,
                        WARNING,
                        "paragraph passed over",
                        account=account.name,
                        ref_id=ref_id,
                        paragraph=paragraph,
                        reason=redact(str(e)),
                    )
                    continue
                generation = self.ledger.latest_generation(account.name, ref_id, paragraph) or 0
                key = thread_key(account.name, ref_id, paragraph, generation)
                row = slots.set_pick(self.engine, row, self.me, ref_id, paragraph, key)
                crash.reached("after-pick")
                self.ledger.plan(
                    account=account.name,
                    network=account.network.name,
                    ref_id=ref_id,
                    paragraph=paragraph,
                    generation=generation,
                    texts=[p.text for p in thread.posts],
                    paragraph_id=paragraph_id,
                )
                return row, thread, generation, paragraph_id
        return None

    def _candidates(self, account: Account) -> Iterator[tuple[str, str, int | None]]:
        """The account's next paragraphs, best first: the editors' queue, then the picker's choice; never
        one whose post the network rejected for good (that waits for an editor, not for the next slot)."""
        from bot.picks.settings import parse_picks
        from bot.worker.choose import choose_next, finish_served_queue

        if self._pick_settings is None:
            self._pick_settings = parse_picks(self.config.picks, self.config.where())
        with self.store.write() as conn:  # queued cables already served leave the queue (and `status`)
            finish_served_queue(conn, [a.name for a in self.served()], self._pick_settings, self.clock())
        offered: set[tuple[str, str]] = set()
        for n in (1, PICK_CANDIDATES):  # more than the best only when the best cannot be posted
            with self.store.read() as conn:
                choices = choose_next(conn, account.name, self._pick_settings, n=n, now=self.clock())
            for choice in choices:
                if (choice.ref_id, choice.number) in offered:
                    continue
                offered.add((choice.ref_id, choice.number))
                if not self._rejected(account.name, choice.ref_id, choice.number):
                    yield choice.ref_id, choice.number, choice.paragraph_id
            if len(choices) < n:
                return

    def _rejected(self, account: str, ref_id: str, paragraph: str) -> bool:
        from bot.store.ledger import FAILED, thread_key

        latest = self.ledger.latest_generation(account, ref_id, paragraph)
        if latest is None:
            return False
        thread = self.ledger.thread(thread_key(account, ref_id, paragraph, latest))
        return any(e.status == FAILED for e in thread)

    def _render(self, account: Account, ref_id: str, paragraph: str) -> Any:
        from bot.errors import RenderError
        from bot.posts.render import min_quote_share, render_thread

        cable = self.store.get_cable(ref_id, self.config.permalinks)
        found = cable.paragraph(paragraph)
        if found is None:
            raise RenderError(f"cable {ref_id} has no paragraph {paragraph} any more (re-ingested?)")
        return render_thread(
            cable,
            found,
            network=account.network.name,
            rules=account.rules,
            templates=self.templates,
            min_quote_share=min_quote_share(self.config),
        )

    def _publish(
        self, account: Account, thread: Any, generation: int, paragraph_id: int | None = None
    ) -> Any:
        from bot.posting import RetryPolicy, publish_thread

        return publish_thread(
            self.ledger,
            account.network,
            account=account.name,
            thread=thread,
            generation=generation,
            paragraph_id=paragraph_id,
            policy=RetryPolicy(sleep=self._sleep),
            clock=self.clock,
        )

    def _sleep(self, seconds: float) -> None:
        """The retry policy's back-off, cut short by SIGTERM."""
        if self.stop.wait(seconds):
            raise Stopping

    def _retry_later(self, account: Account, row: SlotRow, reason: str) -> SlotResult:
        """The in-call retries are spent: the slot waits (a doubling, jittered delay) and is tried again,
        by whichever worker is free then, a bounded number of times."""
        attempts = row.attempts + 1
        if attempts >= SLOT_ATTEMPTS:
            why = f"gave up after {attempts} tries: {reason}; the ledger keeps the thread for an editor"
            return self._finish(account, row, "failed", why)
        delay = min(RETRY_MAX, RETRY_BASE * 2 ** (attempts - 1)) * random.uniform(0.5, 1.0)
        until = self.clock() + delay
        why = f"try {attempts} of {SLOT_ATTEMPTS} failed: {reason}"
        slots.pause(self.engine, row, self.me, until, why, failed_try=True)
        log(
            logger,
            WARNING,
            "slot will be retried",
            account=account.name,
            due_at=row.due_at.isoformat(),
            retry_at=until.isoformat(),
            reason=why,
        )
        return SlotResult(account.name, row.due_at, "paused", row.ref_id, row.paragraph, reason=why)

    def _finish(
        self, account: Account, row: SlotRow, status: str, reason: str | None, urls: tuple[str, ...] = ()
    ) -> SlotResult:
        if not slots.finish(self.engine, row, self.me, status, self.clock(), reason):
            log(
                logger,
                WARNING,
                "slot was taken over before it finished",
                account=account.name,
                due_at=row.due_at.isoformat(),
            )
        level = INFO if status == "posted" else WARNING if status == "skipped" else ERROR
        log(
            logger,
            level,
            f"slot {status}",
            account=account.name,
            due_at=row.due_at.isoformat(),
            ref_id=row.ref_id,
            paragraph=row.paragraph,
            urls=list(urls),
            reason=reason,
        )
        return SlotResult(account.name, row.due_at, status, row.ref_id, row.paragraph, urls, reason)


def _reason(error: Exception | None) -> str | None:
    return redact(str(error)) if error is not None else None


def _parse_key(key: str) -> tuple[str, str, int]:
    """(ref_id, paragraph, generation) from a ledger thread key `account/ref_id/paragraph/generation`."""
    _account, ref_id, paragraph, generation = key.rsplit("/", 3)
    return ref_id, paragraph, int(generation)


def install_signal_handlers(stop: threading.Event) -> None:
    """SIGTERM (a host stopping the worker) and SIGINT (Ctrl-C) end the loop after the post in hand."""

    def handler(signum: int, _frame: Any) -> None:
        log(logger, INFO, "stopping after the post in hand", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
