"""When each account posts: its slots, computed from the `[accounts.NAME]` table of the config.

A schedule is `cron = "0 9,13,17 * * *"` (with `timezone`) or `every = "4h"`, with optional
`quiet_hours = "23:00-07:00"`, `daily_cap = 5`, `jitter = "10m"` and `grace = "30m"`. Fire times come
from APScheduler's own triggers; this module only adds what they do not know: quiet hours, the cap,
a jitter that every replica computes alike, and what to do with slots a stopped worker missed.

A slot is identified by its account and its nominal time (`due_at`), so that replicas, restarts and
the database all agree on which slot is which; it is posted at `fire_at` (nominal time plus jitter).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.errors import ConfigError

SCHEDULE_KEYS = frozenset({"cron", "every", "timezone", "quiet_hours", "daily_cap", "jitter", "grace"})
DEFAULT_GRACE = timedelta(minutes=30)
# Interval schedules count from a fixed local midnight, so "every 4h" lands on 00:00, 04:00, 08:00...
# in the account's timezone and every replica computes the same slots.
INTERVAL_ANCHOR = datetime(2000, 1, 1)
# A schedule whose every slot falls in quiet hours or beyond the cap would loop for ever.
MAX_STEPS = 20_000
# How many passed-over slots a plan lists one by one (the rest are only counted).
LISTED_SKIPS = 20
_TICK = timedelta(microseconds=1)

_DURATION = re.compile(r"(\d+)\s*(d|h|m|s)")
_UNIT = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: Any) -> timedelta:
    """ "90s", "1h30m", "4h", "2d" (or a number of seconds) -> timedelta; ValueError with the reason."""
    if isinstance(text, bool):
        raise ValueError('expected a duration such as "4h", "1h30m" or "90s"')
    if isinstance(text, int):
        if text < 0:
            raise ValueError("a duration cannot be negative")
        return timedelta(seconds=text)
    if not isinstance(text, str):
        raise ValueError('expected a duration such as "4h", "1h30m" or "90s"')
    compact = text.strip().lower()
    parts = _DURATION.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact.replace(" ", ""):
        raise ValueError(f'{text!r} is not a duration; write it as "4h", "1h30m", "90s" or "2d"')
    units = [u for _, u in parts]
    if len(set(units)) != len(units) or units != sorted(units, key="dhms".index):
        raise ValueError(f'{text!r}: give each unit once, largest first ("1h30m")')
    return timedelta(seconds=sum(int(n) * _UNIT[u] for n, u in parts))


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily window (account's local time) in which nothing is posted; it may cross midnight."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: Any) -> QuietHours:
        window = text if isinstance(text, str) else ""
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", window)
        if not match:
            raise ValueError(f'{text!r} is not a window; write it as "23:00-07:00"')
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ValueError(f"{text!r}: hours go from 00 to 23, minutes from 00 to 59")
        if (h1, m1) == (h2, m2):
            raise ValueError(f"{text!r}: the window starts and ends at the same time")
        return cls(time(h1, m1), time(h2, m2))

    def contains(self, local: datetime) -> bool:
        t = local.time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end

    def end_after(self, local: datetime) -> datetime:
        """The first end of the window at or after `local` (same timezone)."""
        end = datetime.combine(local.date(), self.end, tzinfo=local.tzinfo)
        return end if end >= local.replace(tzinfo=local.tzinfo) else end + timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True, slots=True)
class Slot:
    account: str
    due_at: datetime  # nominal time, UTC: the slot's identity
    fire_at: datetime  # when it is posted (due_at + this slot's jitter), UTC


@dataclass(frozen=True, slots=True)
class Plan:
    """What a worker does now with one account's slots after `after`."""

    post: Slot | None  # the slot to post now, if any
    skipped: tuple[tuple[Slot, str], ...]  # slots passed over, with why (at most LISTED_SKIPS listed)
    skipped_count: int  # all slots passed over, listed or not
    next: Slot | None  # the first slot still to come


