"""Weekly figures on hand-built weeks: exact counts, empty weeks, time zones, gaps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.render.summary import summary_text
from bot.store import Store
from bot.summary import IsoWeek, group_gaps, parse_week, summarise
from tests.cases.support import Clock, Row, build

UTC_TZ = ZoneInfo("UTC")
PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
W47 = IsoWeek(2026, 47)  # Monday 16 to Sunday 22 November 2026


def at(day: int, hour: int = 10, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


# -- parse_week ----------------------------------------------------------------------------

WED = datetime(2026, 11, 18, 12, tzinfo=UTC)
SUNDAY_NIGHT_UTC = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)  # Monday 00:30 in Paris


@pytest.mark.parametrize(
    ("spec", "tz", "now", "expected"),
    [
        (None, UTC_TZ, WED, "2026-W46"),
        ("last", UTC_TZ, WED, "2026-W46"),
        ("", UTC_TZ, WED, "2026-W46"),
        ("current", UTC_TZ, WED, "2026-W47"),
        ("CURRENT", UTC_TZ, WED, "2026-W47"),
        ("2026-W47", UTC_TZ, WED, "2026-W47"),
        ("2026-w05", UTC_TZ, WED, "2026-W05"),
        ("2026W5", UTC_TZ, WED, "2026-W05"),
        ("2020-W53", UTC_TZ, WED, "2020-W53"),
        ("current", UTC_TZ, SUNDAY_NIGHT_UTC, "2026-W47"),
        ("current", PARIS, SUNDAY_NIGHT_UTC, "2026-W48"),  # already Monday in Paris
        ("last", PARIS, SUNDAY_NIGHT_UTC, "2026-W47"),
        ("current", UTC_TZ, datetime(2027, 1, 1, tzinfo=UTC), "2026-W53"),  # ISO year ≠ year
    ],
)
def test_parse_week(spec: str | None, tz: ZoneInfo, now: datetime, expected: str) -> None:
    assert parse_week(spec, tz, now).label == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [("2026-W54", "2026 has no ISO week 54"), ("2025-W53", "2025 has no ISO week 53"),
     ("2026-W00", "no ISO week 0"), ("next", "is not a week"), ("47", "is not a week")],
)  # fmt: skip
def test_parse_week_rejects(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_week(spec, UTC_TZ, WED)


def test_iso_week_bounds_and_previous() -> None:
    start, end = W47.bounds(PARIS)
    assert (start.isoformat(), end.isoformat()) == (
        "2026-11-16T00:00:00+01:00", "2026-11-23T00:00:00+01:00",
    )  # fmt: skip
    assert W47.previous() == IsoWeek(2026, 46)
    assert IsoWeek(2026, 1).previous() == IsoWeek(2025, 52)
    assert W47.days()[0] == date(2026, 11, 16) and W47.days()[-1] == date(2026, 11, 22)


# -- figures on hand-built weeks --------------------------------------------------------------

MIXED = [
    Row(at(16, 9), action="case_resolved", after=timedelta(minutes=10)),
    Row(at(16, 11), version="2013+", action="case_resolved", after=timedelta(hours=2)),
    Row(at(17), source="dm", channel="D1", version=None, action="case_escalate"),
    Row(at(18), source="mention", version="2007", action="case_unresolved"),
    Row(at(18, 15), source="slash", channel="C0OTHER", version="other"),
    Row(at(22, 23, 59), version="2013+", action="case_resolved", after=timedelta(minutes=30)),
    Row(at(23, 0, 0), action="case_resolved"),  # next week: not counted
    Row(at(15, 23, 59), action="case_escalate"),  # previous week: not counted
]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            MIXED,
            {"cases": 6, "resolved": 3, "unresolved": 1, "escalated": 1, "answered": 1,
             "rejected": 0, "resolution_rate": 0.5, "resolution_rate_with_outcome": 0.6,
             "median_resolve_seconds": 1800.0},
        ),
        (
            [Row(at(17), action="case_resolved", after=timedelta(seconds=s)) for s in (60, 300)],
            {"cases": 2, "resolved": 2, "unresolved": 0, "escalated": 0, "answered": 0,
             "resolution_rate": 1.0, "resolution_rate_with_outcome": 1.0,
             "median_resolve_seconds": 180.0},
        ),
        (
            [Row(at(19)), Row(at(20), action="case_unresolved")],
            {"cases": 2, "resolved": 0, "unresolved": 1, "escalated": 0, "answered": 1,
             "resolution_rate": 0.0, "resolution_rate_with_outcome": 0.0,
             "median_resolve_seconds": None},
        ),
    ],
    ids=["mixed", "all-resolved", "none-resolved"],
)  # fmt: skip
def test_headline_figures_are_exact(
    log: Store, clock: Clock, rows: list[Row], expected: dict[str, object]
) -> None:
    build(log, clock, rows)
    headline = summarise(log, W47, UTC_TZ).headline
    assert {name: getattr(headline, name) for name in expected} == expected


def test_breakdowns_and_days(log: Store, clock: Clock) -> None:
    build(log, clock, MIXED)
    summary = summarise(log, W47, UTC_TZ)
    assert summary.by_version == (("2013+", 2), ("2007", 1), ("2010", 1), ("other", 1),
                                  ("unknown", 1))  # fmt: skip
    assert summary.by_source == (("channel", 3), ("dm", 1), ("mention", 1), ("slash", 1))
    assert summary.by_channel == (("C0SUPPORT", 4), ("C0OTHER", 1), ("direct messages", 1))
    per_day = {d.day.day: (d.resolved, d.unresolved, d.escalated, d.answered)
               for d in summary.days}  # fmt: skip
    assert per_day == {16: (2, 0, 0, 0), 17: (0, 0, 1, 0), 18: (0, 1, 0, 1), 19: (0, 0, 0, 0),
                       20: (0, 0, 0, 0), 21: (0, 0, 0, 0), 22: (1, 0, 0, 0)}  # fmt: skip


def test_cases_by_article_in_the_figures_and_the_text(log: Store, clock: Clock) -> None:
    rows = [Row(at(17)), Row(at(18)), Row(at(18), article="000999001"), Row(at(19), article=None)]
    build(log, clock, rows)
    build(log, clock, [Row(at(17) - timedelta(days=7), article="000999001")])  # week before
    summary = summarise(log, W47, UTC_TZ)
    assert summary.by_article == (("000385822", 2), ("000999001", 1), ("none", 1))
    assert summary.as_dict()["by_article"] == {"000385822": 2, "000999001": 1, "none": 1}
    text = summary_text(summary).splitlines()
    at_heading = text.index("By article:")
    assert [" ".join(line.split()) for line in text[at_heading + 1 : at_heading + 4]] == [
        "000385822 2", "000999001 1", "none 1",
    ]  # fmt: skip


def test_a_later_version_pick_counts_over_the_detected_one(log: Store, clock: Clock) -> None:
    (case_id,) = build(log, clock, [Row(at(17), version=None)])
    log.cases.choose_version(case_id, "2007")
    assert summarise(log, W47, UTC_TZ).by_version == (("2007", 1),)


def test_an_empty_week_says_so_and_divides_by_nothing(log: Store) -> None:
    summary = summarise(log, W47, UTC_TZ)
    assert summary.is_empty
    h = summary.headline
    assert (h.cases, h.resolution_rate, h.median_resolve_seconds) == (0, None, None)
    assert summary.change()["resolution_rate"] is None
    assert summary.change()["cases"] == 0
    assert [d.total for d in summary.days] == [0] * 7
    assert summary.by_version == () and summary.gap_groups == ()


def test_change_against_the_previous_week(log: Store, clock: Clock) -> None:
    previous = [Row(at(10), action="case_resolved", after=timedelta(hours=1)), Row(at(11))]
    current = [Row(at(17), action="case_resolved", after=timedelta(minutes=20)) for _ in range(3)]
    build(log, clock, previous + current + [Row(at(18), action="case_escalate")])
    log.gaps.record(source="dm", reason="no article matched", question="x")  # clock: 18 Nov
    summary = summarise(log, W47, UTC_TZ)
    assert summary.previous.cases == 2 and summary.previous.resolution_rate == 0.5
    assert summary.change() == {
        "cases": 2, "answered": -1, "resolved": 2, "unresolved": 0, "escalated": 1,
        "rejected": 0, "resolution_rate": 0.25, "resolution_rate_with_outcome": -0.25,
        "median_resolve_seconds": -2400.0, "follow_ups_sent": 0, "follow_up_replies": 0,
        "follow_up_resolved": 0, "follow_up_conversion": None, "gaps": 1,
    }  # fmt: skip


# -- time zones -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opened", "tz", "week", "weekday"),
    [
        # New York is UTC-5 in November: Monday 00:00 local is 05:00 UTC.
        (at(16, 4, 59), NEW_YORK, "2026-W46", 6),
        (at(16, 5, 0), NEW_YORK, "2026-W47", 0),
        (at(23, 4, 59), NEW_YORK, "2026-W47", 6),
        (at(23, 5, 0), NEW_YORK, "2026-W48", 0),
        # Paris is UTC+1: Sunday 23:30 UTC is already Monday there.
        (at(15, 22, 59), PARIS, "2026-W46", 6),
        (at(15, 23, 0), PARIS, "2026-W47", 0),
        # The week DST ends in Paris (Sunday 25 October 2026) lasts 169 hours.
        (at(25, 22, 59, month=10), PARIS, "2026-W43", 6),
        (at(25, 23, 0, month=10), PARIS, "2026-W44", 0),
        (at(19, 0, 0, month=10), PARIS, "2026-W43", 0),  # 02:00 CEST on Monday
        (at(18, 21, 59, month=10), PARIS, "2026-W42", 6),  # 23:59 CEST on Sunday
    ],
)
def test_week_boundaries_in_the_summary_time_zone(
    log: Store, clock: Clock, opened: datetime, tz: ZoneInfo, week: str, weekday: int
) -> None:
    build(log, clock, [Row(opened)])
    target = parse_week(week, tz, opened)
    summary = summarise(log, target, tz)
    assert summary.headline.cases == 1
    assert [d.total for d in summary.days] == [int(i == weekday) for i in range(7)]
    assert summarise(log, target.previous(), tz).headline.cases == 0


# -- knowledge gaps and rejected suggestions ----------------------------------------------------


@pytest.mark.parametrize(
    ("gaps", "expected"),
    [
        (
            [("email templates not saving", "r"), ("Email template not saved", "r"),
             ("email templates not saving", "r"), ("how do I reset my password", "r"),
             ("How to reset my password?", "r"), ("how do I export my reports", "r")],
            [("email templates not saving", 3, (("email templates not saving", 2),
                                                 ("Email template not saved", 1))),
             ("How to reset my password?", 2, (("How to reset my password?", 1),
                                               ("how do I reset my password", 1))),
             ("how do I export my reports", 1, (("how do I export my reports", 1),))],
        ),
        (
            [("Times opened not updating in Gmail", "r"),
             ("times  opened not updating in gmail app", "r"),
             ("can I track email opens in gmail", "r")],
            [("Times opened not updating in Gmail", 2,
              (("Times opened not updating in Gmail", 1),
               ("times opened not updating in gmail app", 1))),
             ("can I track email opens in gmail", 1, (("can I track email opens in gmail", 1),))],
        ),
        (
            [(None, "no article matched"), (None, "no article matched"),
             ("", "suggestion rejected"), ("outlook", "r"), ("outlook calendar not syncing", "r")],
            [("no article matched", 2, None), ("outlook", 1, (("outlook", 1),)),
             ("outlook calendar not syncing", 1, (("outlook calendar not syncing", 1),)),
             ("suggestion rejected", 1, None)],
        ),
        ([], []),
    ],
    ids=["reworded", "near-duplicates", "text-not-stored", "none"],
)  # fmt: skip
def test_similar_unanswered_questions_are_grouped_and_counted(
    gaps: list[tuple[str | None, str]], expected: list[tuple[str, int, object]]
) -> None:
    """Every distinct wording stays listed in its group (None: text not stored)."""
    found = [(g.text, g.count, g.questions if g.stored else None) for g in group_gaps(gaps)]
    assert found == expected


def test_two_different_questions_are_never_shown_as_one() -> None:
    typo = "emial staus not updaing in outlok 2016"
    other = "email status not updating in outlook 2016"
    [group] = group_gaps([(typo, "r"), (other, "r")])
    assert group.count == 2 and set(group.wordings) == {(typo, 1), (other, 1)}


def test_gaps_and_rejected_cases_count_in_their_week(log: Store, clock: Clock) -> None:
    clock.set(at(17))
    case = log.cases.open(source="channel", level="suggest", question="mail merge help")
    log.cases.record_click(case.id, "U1", "suggestion_rejected")
    log.cases.record_click(case.id, "U2", "suggestion_rejected")  # one case, one rejection
    log.gaps.record(source="channel", reason="suggestion rejected", question="mail merge help")
    log.gaps.record(source="dm", reason="no article matched", question="Mail merge, help!")
    clock.set(at(24))
    log.gaps.record(source="dm", reason="no article matched", question="next week")

    summary = summarise(log, W47, UTC_TZ)
    assert (summary.headline.gaps, summary.headline.rejected) == (2, 1)
    [group] = summary.gap_groups
    assert (group.text, group.count) == ("Mail merge, help!", 2)
    assert summary.headline.answered == 0


def test_as_dict_is_plain_json(log: Store, clock: Clock) -> None:
    import json

    build(log, clock, MIXED)
    data = json.loads(json.dumps(summarise(log, W47, PARIS).as_dict()))
    assert data["week"] == "2026-W47" and data["timezone"] == "Europe/Paris"
    assert data["start"] == "2026-11-16" and data["end"] == "2026-11-22"
    # In Paris the Sunday 23:59 UTC case is next week's, the previous Sunday's is this week's.
    assert data["by_version"] == {"2010": 2, "2007": 1, "2013+": 1, "other": 1, "unknown": 1}
    assert data["escalated"] == 2 and len(data["days"]) == 7
    assert set(data["change"]) == set(data["previous_week"])
