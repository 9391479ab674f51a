"""`summary --json` exposes the outcome figures, checked against the case log itself.

A week is built through the engine's lifecycle and the real follow-up scheduler (with a
settable clock); the expected figures are then read back from SQLite with plain SQL,
independently of bot/summary.py, and compared with what the CLI prints.
"""

from __future__ import annotations

import json
import statistics
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.engine import Engine, Where
from bot.follow_up_scheduler import FollowUpScheduler
from bot.knowledge import KnowledgeBase
from bot.matching import Matcher
from bot.store import Store
from tests.cases.support import Clock
from tests.cases.test_cli_cases import Invoke, cli  # noqa: F401  (the CLI fixture)

TUESDAY = datetime(2026, 11, 17, 10, tzinfo=UTC)
ON_2010 = "Times Opened stays at zero for every rep email; the recipients use Outlook 2010."
START, END = "2026-11-16T00:00:00+00:00", "2026-11-23T00:00:00+00:00"


@pytest.fixture
def week(log: Store, clock: Clock, knowledge: KnowledgeBase, matcher: Matcher) -> dict[str, int]:
    engine = Engine(knowledge, log, matcher)
    clock.set(TUESDAY)

    def answer(name: str) -> int:
        where = Where("channel", "T0TEAM", "C0SUPPORT", f"1763373600.{len(ids):06d}", "U0ASKER")
        outcome = engine.ask(ON_2010, where)
        assert outcome.case is not None and outcome.case.level == "answer"
        log.cases.set_reply_ts(outcome.case.id, f"1763373601.{len(ids):06d}")  # it was posted
        ids[name] = outcome.case.id
        return outcome.case.id

    ids: dict[str, int] = {}
    fixed_at_once, asked_fixed, asked_not_fixed, asked_silent, escalated = (
        answer(n) for n in ("fixed", "asked_fixed", "asked_not_fixed", "asked_silent", "escalated")
    )
    clock.advance(minutes=10)
    engine.lifecycle.resolve(fixed_at_once, "U0ASKER")
    clock.advance(minutes=50)
    engine.lifecycle.escalate(escalated, "U0LEAD")
    rejected = log.cases.open(source="channel", level="suggest", question="mail merge help")
    engine.lifecycle.reject_suggestion(rejected, "U0ASKER")
    engine.ask("where is the stapler", Where("dm", channel="D0ASKER", user="U0ASKER"))  # a gap

    clock.set(TUESDAY + timedelta(hours=24, minutes=1))
    sent = FollowUpScheduler(log, timedelta(hours=24), lambda p: "1763460000.000100",
                             clock=clock).tick()  # fmt: skip
    assert sorted(sent) == sorted([asked_fixed, asked_not_fixed, asked_silent])
    clock.advance(hours=2)
    engine.lifecycle.resolve(asked_fixed, "U0ASKER")
    engine.lifecycle.not_fixed(asked_not_fixed, "U0ASKER")
    return ids


def from_the_case_log(log: Store) -> dict[str, Any]:
    """The figures, straight from SQLite (no bot.summary code involved)."""
    in_week = "c.created_at >= ? and c.created_at < ?"
    rows = log.db.execute(
        f"select status, count(*) from cases c where {in_week} group by status", [START, END]
    ).fetchall()
    status = {"answered": 0, "resolved": 0, "unresolved": 0, "escalated": 0, "rejected": 0}
    status.update(dict(rows))
    cases = sum(status.values())
    seconds = [r[0] for r in log.db.execute(
        f"select resolve_seconds from cases c where {in_week} and status = 'resolved'",
        [START, END])]  # fmt: skip
    follow_ups = log.db.execute(
        "select c.status, c.status_at >= f.sent_at from follow_ups f join cases c"
        f" on c.id = f.case_id where f.sent_at is not null and {in_week}", [START, END],
    ).fetchall()  # fmt: skip
    replies = [s for s, after in follow_ups if s != "answered" and after]
    tried = status["resolved"] + status["unresolved"] + status["escalated"]
    return {
        "cases": cases, **status,
        "resolution_rate": status["resolved"] / cases,
        "resolution_rate_with_outcome": status["resolved"] / tried,
        "median_resolve_seconds": statistics.median(seconds),
        "follow_ups_sent": len(follow_ups), "follow_up_replies": len(replies),
        "follow_up_resolved": replies.count("resolved"),
        "follow_up_conversion": len(replies) / len(follow_ups),
        "gaps": log.db.execute("select count(*) from gaps where created_at >= ? and created_at < ?",
                               [START, END]).fetchone()[0],
    }  # fmt: skip


def test_summary_json_figures_match_the_case_log(
    cli: Invoke,  # noqa: F811
    log: Store,
    week: dict[str, int],
) -> None:
    result = cli("summary", "--week", "2026-W47", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    expected = from_the_case_log(log)
    assert {name: data[name] for name in expected} == expected
    # And what that week was, in words: 6 cases, 3 follow-ups, 2 of them answered.
    assert (data["cases"], data["resolved"], data["unresolved"], data["escalated"],
            data["rejected"], data["answered"]) == (6, 2, 1, 1, 1, 1)  # fmt: skip
    assert data["resolution_rate_with_outcome"] == 0.5  # 2 of the 4 tried
    assert (data["follow_ups_sent"], data["follow_up_replies"], data["follow_up_resolved"]) == (
        3, 2, 1)  # fmt: skip
    assert data["follow_up_conversion"] == pytest.approx(2 / 3)
    assert data["median_resolve_seconds"] == statistics.median([600.0, 26 * 3600 + 60.0])
    assert [d["date"] for d in data["days"] if d["rejected"]] == ["2026-11-17"]