@dataclass(frozen=True)
class Schedule:
    account: str
    trigger: BaseTrigger
    timezone: ZoneInfo
    description: str
    quiet: QuietHours | None = None
    daily_cap: int | None = None
    jitter: timedelta = timedelta(0)
    grace: timedelta = DEFAULT_GRACE

    # -- single slots -------------------------------------------------------------------------------

    def slot_at(self, due_at: datetime) -> Slot:
        due_at = due_at.astimezone(UTC)
        return Slot(self.account, due_at, due_at + jitter_for(self.account, due_at, self.jitter))

    def _next_nominal(self, after: datetime) -> datetime | None:
        fire = self.trigger.get_next_fire_time(None, (after + _TICK).astimezone(self.timezone))
        return fire.astimezone(UTC) if fire else None

    def _quiet_at(self, slot: Slot) -> bool:
        return self.quiet is not None and self.quiet.contains(slot.fire_at.astimezone(self.timezone))

    def _past_quiet(self, slot: Slot) -> datetime:
        """A cursor from which the next nominal slot can fire after the quiet window."""
        assert self.quiet is not None
        end = self.quiet.end_after(slot.fire_at.astimezone(self.timezone)).astimezone(UTC)
        return max(slot.due_at, end - self.jitter - _TICK)

    def _local_midnight(self, moment: datetime) -> datetime:
        local = moment.astimezone(self.timezone)
        return datetime(local.year, local.month, local.day, tzinfo=self.timezone).astimezone(UTC)

    def _next_local_midnight(self, moment: datetime) -> datetime:
        today = moment.astimezone(self.timezone).date()
        # 24 hours later can still be the same local day (a 25-hour day when clocks go back).
        for hours in (24, 26):
            midnight = self._local_midnight(moment + timedelta(hours=hours))
            if midnight.astimezone(self.timezone).date() > today:
                return midnight
        raise AssertionError("unreachable: 26 hours always reach the next day")

    def _capped(self, slot: Slot) -> bool:
        """True when `daily_cap` slots of the same local day (by nominal time) come before this one."""
        if self.daily_cap is None:
            return False
        cursor, earlier = self._local_midnight(slot.due_at) - _TICK, 0
        for _ in range(MAX_STEPS):
            due = self._next_nominal(cursor)
            if due is None or due >= slot.due_at:
                return False
            candidate = self.slot_at(due)
            if self._quiet_at(candidate):
                cursor = self._past_quiet(candidate)
                continue
            earlier += 1
            if earlier >= self.daily_cap:
                return True
            cursor = due
        return True

    def next_slot(self, after: datetime) -> Slot | None:
        """The first slot whose nominal time is after `after`, quiet hours and the daily cap applied."""
        cursor = after.astimezone(UTC)
        for _ in range(MAX_STEPS):
            due = self._next_nominal(cursor)
            if due is None:
                return None
            slot = self.slot_at(due)
            if self._quiet_at(slot):
                cursor = self._past_quiet(slot)
            elif self._capped(slot):
                cursor = self._next_local_midnight(due) - _TICK
            else:
                return slot
        return None

    def slots(self, after: datetime) -> Iterator[Slot]:
        slot = self.next_slot(after)
        while slot is not None:
            yield slot
            slot = self.next_slot(slot.due_at)

    # -- what to do now ------------------------------------------------------------------------------

    def plan(self, after: datetime, now: datetime) -> Plan:
        """Slots after `after` (already handled) as of `now`: post the latest one whose fire time has
        come if it is within grace; pass over every other one (never a burst of catch-up posts)."""
        now = now.astimezone(UTC)
        horizon = now - self.grace
        first = self.next_slot(after)
        if first is None:
            return Plan(post=None, skipped=(), skipped_count=0, next=None)
        skipped: list[tuple[Slot, str]] = []
        start = after.astimezone(UTC)
        if first.fire_at < horizon:
            # Missed beyond grace while no worker ran: name the first, and do not walk through the
            # rest one by one (a one-second schedule after a day down would be 86,400 of them).
            skipped.append((first, f"missed: no worker ran within its grace period ({fmt(self.grace)})"))
            start = max(first.due_at, horizon - self.jitter - _TICK)
        due: list[Slot] = []
        upcoming: Slot | None = None
        for slot in self.slots(start):
            if slot.fire_at > now:
                if upcoming is None or slot.fire_at < upcoming.fire_at:
                    upcoming = slot
                if slot.due_at > now:
                    break  # jitter only delays: no later slot can be due yet
            elif slot.fire_at >= horizon:
                due.append(slot)
        post = max(due, key=lambda s: s.fire_at) if due else None
        count = len(skipped)
        for slot in due:
            if slot is not post:
                count += 1
                if len(skipped) < LISTED_SKIPS:
                    when = f"{post.due_at:%Y-%m-%d %H:%M:%S} UTC"
                    skipped.append((slot, f"superseded: only the latest missed slot ({when}) is posted"))
        return Plan(post=post, skipped=tuple(skipped), skipped_count=count, next=upcoming)


