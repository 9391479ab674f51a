"""The weekly post: schedule parsing, which week is due, and exactly one post per week."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.scheduler import (
    Posted,
    Schedule,
    WeeklyScheduler,
    due_week,
    parse_schedule,
    schedule_problems,
    start_weekly_summary,
)
from bot.store import Store
from bot.summary import IsoWeek
from tests.cases.support import Clock

PARIS = ZoneInfo("Europe/Paris")
MONDAY_9_PARIS = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 CET, week 48 begins


@pytest.mark.parametrize(
    ("text", "expected"),
    [("MON 09:00", Schedule(0, 9, 0)), ("mon 9:00", Schedule(0, 9, 0)),
     ("Friday 17:30", Schedule(4, 17, 30)), ("  SUN 23:59 ", Schedule(6, 23, 59)),
     ("wed 00:00", Schedule(2, 0, 0))],
)  # fmt: skip
def test_parse_schedule(text: str, expected: Schedule) -> None:
    assert parse_schedule(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "must look like 'MON 09:00'"), ("MON", "must look like"), ("09:00 MON", "must look"),
     ("XYZ 09:00", "day 'XYZ' must be one of MON TUE"), ("MON 24:00", "is not a time of day"),
     ("MON 09:60", "is not a time of day"), ("MON 9am", "must look like")],
)  # fmt: skip
def test_parse_schedule_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_schedule(text)


def test_schedule_problems_for_config_check() -> None:
    assert schedule_problems("MON 09:00", "Europe/Paris") == []
    assert schedule_problems("MON 9", "Mars/Olympus") == [
        "SUMMARY_SCHEDULE 'MON 9' must look like 'MON 09:00' (day HH:MM).",
        "SUMMARY_TZ 'Mars/Olympus' is not a known time zone (e.g. Europe/Paris).",
    ]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (MONDAY_9_PARIS - timedelta(seconds=1), None),  # last Monday's post is 7 days old
        (MONDAY_9_PARIS, "2026-W47"),
        (MONDAY_9_PARIS + timedelta(hours=23, minutes=59), "2026-W47"),  # a late start catches up
        (MONDAY_9_PARIS + timedelta(days=1, seconds=1), None),
        (datetime(2026, 10, 26, 8, 0, tzinfo=UTC), "2026-W43"),  # first Monday after DST ends
        (datetime(2026, 3, 30, 7, 0, tzinfo=UTC), "2026-W13"),  # first Monday of summer time
        (datetime(2026, 3, 30, 6, 59, tzinfo=UTC), None),
        (datetime(2027, 1, 4, 8, 0, tzinfo=UTC), "2026-W53"),
    ],
)
def test_due_week(now: datetime, expected: str | None) -> None:
    week = due_week(Schedule(0, 9, 0), PARIS, now)
    assert (week.label if week else None) == expected


class Recorder:
    def __init__(self, fail: int = 0) -> None:
        self.weeks: list[str] = []
        self.fail = fail

    def __call__(self, week: IsoWeek) -> Posted:
        if self.fail:
            self.fail -= 1
            raise RuntimeError("Slack is down")
        self.weeks.append(week.label)
        return Posted("C0SUMMARY", f"{len(self.weeks)}.000")


def scheduler(path: Path, clock: Clock, post: Recorder, name: str) -> WeeklyScheduler:
    log = Store(path, clock=clock)
    return WeeklyScheduler(log, Schedule(0, 9, 0), PARIS, post, clock=clock, name=name)


def test_two_schedulers_on_one_database_post_exactly_once(db_path: Path) -> None:
    clock = Clock(MONDAY_9_PARIS - timedelta(minutes=5))
    post = Recorder()
    workers = [scheduler(db_path, clock, post, f"worker-{n}") for n in range(2)]
    assert [w.tick() for w in workers] == [None, None]  # not yet 09:00
    for _ in range(10):  # every minute for ten minutes, both workers
        clock.advance(minutes=1)
        for worker in workers:
            worker.tick()
    assert post.weeks == ["2026-W47"]
    claim = workers[1].store.claims.get("2026-W47")
    assert claim is not None and claim["posted_at"] and claim["message_ts"] == "1.000"

    restarted = scheduler(db_path, clock, post, "after-restart")
    clock.advance(hours=2)
    assert restarted.tick() is None
    clock.advance(days=7)  # next Monday: exactly one post again
    assert [w.tick() for w in [*workers, restarted]].count(IsoWeek(2026, 48)) == 1
    assert post.weeks == ["2026-W47", "2026-W48"]


def test_a_failed_post_is_retried_later_and_posted_once(db_path: Path) -> None:
    clock = Clock(MONDAY_9_PARIS)
    post = Recorder(fail=1)
    first = scheduler(db_path, clock, post, "first")
    assert first.tick() is None and post.weeks == []
    assert first.store.claims.get("2026-W47") is None  # released for others
    clock.advance(minutes=1)
    assert first.tick() is None  # backing off
    clock.advance(minutes=5)
    assert first.tick() == IsoWeek(2026, 47)
    assert scheduler(db_path, clock, post, "second").tick() is None
    assert post.weeks == ["2026-W47"]


def test_a_claim_left_by_a_dead_worker_is_taken_over(db_path: Path) -> None:
    clock = Clock(MONDAY_9_PARIS)
    post = Recorder()
    alive = scheduler(db_path, clock, post, "alive")
    assert alive.store.claims.claim("2026-W47", "dead")  # claimed, then the process died
    clock.advance(minutes=10)
    assert alive.tick() is None
    clock.advance(minutes=6)
    assert alive.tick() == IsoWeek(2026, 47)
    assert post.weeks == ["2026-W47"]


def test_the_background_thread_posts_and_stops(db_path: Path) -> None:
    posted = threading.Event()
    weeks: list[str] = []

    def post(week: IsoWeek) -> Posted:
        weeks.append(week.label)
        posted.set()
        return Posted("C0SUMMARY")

    settings = Settings.from_env({"SUMMARY_TZ": "Europe/Paris", "SUMMARY_SCHEDULE": "MON 09:00"})
    log = Store(db_path)
    started = start_weekly_summary(log, settings, post, clock=lambda: MONDAY_9_PARIS)
    assert posted.wait(5), "the first check runs as soon as the thread starts"
    started.stop()
    assert not started.running and weeks == ["2026-W47"]
