"""End to end over HTTP: what people do in Slack lands in SQLite and in the weekly summary.

An answered channel question, a "That fixed it" click and an "Ask a human" click go
through the served bolt app (signed requests, fake Web API on 127.0.0.1); the case
log then holds the right status and timestamps, and ``emailstatus-bot summary --json``,
``/emailstatus summary`` and App Home show exactly those figures.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.store import Case
from bot.summary import IsoWeek
from tests.cases.support import check_blocks
from tests.support import payloads as P
from tests.support.blockkit import all_text
from tests.support.http_harness import LiveBot

pytestmark = pytest.mark.e2e

ON_2010 = "Times Opened never moves past 0 for our rep's emails; recipients run Outlook 2010."
ON_2007 = "HTML Email Status never updates when recipients open our emails in Outlook 2007"
OFF_TOPIC = "can someone share the quarterly sales deck please"
REPLY_TS = "1770000000.000500"


def ask(bot: LiveBot, text: str) -> tuple[dict[str, Any], dict[str, Any], Case]:
    return bot.ask_in_channel(text)


def moment(text: str | None) -> datetime:
    assert text is not None
    return datetime.fromisoformat(text)


@pytest.fixture
def week_of_work(live: LiveBot) -> dict[str, Any]:
    """Two answered questions (one fixed, one escalated) and one @mention nobody could answer."""
    started = datetime.now(UTC).replace(microsecond=0)
    fixed_event, fixed_reply, fixed = ask(live, ON_2010)
    escalated_event, escalated_reply, escalated = ask(live, ON_2007)
    live.click(fixed_reply, "case_resolved", user="U0AGENT", ts=REPLY_TS,
               thread_ts=fixed_event["ts"])  # fmt: skip
    live.click(escalated_reply, "case_escalate", user="U0LEAD", ts=REPLY_TS,
               thread_ts=escalated_event["ts"])  # fmt: skip
    live.event(P.mention(f"<@{P.BOT_USER}> {OFF_TOPIC}"))
    return {"started": started, "finished": datetime.now(UTC) + timedelta(seconds=1),
            "fixed": fixed.id, "escalated": escalated.id}  # fmt: skip


def test_answers_and_clicks_land_in_sqlite_with_status_and_timestamps(
    live: LiveBot, week_of_work: dict[str, Any]
) -> None:
    store = live.engine.store
    started, finished = week_of_work["started"], week_of_work["finished"]
    fixed, escalated = (
        store.cases.get(week_of_work["fixed"]),
        store.cases.get(week_of_work["escalated"]),
    )
    assert fixed is not None and escalated is not None

    assert (fixed.source, fixed.level, fixed.detected_version) == ("channel", "answer", "2010")
    assert (fixed.status, fixed.status_by) == ("resolved", "U0AGENT")
    assert started <= moment(fixed.created_at) <= moment(fixed.status_at) <= finished
    # Timestamps are stored to the second; the time to resolve is measured exactly.
    whole = (moment(fixed.status_at) - moment(fixed.created_at)).total_seconds()
    assert fixed.resolve_seconds is not None and whole <= fixed.resolve_seconds < whole + 1

    assert (escalated.status, escalated.status_by) == ("escalated", "U0LEAD")
    assert escalated.detected_version == "2007" and escalated.resolve_seconds is None
    assert started <= moment(escalated.created_at) <= moment(escalated.status_at) <= finished

    [gap] = list(store.gaps.iter())
    assert gap["source"] == "mention" and OFF_TOPIC in gap["question"]


def test_summary_json_shows_exactly_those_figures(
    live: LiveBot, week_of_work: dict[str, Any]
) -> None:
    fixed = live.engine.store.cases.get(week_of_work["fixed"])
    assert fixed is not None
    week = IsoWeek.containing(moment(fixed.created_at).date()).label
    env = {"EMAILSTATUS_DB": live.settings.db_path, "SUMMARY_TZ": "UTC"}
    result = CliRunner().invoke(main, ["summary", "--week", week, "--json"], env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    names = ("cases", "answered", "resolved", "unresolved", "escalated", "rejected",
             "resolution_rate", "resolution_rate_with_outcome", "gaps")  # fmt: skip
    headline = {name: data[name] for name in names}
    assert headline == {"cases": 2, "answered": 0, "resolved": 1, "unresolved": 0,
                        "escalated": 1, "rejected": 0, "resolution_rate": 0.5,
                        "resolution_rate_with_outcome": 0.5, "gaps": 1}  # fmt: skip
    assert data["median_resolve_seconds"] == fixed.resolve_seconds
    assert data["by_version"] == {"2007": 1, "2010": 1}
    assert data["by_source"] == {"channel": 2} and data["by_channel"] == {"C0SUPPORT": 2}
    assert [g["count"] for g in data["gap_groups"]] == [1]
    assert OFF_TOPIC in data["gap_groups"][0]["text"]


def test_slash_summary_is_ephemeral_with_the_same_figures(
    live: LiveBot, week_of_work: dict[str, Any]
) -> None:
    reply = live.command("summary current")
    check_blocks(reply["blocks"])  # a fields-only section is valid Block Kit
    assert reply["response_type"] == "ephemeral"
    text = all_text(reply)
    assert "Email status cases: week " in text
    for figure in (
        "*Cases*\n2",
        "*Resolved*\n1",
        "*Escalated*\n1",
        "*Resolution rate (all cases)*\n50%",
    ):
        assert figure in text


def test_slash_summary_with_a_bad_week_explains(live: LiveBot) -> None:
    reply = live.command("summary 2026-W60")
    assert "2026 has no ISO week 60" in all_text(reply)


def test_app_home_shows_the_figures_and_the_viewers_own_cases(
    live: LiveBot, week_of_work: dict[str, Any]
) -> None:
    live.event(P.home_opened(user="U0AGENT"))
    [published] = live.slack.calls("views.publish")
    check_blocks(published["view"]["blocks"], limit=100)
    text = all_text(published["view"])
    assert "This week (" in text and "*Cases*\n2" in text
    assert "Your recent cases" in text and "*resolved*" in text and "*escalated*" in text