def jitter_for(account: str, due_at: datetime, jitter: timedelta) -> timedelta:
    """A delay in [0, jitter) that depends only on the account and the slot, so replicas agree."""
    span = int(jitter.total_seconds())
    if span <= 0:
        return timedelta(0)
    digest = hashlib.sha256(f"{account}|{due_at.astimezone(UTC).isoformat()}".encode()).digest()
    return timedelta(seconds=int.from_bytes(digest[:8], "big") % span)


def fmt(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            out += f"{seconds // size}{unit}"
            seconds %= size
    return out or "0s"


def schedule_from_config(account: str, table: dict[str, Any], where: str = "config") -> Schedule | None:
    """The account's schedule, None when it has none (manual posts only); ConfigError naming the key."""

    def bad(key: str, reason: str) -> ConfigError:
        return ConfigError(f"{where}: [accounts.{account}] {key}: {reason}")

    if "cron" not in table and "every" not in table:
        for key in SCHEDULE_KEYS - {"timezone"}:
            if key in table:
                raise bad(key, 'needs a schedule: add cron = "0 9,13,17 * * *" or every = "4h"')
        return None
    if "cron" in table and "every" in table:
        raise bad("cron", "give either cron or every, not both")

    tz_name = table.get("timezone", "UTC")
    try:
        if not isinstance(tz_name, str):
            raise ValueError
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        hint = 'use an IANA name such as "Europe/Paris"'
        raise bad("timezone", f"unknown timezone {tz_name!r}; {hint}") from None

    def duration(key: str, default: timedelta) -> timedelta:
        if key not in table:
            return default
        try:
            return parse_duration(table[key])
        except ValueError as e:
            raise bad(key, str(e)) from None

    jitter = duration("jitter", timedelta(0))
    grace = duration("grace", DEFAULT_GRACE)

    if "cron" in table:
        expr = table["cron"]
        if not isinstance(expr, str):
            raise bad("cron", 'expected a crontab string such as "0 9,13,17 * * *"')
        try:
            trigger: BaseTrigger = CronTrigger.from_crontab(expr, timezone=tz)
        except ValueError as e:
            fields = "minute hour day month weekday"
            raise bad("cron", f"invalid cron expression {expr!r}: {e} ({fields})") from None
        description = f"cron {expr} ({tz.key})"
    else:
        every = duration("every", timedelta(0))
        if every < timedelta(seconds=1):
            raise bad("every", "must be at least 1s")
        if every.microseconds:
            raise bad("every", "whole seconds only")
        if jitter >= every:
            raise bad("jitter", f"must be shorter than every ({fmt(every)}) so slots keep their order")
        trigger = IntervalTrigger(
            seconds=int(every.total_seconds()), start_date=INTERVAL_ANCHOR.replace(tzinfo=tz), timezone=tz
        )
        description = f"every {fmt(every)} ({tz.key})"

    quiet = None
    if "quiet_hours" in table:
        try:
            quiet = QuietHours.parse(table["quiet_hours"])
        except ValueError as e:
            raise bad("quiet_hours", str(e)) from None
        description += f", quiet {quiet}"

    cap = table.get("daily_cap")
    if cap is not None:
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
            raise bad("daily_cap", f"expected a whole number of posts per day (1 or more), got {cap!r}")
        description += f", at most {cap} a day"
    if jitter:
        description += f", jitter {fmt(jitter)}"
    return Schedule(
        account=account,
        trigger=trigger,
        timezone=tz,
        description=description,
        quiet=quiet,
        daily_cap=cap,
        jitter=jitter,
        grace=grace,
    )
