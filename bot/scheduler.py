"""Post the weekly summary once a week, at ``SUMMARY_SCHEDULE`` in ``SUMMARY_TZ``.

Every process of the bot (Socket Mode, each gunicorn worker) may run a scheduler.
Before posting, a scheduler claims the week with a unique row in SQLite; only the one
that wins the claim posts, so the summary goes out exactly once per week, across
workers and restarts. The clock and the posting function are injected, so tests drive
``tick()`` directly with no sleeps.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config import Settings
from bot.store import Store, utc_now
from bot.summary import IsoWeek

logger = logging.getLogger(__name__)

DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
FULL_DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
SCHEDULE = re.compile(r"^\s*([A-Za-z]+)\s+(\d{1,2}):(\d{2})\s*$")
CHECK_EVERY = 60.0  # seconds between checks; the post lands within a minute of its time
CATCH_UP = timedelta(days=1)  # a process started up to a day late still posts the week
RETRY_AFTER = timedelta(minutes=5)  # after a failed post, before trying again


@dataclass(frozen=True)
class Schedule:
    weekday: int  # Monday = 0
    hour: int
    minute: int

    def __str__(self) -> str:
        return f"{DAYS[self.weekday]} {self.hour:02d}:{self.minute:02d}"


@dataclass(frozen=True)
class Posted:
    """Where the summary went; recorded with the claim."""

    channel: str
    ts: str | None = None


PostFn = Callable[[IsoWeek], Posted | None]


def parse_schedule(text: str) -> Schedule:
    """``MON 09:00`` (day names in English, three letters or full, 24-hour time)."""
    found = SCHEDULE.match(text or "")
    if not found:
        raise ValueError(f"SUMMARY_SCHEDULE '{text}' must look like 'MON 09:00' (day HH:MM).")
    day, hour, minute = found.group(1).upper(), int(found.group(2)), int(found.group(3))
    if day in FULL_DAYS:
        day = day[:3]
    if day not in DAYS:
        days = " ".join(DAYS)
        raise ValueError(f"SUMMARY_SCHEDULE day '{found.group(1)}' must be one of {days}.")
    if hour > 23 or minute > 59:
        raise ValueError(f"SUMMARY_SCHEDULE time '{hour}:{minute:02d}' is not a time of day.")
    return Schedule(DAYS.index(day), hour, minute)


def schedule_problems(schedule: str, tz: str = "UTC") -> list[str]:
    """One line per problem with SUMMARY_SCHEDULE / SUMMARY_TZ (for `config check`)."""
    problems = []
    try:
        parse_schedule(schedule)
    except ValueError as exc:
        problems.append(str(exc))
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"SUMMARY_TZ '{tz}' is not a known time zone (e.g. Europe/Paris).")
    return problems


def last_run(schedule: Schedule, tz: tzinfo, now: datetime) -> datetime:
    """The latest scheduled moment at or before ``now`` (in UTC)."""
    local = now.astimezone(tz)
    day = local.date() - timedelta(days=(local.weekday() - schedule.weekday) % 7)
    at = time(schedule.hour, schedule.minute)
    moment = datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
    if moment > now.astimezone(UTC):
        moment = datetime.combine(day - timedelta(days=7), at, tzinfo=tz).astimezone(UTC)
    return moment


def due_week(
    schedule: Schedule, tz: tzinfo, now: datetime, catch_up: timedelta = CATCH_UP
) -> IsoWeek | None:
    """The week to post now, if a scheduled moment passed less than ``catch_up`` ago.

    A post summarises the last complete ISO week as of its scheduled moment.
    """
    moment = last_run(schedule, tz, now)
    if now.astimezone(UTC) - moment > catch_up:
        return None
    return IsoWeek.containing(moment.astimezone(tz).date() - timedelta(days=7))


class Ticker:
    """A daemon thread that calls ``tick()`` every ``interval`` seconds until stopped.

    Subclasses make ``tick`` safe to run in every process at once (they claim rows in
    SQLite before acting), so tests call ``tick()`` directly with no thread and no sleep.
    """

    interval: float = CHECK_EVERY
    thread_name = "ticker"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> object:
        raise NotImplementedError

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # a locked or missing database must not kill the thread
                logger.exception("%s check failed", self.thread_name)
            self._stop.wait(self.interval)


def post_once(store: Store, key: str, owner: str, post: Callable[[], Posted | None]) -> bool:
    """Post ``key`` (a week; per workspace, a week and a workspace) once across processes
    and replicas: claim it, post, record where. A failed post releases the claim (another
    tick or replica tries again) and raises. False: another process holds the claim."""
    if not store.claims.claim(key, owner):
        return False
    try:
        posted = post()
    except Exception:
        store.claims.release(key)
        raise
    store.claims.mark_posted(key, posted.channel if posted else "", posted.ts if posted else None)
    return True


class WeeklyScheduler(Ticker):
    thread_name = "weekly-summary"

    def __init__(
        self,
        store: Store,
        schedule: Schedule,
        tz: tzinfo,
        post: PostFn,
        *,
        clock: Callable[[], datetime] = utc_now,
        interval: float = CHECK_EVERY,
        catch_up: timedelta = CATCH_UP,
        name: str | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.schedule = schedule
        self.tz = tz
        self.post = post
        self.clock = clock
        self.interval = interval
        self.catch_up = catch_up
        self.name = name or worker_name(self)
        self._retry_at: datetime | None = None

    def tick(self) -> IsoWeek | None:
        """Post the due week if this scheduler wins its claim; returns the week posted."""
        now = self.clock()
        if self._retry_at is not None and now < self._retry_at:
            return None
        week = due_week(self.schedule, self.tz, now, self.catch_up)
        if week is None:
            return None
        try:
            if not post_once(self.store, week.label, self.name, lambda: self.post(week)):
                return None
        except Exception:
            logger.exception("weekly summary %s: post failed; will retry", week.label)
            self._retry_at = now + RETRY_AFTER
            return None
        self._retry_at = None
        logger.info("weekly summary %s posted", week.label)
        return week


def worker_name(owner: object) -> str:
    """Who holds a claim: host, process and object, for the logs and the claim rows."""
    return f"{socket.gethostname()}:{os.getpid()}:{id(owner):x}"


def start_weekly_summary(
    store: Store,
    settings: Settings,
    post: PostFn,
    *,
    clock: Callable[[], datetime] = utc_now,
    interval: float = CHECK_EVERY,
) -> WeeklyScheduler:
    """Start the background scheduler; call ``.stop()`` on shutdown."""
    schedule = parse_schedule(settings.summary_schedule)
    scheduler = WeeklyScheduler(
        store, schedule, settings.timezone(), post, clock=clock, interval=interval
    )
    return scheduler.start()
