"""Block Kit, terminal text and App Home views of one WeekSummary."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.render.summary import (
    EMPTY_WEEK,
    change_text,
    date_range,
    duration,
    home_figures_blocks,
    summary_blocks,
    summary_fallback_text,
    summary_json,
    summary_message,
    summary_text,
)
from bot.store import Case, Store
from bot.summary import GapGroup, Headline, IsoWeek, WeekSummary, summarise
from tests.cases.support import Clock, Row, build, check_blocks

UTC_TZ = ZoneInfo("UTC")
W47 = IsoWeek(2026, 47)


@pytest.fixture
def week(log: Store, clock: Clock) -> WeekSummary:
    at = datetime(2026, 11, 17, 10, tzinfo=UTC)
    build(log, clock, [
        Row(at, action="case_resolved", after=timedelta(minutes=90)),
        Row(at, source="dm", channel="D1", action="case_escalate"),
        Row(at, channel="C0OTHER", version="2013+"),
    ])  # fmt: skip
    clock.set(at)
    log.gaps.record(source="mention", reason="no article matched", question="<!channel> & <b>x</b>")
    return summarise(log, W47, UTC_TZ)


def test_summary_blocks_round_trip_and_stay_within_limits(week: WeekSummary) -> None:
    blocks = summary_blocks(week)
    check_blocks(blocks)
    assert blocks[0]["text"]["text"] == "Email status cases: week 2026-W47"
    statuses = [f["text"] for f in blocks[2]["fields"]]
    assert statuses[0] == "*Cases*\n3  (+3)"
    assert statuses[1] == "*Answered, no outcome yet*\n1  (+1)"
    rates = [f["text"] for f in blocks[3]["fields"]]
    assert rates[0] == "*Resolution rate (all cases)*\n33%"
    assert rates[1] == "*Resolution rate (cases with an outcome)*\n50%"
    assert rates[2] == "*Median time to resolution*\n1 h 30 min"
    assert rates[3:5] == ["*Follow-ups sent*\n0  (same)", "*Follow-ups answered*\n—"]
    breakdown = "\n".join(f["text"] for f in blocks[5]["fields"])
    assert "• <#C0SUPPORT>: 1" in breakdown and "• <#C0OTHER>: 1" in breakdown
    assert "• Outlook 2013 and later: 1" in breakdown and "• direct messages: 1" in breakdown


def test_user_text_is_escaped_never_a_ping(week: WeekSummary) -> None:
    gaps = summary_blocks(week)[-1]["text"]["text"]
    assert "1× “&lt;!channel&gt; &amp; &lt;b&gt;x&lt;/b&gt;”" in gaps
    assert "<!channel>" not in str(summary_blocks(week))


def test_fallback_text_and_message(week: WeekSummary) -> None:
    assert summary_fallback_text(week) == (
        "Email status cases: week 2026-W47: 3 cases, 1 resolved (33%), 1 escalated, "
        "1 answered with no outcome yet, 0 follow-ups sent, 1 knowledge gaps."
    )
    assert summary_message(week) == {"text": summary_fallback_text(week),
                                     "blocks": summary_blocks(week)}  # fmt: skip


def empty_summary() -> WeekSummary:
    return WeekSummary("2026-W47", "UTC", date(2026, 11, 16), date(2026, 11, 22), Headline(),
                       Headline(cases=4, resolved=2, resolution_rate=0.5))  # fmt: skip


def test_an_empty_week_says_so_in_every_view() -> None:
    empty = empty_summary()
    blocks = summary_blocks(empty)
    check_blocks(blocks)
    assert blocks[-1]["text"]["text"] == EMPTY_WEEK
    assert summary_text(empty).endswith(EMPTY_WEEK)
    assert summary_fallback_text(empty).endswith(EMPTY_WEEK)
    assert summary_json(empty)["empty"] is True and summary_json(empty)["resolution_rate"] is None


def test_a_huge_week_still_fits() -> None:
    many = tuple((f"C0{n:04d}", 1000 - n) for n in range(300))
    gaps = tuple(GapGroup("why " * 400 + str(n), 500 - n) for n in range(50))
    big = WeekSummary(
        "2026-W47", "UTC", date(2026, 11, 16), date(2026, 11, 22),
        Headline(cases=10**6, resolved=1, resolution_rate=1e-6), Headline(),
        by_version=many, by_source=many, by_channel=many, gap_groups=gaps,
    )  # fmt: skip
    check_blocks(summary_blocks(big))
    check_blocks(home_figures_blocks(big, []), limit=60)


def test_terminal_text(week: WeekSummary) -> None:
    text = summary_text(week)
    assert text.splitlines()[:4] == [
        "Email status cases: week 2026-W47",
        "16–22 Nov 2026 (UTC)",
        "",
        "Cases                                             3  (+3 vs previous week)",
    ]
    assert "Resolution rate (all cases)                     33%" in text
    assert "Per day:        resolved unresolved  escalated   rejected   answered" in text
    assert "  Tue 17 Nov           1          0          1          0          1" in text
    assert "     1×  <!channel> & <b>x</b>" in text  # a terminal needs no escaping


def test_home_figures_and_the_viewers_recent_cases(week: WeekSummary, log: Store) -> None:
    blocks = home_figures_blocks(week, log.cases.recent("U1"))
    check_blocks(blocks, limit=60)
    texts = [b["text"]["text"] for b in blocks if b.get("type") == "header"]
    assert texts == ["This week (2026-W47)", "Your recent cases"]
    recent = blocks[-1]["text"]["text"].splitlines()
    assert len(recent) == 3
    assert recent[0].startswith("• 17 Nov 10:00 · *answered* · Outlook 2013 and later: Times")
    nobody = home_figures_blocks(empty_summary(), [])
    assert "No cases yet this week." in str(nobody) and "You have no cases yet." in str(nobody)


def test_home_cases_show_in_the_summary_time_zone() -> None:
    case = Case(1, "2026-11-17T23:30:00+00:00", "dm", "resolved", "answer", question="a <b>")
    paris = WeekSummary("2026-W47", "Europe/Paris", date(2026, 11, 16), date(2026, 11, 22),
                        Headline(), Headline())  # fmt: skip
    line = home_figures_blocks(paris, [case])[-1]["text"]["text"]
    assert line == "• 18 Nov 00:30 · *resolved*: a &lt;b&gt;"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "—"), (0, "0 s"), (59, "59 s"), (60, "1 min"), (3599, "60 min"), (3600, "1 h"),
     (5400, "1 h 30 min"), (86400, "1 d"), (90000, "1 d 1 h")],
)  # fmt: skip
def test_duration(seconds: float | None, text: str) -> None:
    assert duration(seconds) == text


@pytest.mark.parametrize(
    ("name", "delta", "text"),
    [("cases", None, ""), ("cases", 0, "same"), ("cases", 3, "+3"), ("gaps", -2, "−2"),
     ("resolution_rate", 0.25, "+25 pts"), ("resolution_rate", -0.1, "−10 pts"),
     ("median_resolve_seconds", -2400.0, "−40 min")],
)  # fmt: skip
def test_change_text(name: str, delta: float | None, text: str) -> None:
    assert change_text(name, delta) == text


@pytest.mark.parametrize(
    ("monday", "text"),
    [(date(2026, 11, 16), "16–22 Nov 2026"), (date(2026, 11, 30), "30 Nov – 6 Dec 2026"),
     (date(2026, 12, 28), "28 Dec 2026 – 3 Jan 2027")],
)  # fmt: skip
def test_date_range(monday: date, text: str) -> None:
    summary = WeekSummary("w", "UTC", monday, monday + timedelta(days=6), Headline(), Headline())
    assert date_range(summary) == text


def test_a_group_of_different_questions_lists_each_one() -> None:
    group = GapGroup("emial staus not updaing in outlok 2016", 3, questions=(
        ("emial staus not updaing in outlok 2016", 2),
        ("email status not updating in outlook 2016", 1)))  # fmt: skip
    summary = WeekSummary("2026-W47", "UTC", date(2026, 11, 16), date(2026, 11, 22),
                          Headline(gaps=3), Headline(), gap_groups=(group,))  # fmt: skip
    gaps = summary_blocks(summary)[-1]["text"]["text"]
    assert "3× in 2 similar questions:" in gaps
    assert "“emial staus not updaing in outlok 2016” (2×)" in gaps
    assert "“email status not updating in outlook 2016” (1×)" in gaps
    text = summary_text(summary)
    assert "◦ email status not updating in outlook 2016 (1×)" in text
