"""Ask once, in the thread, whether an unclicked answer fixed it (``FOLLOW_UP_AFTER``).

Every process may run a ``FollowUpScheduler``. Each tick reads the follow-ups that are
due from SQLite, claims each one (only one process wins a claim), checks the case
still deserves a question, posts it and marks it sent. So a follow-up goes out exactly
once across workers and restarts, and never after any click, a rejected suggestion
or an escalation. The posting function is injected: this module has no Slack import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.lifecycle import follow_up_sent, follow_up_skipped
from bot.scheduler import Ticker, worker_name
from bot.store import Status, Store, iso, utc_now
from bot.store.follow_ups import Pending

logger = logging.getLogger(__name__)

LATE_LIMIT = timedelta(days=1)  # a follow-up more than a day overdue is no longer asked
POST_RETRY_AFTER = timedelta(minutes=5)  # after a failed post, before trying again
MAX_INTERVAL = 30.0  # seconds between checks, at most


class FollowUpRefused(Exception):
    """The post can never succeed (bot removed from the channel, archived…): don't retry."""


PostFollowUp = Callable[[Pending], str | None]  # returns the follow-up's ts


def skip_reason(pending: Pending) -> str | None:
    """Why this case gets no follow-up, or None when it should get one."""
    if pending.status != Status.ANSWERED:
        return f"case {pending.status}"
    if pending.clicks:
        return "clicked"
    if pending.level == "suggest" and pending.source == "channel" and not pending.accepted:
        return "suggestion never accepted"  # only a yes/no question was posted
    if not (pending.reply_ts and pending.channel and pending.thread_ts):
        return "answer never posted"
    return None


class FollowUpScheduler(Ticker):
    thread_name = "follow-ups"

    def __init__(
        self,
        store: Store,
        delay: timedelta,
        post: PostFollowUp,
        *,
        clock: Callable[[], datetime] = utc_now,
        interval: float | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.delay = delay
        self.post = post
        self.clock = clock
        # Check a few times per delay (a 2 s delay is asked within about half a second).
        self.interval = interval or min(MAX_INTERVAL, max(0.2, delay.total_seconds() / 4))
        self.name = name or worker_name(self)
        self._retry_at: datetime | None = None

    def tick(self) -> list[int]:
        """Ask every due follow-up this process wins; returns the case ids asked."""
        now = self.clock()
        if self._retry_at is not None and now < self._retry_at:
            return []
        asked = []
        for pending in self.store.follow_ups.due(iso(now - self.delay)):
            if not self.store.follow_ups.claim(pending.case_id, self.name):
                continue  # another process has it
            result = self._ask(pending, now)
            if result == "failed":
                break  # Slack is failing: try again after POST_RETRY_AFTER
            if result == "sent":
                asked.append(pending.case_id)
        return asked

    def _ask(self, pending: Pending, now: datetime) -> str:
        """Post one claimed follow-up, or skip it: ``sent``, ``skipped`` or ``failed``."""
        reason = skip_reason(pending)
        if reason is None and datetime.fromisoformat(pending.answered_at) < now - (
            self.delay + LATE_LIMIT
        ):
            reason = "too late"
        if reason is not None:
            follow_up_skipped(self.store, pending.case_id, reason)
            return "skipped"
        try:
            ts = self.post(pending)
        except FollowUpRefused as exc:
            logger.info("follow-up for case %s refused: %s", pending.case_id, exc)
            follow_up_skipped(self.store, pending.case_id, f"refused: {exc}")
            return "skipped"
        except Exception:
            logger.exception("follow-up for case %s failed; will retry", pending.case_id)
            self.store.follow_ups.release(pending.case_id)
            self._retry_at = now + POST_RETRY_AFTER
            return "failed"
        self._retry_at = None
        follow_up_sent(self.store, pending.case_id, ts, pending.team)
        logger.info("follow-up sent for case %s", pending.case_id)
        return "sent"


def start_follow_ups(
    store: Store,
    delay: timedelta | None,
    post: PostFollowUp,
    *,
    clock: Callable[[], datetime] = utc_now,
    interval: float | None = None,
) -> FollowUpScheduler | None:
    """Start asking in this process; None (and a log line) with FOLLOW_UP_AFTER=off."""
    if delay is None:
        logger.info("FOLLOW_UP_AFTER is off: no 'did it fix it?' follow-ups")
        return None
    return FollowUpScheduler(store, delay, post, clock=clock, interval=interval).start()
