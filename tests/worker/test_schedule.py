"""Schedules: when each account posts, quiet hours, the daily cap, jitter, and missed slots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import ConfigError
from bot.worker.schedule import fmt, jitter_for, parse_duration, schedule_from_config

ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham"]
CRONS = ["0 9,13,17 * * *", "*/15 * * * *", "30 2 * * *", "0 */4 * * 1-5", "5 0 1 * *", "0,30 8-20 * * *"]

moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)
quiet_windows = st.one_of(
    st.none(),
    st.tuples(st.integers(0, 23), st.integers(0, 23))
    .filter(lambda t: t[0] != t[1])
    .map(lambda t: f"{t[0]:02d}:00-{t[1]:02d}:30"),
)


@st.composite
def tables(draw) -> dict:
    table: dict = {"timezone": draw(st.sampled_from(ZONES))}
    if draw(st.booleans()):
        table["cron"] = draw(st.sampled_from(CRONS))
    else:
        table["every"] = fmt(
            timedelta(seconds=draw(st.sampled_from([1, 90, 600, 3600, 4 * 3600, 5400, 86400])))
        )
    quiet = draw(quiet_windows)
    if quiet:
        table["quiet_hours"] = quiet
    if draw(st.booleans()):
        table["daily_cap"] = draw(st.integers(1, 6))
    if draw(st.booleans()):
        every = parse_duration(table.get("every", "1d"))
        table["jitter"] = (
            fmt(min(timedelta(minutes=10), every - timedelta(seconds=1)))
            if every > timedelta(seconds=1)
            else "0s"
        )
    return table


def in_quiet(table: dict, moment: datetime) -> bool:
    if "quiet_hours" not in table:
        return False
    start, end = table["quiet_hours"].split("-")
    local = moment.astimezone(ZoneInfo(table["timezone"])).strftime("%H:%M:%S.%f")
    start, end = start + ":00.000000", end + ":00.000000"
    return start <= local < end if start < end else local >= start or local < end


@settings(max_examples=80, deadline=None)
@given(tables(), moments)
def test_slots_follow_the_trigger_and_never_fall_in_quiet_hours_or_beyond_the_daily_cap(table, after):
    schedule = schedule_from_config("news", table)
    taken = []
    for slot in schedule.slots(after):
        taken.append(slot)
        if len(taken) == 12:
            break
    tz = ZoneInfo(table["timezone"])
    per_day: dict = {}
    previous = after
    for slot in taken:
        assert slot.due_at > previous, "slots strictly follow each other"
        previous = slot.due_at
        assert timedelta(0) <= slot.fire_at - slot.due_at < max(schedule.jitter, timedelta(seconds=1))
        assert not in_quiet(table, slot.fire_at), f"{slot.fire_at} is in quiet hours {table['quiet_hours']}"
        day = slot.due_at.astimezone(tz).date()
        per_day[day] = per_day.get(day, 0) + 1
    if "cron" in table and taken:
        # Each slot is one of the cron expression's own fire times, as APScheduler computes them.
        trigger = CronTrigger.from_crontab(table["cron"], timezone=tz)
        fires, cursor = set(), after
        while cursor < taken[-1].due_at:
            # Stepped in UTC: wall-clock arithmetic would loop in the hour that repeats when clocks go back.
            fire = trigger.get_next_fire_time(None, (cursor + timedelta(microseconds=1)).astimezone(tz))
            cursor = fire.astimezone(UTC)
            fires.add(cursor)
        assert {slot.due_at for slot in taken} <= fires
    elif taken:
        every = parse_duration(table["every"]).total_seconds()
        for slot in taken:
            assert (slot.due_at.timestamp() - datetime(2000, 1, 1, tzinfo=tz).timestamp()) % every == 0
    if "daily_cap" in table:
        assert max(per_day.values(), default=0) <= table["daily_cap"]


@settings(max_examples=60, deadline=None)
@given(tables(), moments)
def test_no_allowed_slot_is_passed_over_between_two_slots(table, after):
    """Between a slot and the next one, every fire time of the trigger is quiet or over the cap."""
    schedule = schedule_from_config("news", table)
    first = schedule.next_slot(after)
    if first is None:
        return
    second = schedule.next_slot(first.due_at)
    if second is None:
        return
    cursor = first.due_at
    for _ in range(50):
        due = schedule._next_nominal(cursor)
        if due is None or due >= second.due_at:
            break
        slot = schedule.slot_at(due)
        assert in_quiet(table, slot.fire_at) or schedule._capped(slot), f"{due} was allowed but passed over"
        cursor = due


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=30), moments, st.integers(1, 7200))
def test_jitter_is_the_same_for_every_replica_and_within_bounds(account, due, seconds):
    jitter = timedelta(seconds=seconds)
    assert jitter_for(account, due, jitter) == jitter_for(account, due, jitter)
    assert timedelta(0) <= jitter_for(account, due, jitter) < jitter


def test_jitter_differs_between_slots_and_accounts():
    due = datetime(2026, 1, 1, 9, tzinfo=UTC)
    offsets = {
        jitter_for(account, due + timedelta(hours=h), timedelta(minutes=10))
        for account in ("a", "b")
        for h in range(20)
    }
    assert len(offsets) > 10


@settings(max_examples=60, deadline=None)
@given(tables(), moments, st.integers(0, 3 * 86400), st.sampled_from(["0s", "1s", "30m", "2h"]))
def test_a_plan_posts_at_most_the_latest_slot_within_grace(table, after, down_seconds, grace):
    table = {**table, "grace": grace}
    schedule = schedule_from_config("news", table)
    now = after + timedelta(seconds=down_seconds)
    plan = schedule.plan(after, now)
    due = []
    for slot in schedule.slots(after):
        if slot.due_at > now:
            break
        if slot.fire_at <= now:
            due.append(slot)
        if len(due) > 1500:
            return  # a very dense schedule: the enumeration below is what plan() avoids
    within = [s for s in due if s.fire_at >= now - parse_duration(grace)]
    if within:
        assert plan.post == max(within, key=lambda s: s.fire_at)
    else:
        assert plan.post is None
    if len(due) > (1 if plan.post else 0):
        assert plan.skipped, "missed slots are reported"
    for slot, reason in plan.skipped:
        assert slot != plan.post and slot.fire_at <= now and reason
    if plan.next is not None:
        assert plan.next.fire_at > now


def test_a_worker_back_within_grace_posts_the_missed_slot_once():
    schedule = schedule_from_config("news", {"cron": "0 9 * * *", "timezone": "Europe/Paris", "grace": "30m"})
    handled = datetime(2026, 3, 1, 8, tzinfo=UTC)  # the 09:00 Paris slot of 1 March
    back = datetime(2026, 3, 2, 8, 20, tzinfo=UTC)  # 20 minutes after the next one
    plan = schedule.plan(handled, back)
    assert plan.post is not None and plan.post.due_at == datetime(2026, 3, 2, 8, tzinfo=UTC)
    assert plan.skipped == ()
    # Once posted, the same moment plans nothing more.
    assert schedule.plan(plan.post.due_at, back).post is None


def test_a_worker_back_after_grace_skips_the_slot_and_says_why():
    schedule = schedule_from_config("news", {"cron": "0 9 * * *", "timezone": "Europe/Paris", "grace": "30m"})
    plan = schedule.plan(datetime(2026, 3, 1, 8, tzinfo=UTC), datetime(2026, 3, 2, 9, tzinfo=UTC))
    assert plan.post is None
    [(slot, reason)] = plan.skipped
    assert slot.due_at == datetime(2026, 3, 2, 8, tzinfo=UTC)
    assert "grace" in reason
    assert plan.next is not None and plan.next.due_at == datetime(2026, 3, 3, 8, tzinfo=UTC)


def test_after_a_long_outage_only_one_slot_is_posted_never_a_burst():
    schedule = schedule_from_config("news", {"every": "1s", "grace": "30m"})
    now = datetime(2026, 3, 2, 12, tzinfo=UTC)
    plan = schedule.plan(now - timedelta(days=2), now)
    assert plan.post is not None and plan.post.due_at == now
    assert plan.skipped_count >= 1800


def test_cron_slots_keep_local_time_across_daylight_saving():
    schedule = schedule_from_config("news", {"cron": "0 9 * * *", "timezone": "Europe/Paris"})
    days = [
        s.due_at for _, s in zip(range(4), schedule.slots(datetime(2026, 3, 27, tzinfo=UTC)), strict=False)
    ]
    assert [d.astimezone(ZoneInfo("Europe/Paris")).hour for d in days] == [9, 9, 9, 9]
    assert [d.hour for d in days] == [8, 8, 7, 7]  # clocks went forward on 29 March


def test_every_counts_from_local_midnight():
    schedule = schedule_from_config("news", {"every": "4h", "timezone": "America/New_York"})
    slot = schedule.next_slot(datetime(2026, 1, 10, 12, tzinfo=UTC))
    assert slot is not None
    assert slot.due_at.astimezone(ZoneInfo("America/New_York")).hour % 4 == 0


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("1h30m", 5400), ("4h", 14400), ("2d", 172800), ("1h 30m", 5400), (60, 60), ("0s", 0)],
)
def test_durations(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@given(st.integers(0, 10 * 86400))
def test_a_duration_reads_back_as_written(seconds):
    assert parse_duration(fmt(timedelta(seconds=seconds))) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("table", "key", "words"),
    [
        ({"cron": "0 25 * * *"}, "cron", "invalid cron expression"),
        ({"cron": "0 9 * *"}, "cron", "invalid cron expression"),
        ({"cron": "0 9 * * *", "timezone": "Mars/Olympus"}, "timezone", "unknown timezone 'Mars/Olympus'"),
        ({"every": "4 hours"}, "every", "not a duration"),
        ({"every": "0s"}, "every", "at least 1s"),
        ({"every": "1h", "jitter": "soon"}, "jitter", "not a duration"),
        ({"every": "1h", "jitter": "2h"}, "jitter", "shorter than every"),
        ({"every": "1h", "grace": "-5m"}, "grace", "not a duration"),
        ({"every": "1h", "quiet_hours": "late"}, "quiet_hours", "23:00-07:00"),
        ({"every": "1h", "daily_cap": 0}, "daily_cap", "whole number"),
        ({"every": "1h", "cron": "0 9 * * *"}, "cron", "not both"),
        ({"daily_cap": 3}, "daily_cap", "needs a schedule"),
    ],
)
def test_a_bad_schedule_names_the_file_account_and_key(table, key, words):
    with pytest.raises(ConfigError) as e:
        schedule_from_config("newsroom-bsky", table, "config/bot.toml")
    assert str(e.value).startswith(f"config/bot.toml: [accounts.newsroom-bsky] {key}:")
    assert words in str(e.value)


def test_an_account_without_schedule_posts_only_when_asked():
    assert schedule_from_config("local", {"network": "outbox", "path": "var/outbox.jsonl"}) is None
