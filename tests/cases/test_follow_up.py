"""The follow-up scheduler on a real SQLite file, with a settable clock and a fake poster.

Each test moves time instead of sleeping; the end-to-end tests in tests/e2e run the real
thread against the real app and the fake Slack Web API.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.follow_up_scheduler import FollowUpRefused, FollowUpScheduler, skip_reason
from bot.store import Action, Store
from bot.store.follow_ups import Pending
from bot.vocabulary import Where
from tests.cases.support import Clock

DELAY = timedelta(hours=24)


class Poster:
    """Records what would be posted; can fail on demand."""

    def __init__(self) -> None:
        self.posted: list[int] = []
        self.fail_with: Exception | None = None

    def __call__(self, pending: Pending) -> str:
        if self.fail_with is not None:
            raise self.fail_with
        self.posted.append(pending.case_id)
        return f"1770000000.{len(self.posted):06d}"


@pytest.fixture
def poster() -> Poster:
    return Poster()


@pytest.fixture
def scheduler(log: Store, poster: Poster, clock: Clock) -> FollowUpScheduler:
    return FollowUpScheduler(log, DELAY, poster, clock=clock, name="worker-1")


def answered(log: Store, *, source: str = "channel", level: str = "answer") -> int:
    case = log.cases.open(
        source=source, level=level, question="Times Opened stays at 0 in Outlook 2010",
        article_id="000385822", detected_version="2010", channel="C0SUPPORT",
        thread_ts="1760000000.000100", user="U0ASKER",
    )  # fmt: skip
    log.cases.set_reply_ts(case.id, "1760000001.000200")
    log.follow_ups.schedule(case.id)
    return case.id


def test_asked_once_after_the_delay_and_never_again(log, scheduler, poster, clock):
    case_id = answered(log)
    clock.advance(hours=23, minutes=59)
    assert scheduler.tick() == []
    clock.advance(minutes=2)
    assert scheduler.tick() == [case_id]
    clock.advance(days=3)
    assert scheduler.tick() == []
    assert poster.posted == [case_id]
    row = log.follow_ups.get(case_id)
    assert row["sent_at"] and row["message_ts"] == "1770000000.000001"


@pytest.mark.parametrize(
    "action",
    [Action.RESOLVED, Action.UNRESOLVED, Action.ESCALATE, Action.SUGGESTION_REJECTED,
     Action.CUSTOMER_TEXT],
)  # fmt: skip
def test_never_after_any_click(log, scheduler, poster, clock, action):
    case_id = answered(log)
    log.cases.record_click(case_id, "U0ASKER", action)
    clock.advance(days=1, minutes=1)
    assert scheduler.tick() == []
    assert poster.posted == []
    assert log.follow_ups.get(case_id)["skipped"]


def test_a_channel_suggestion_is_followed_up_only_once_accepted(log, scheduler, poster, clock):
    ignored = answered(log, level="suggest")
    accepted = answered(log, level="suggest")
    log.cases.record_click(accepted, "U0ASKER", Action.SUGGESTION_ACCEPTED)
    clock.advance(days=1, minutes=1)
    assert scheduler.tick() == [accepted]
    assert log.follow_ups.get(ignored)["skipped"] == "suggestion never accepted"


def test_only_channel_dm_and_mention_answers_are_scheduled(engine):
    for source in ("slash", "shortcut", "console", "workflow", "dm", "mention", "channel"):
        engine.lifecycle.open(
            Where(source), "", level="answer", article_id="000385822", score=90.0,
            detected_version=None,
        )  # fmt: skip
    scheduled = [row["case_id"] for row in engine.store.db["follow_ups"].rows]
    assert scheduled == [5, 6, 7]


def test_two_workers_on_one_file_ask_once(db_path: Path, log, scheduler, poster, clock):
    other_store = Store(db_path, clock=clock)
    other = FollowUpScheduler(other_store, DELAY, poster, clock=clock, name="worker-2")
    case_id = answered(log)
    clock.advance(days=1, minutes=1)
    assert other.tick() + scheduler.tick() == [case_id]
    assert poster.posted == [case_id]
    other_store.close()


def test_a_failed_post_is_retried_later_and_a_refused_one_never(log, scheduler, poster, clock):
    case_id = answered(log)
    clock.advance(days=1, minutes=1)
    poster.fail_with = ConnectionError("slack down")
    assert scheduler.tick() == []
    assert log.follow_ups.get(case_id)["claimed_at"] is None  # given back
    poster.fail_with = None
    clock.advance(minutes=1)
    assert scheduler.tick() == []  # waiting before the retry
    clock.advance(minutes=5)
    assert scheduler.tick() == [case_id]

    refused = answered(log)
    clock.advance(days=1, minutes=1)
    poster.fail_with = FollowUpRefused("not_in_channel")
    assert scheduler.tick() == []
    assert log.follow_ups.get(refused)["skipped"] == "refused: not_in_channel"


def test_a_claim_left_by_a_dead_worker_is_taken_over_when_stale(log, scheduler, poster, clock):
    case_id = answered(log)
    clock.advance(days=1, minutes=1)
    assert log.follow_ups.claim(case_id, "dead-worker")
    assert scheduler.tick() == []
    clock.advance(minutes=16)
    assert scheduler.tick() == [case_id]


def test_too_late_is_never(log, scheduler, poster, clock):
    case_id = answered(log)
    clock.advance(days=3)  # e.g. the bot was down for two days
    assert scheduler.tick() == []
    assert log.follow_ups.get(case_id)["skipped"] == "too late"


def test_skip_reasons():
    base = Pending(1, "2026-11-18T12:00:00+00:00", "channel", "answer", "answered", "C1",
                   "1.1", "1.2", "U1", "000385822", "2010", 0, False)  # fmt: skip
    assert skip_reason(base) is None
    assert skip_reason(base.__class__(**{**base.__dict__, "status": "escalated"})) == (
        "case escalated"
    )
    assert skip_reason(base.__class__(**{**base.__dict__, "reply_ts": None})) == (
        "answer never posted"
    )
