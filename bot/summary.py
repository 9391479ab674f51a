"""Weekly figures from the case log: one ``WeekSummary``, rendered by ``bot.render.summary``.

Weeks are ISO weeks (Monday to Sunday) in ``SUMMARY_TZ``. A week's figures describe
the cases *opened* that week, with the status they have now: a case opened on Sunday
and resolved on Monday counts as resolved in Sunday's week; so do its follow-up and
what the follow-up turned into. Knowledge gaps count in the week they happened.

Statuses are the one vocabulary (``bot.store.Status``): answered (no outcome yet),
resolved, unresolved, escalated, rejected.
"""

from __future__ import annotations

import re
import statistics
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from rapidfuzz import fuzz, process, utils

from bot.store import STATUSES, Status, Store, iso
from bot.store.protocols import FollowUpRow, WeekRow

# Per-day outcomes, in the order the chart stacks them (settled first, still open last).
OUTCOMES = ("resolved", "unresolved", "escalated", "rejected", "answered")
assert set(OUTCOMES) == set(STATUSES)
# Outcomes that say how the fix went ("rejected" means the question was about something else).
TRIED = (Status.RESOLVED, Status.UNRESOLVED, Status.ESCALATED)
# token_sort_ratio cut-off for "the same unanswered question, worded differently":
# groups "email templates not saving" with "email template not saved", keeps
# "reset my password" apart from "export my reports".
GAP_SIMILARITY = 80.0
MAX_GAP_GROUPS = 50
NO_ARTICLE = "none"  # a case logged before cases recorded their article
WEEK_SPEC = re.compile(r"^(\d{4})-?w(\d{1,2})$", re.IGNORECASE)
HEADLINE_FIELDS = ("cases", "answered", "resolved", "unresolved", "escalated", "rejected",
                   "resolution_rate", "resolution_rate_with_outcome", "median_resolve_seconds",
                   "follow_ups_sent", "follow_up_conversion", "gaps")  # fmt: skip
RATES = frozenset({"resolution_rate", "resolution_rate_with_outcome", "follow_up_conversion"})


@dataclass(frozen=True, order=True)
class IsoWeek:
    year: int
    week: int

    def __post_init__(self) -> None:
        date.fromisocalendar(self.year, self.week, 1)  # raises ValueError for W53 in 52-week years

    @classmethod
    def containing(cls, day: date) -> IsoWeek:
        year, week, _ = day.isocalendar()
        return cls(year, week)

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    def days(self) -> list[date]:
        return [self.monday + timedelta(days=i) for i in range(7)]

    def previous(self) -> IsoWeek:
        return IsoWeek.containing(self.monday - timedelta(days=7))

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes: local midnight Monday to the next Monday."""
        return local_midnight(self.monday, tz), local_midnight(self.monday + timedelta(7), tz)

    def __str__(self) -> str:
        return self.label


def local_midnight(day: date, tz: tzinfo) -> datetime:
    # zoneinfo resolves the offset for that date, so DST weeks are 167 or 169 hours long.
    return datetime.combine(day, time(0), tzinfo=tz)


def parse_week(spec: str | None, tz: tzinfo, now: datetime) -> IsoWeek:
    """``last`` (default: the last complete week), ``current``, or ``YYYY-Www``."""
    text = (spec or "last").strip().lower()
    today = now.astimezone(tz).date()
    if text in ("last", "previous", "prev"):
        return IsoWeek.containing(today - timedelta(days=7))
    if text in ("current", "this", "now"):
        return IsoWeek.containing(today)
    found = WEEK_SPEC.match(text)
    if not found:
        raise ValueError(f"'{spec}' is not a week: use last, current or YYYY-Www (e.g. 2026-W47)")
    year, week = int(found.group(1)), int(found.group(2))
    try:
        return IsoWeek(year, week)
    except ValueError:
        raise ValueError(f"{year} has no ISO week {week}") from None


@dataclass(frozen=True)
class Headline:
    """The figures compared week on week."""

    cases: int = 0
    answered: int = 0  # no outcome yet
    resolved: int = 0
    unresolved: int = 0
    escalated: int = 0
    rejected: int = 0
    resolution_rate: float | None = None  # resolved / cases; None for a week with no cases
    # resolved / (resolved + unresolved + escalated): among cases whose fix was tried
    resolution_rate_with_outcome: float | None = None
    median_resolve_seconds: float | None = None
    follow_ups_sent: int = 0
    follow_up_replies: int = 0  # follow-ups after which the case got an outcome
    follow_up_resolved: int = 0  # ... and that outcome was "resolved"
    follow_up_conversion: float | None = None  # replies / sent
    gaps: int = 0


@dataclass(frozen=True)
class DayCount:
    day: date
    resolved: int = 0
    unresolved: int = 0
    escalated: int = 0
    rejected: int = 0
    answered: int = 0

    @property
    def total(self) -> int:
        return sum(getattr(self, outcome) for outcome in OUTCOMES)


@dataclass(frozen=True)
class GapGroup:
    """Similar unanswered questions; ``text`` is the most frequent wording.

    ``questions`` lists every distinct wording in the group with its count, most
    frequent first: near-duplicates are grouped, never hidden.
    """

    text: str
    count: int
    stored: bool = True  # False: STORE_QUESTION_TEXT was off, text is the reason instead
    questions: tuple[tuple[str, int], ...] = ()

    @property
    def wordings(self) -> tuple[tuple[str, int], ...]:
        return self.questions or ((self.text, self.count),)


@dataclass(frozen=True)
class WeekSummary:
    week: str
    tz: str
    start: date  # Monday
    end: date  # Sunday, inclusive
    headline: Headline
    previous: Headline
    by_version: tuple[tuple[str, int], ...] = ()
    by_source: tuple[tuple[str, int], ...] = ()
    by_channel: tuple[tuple[str, int], ...] = ()
    by_article: tuple[tuple[str, int], ...] = ()
    days: tuple[DayCount, ...] = ()
    gap_groups: tuple[GapGroup, ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        return self.headline.cases == 0 and self.headline.gaps == 0

    def change(self) -> dict[str, float | None]:
        """This week minus last week, per headline figure (None when either is unknown)."""
        deltas: dict[str, float | None] = {}
        for name in (f.name for f in fields(Headline)):
            now, before = getattr(self.headline, name), getattr(self.previous, name)
            deltas[name] = None if now is None or before is None else now - before
        return deltas

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self.headline)
        return {
            "week": self.week,
            "timezone": self.tz,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "empty": self.is_empty,
            **data,
            "previous_week": asdict(self.previous),
            "change": self.change(),
            "by_version": dict(self.by_version),
            "by_source": dict(self.by_source),
            "by_channel": dict(self.by_channel),
            "by_article": dict(self.by_article),
            "days": [
                {"date": d.day.isoformat(), **{o: getattr(d, o) for o in OUTCOMES}}
                for d in self.days
            ],
            "gap_groups": [
                {**asdict(g), "questions": [{"text": t, "count": n} for t, n in g.wordings]}
                for g in self.gap_groups
            ],
        }


# -- computing -------------------------------------------------------------------------------


def summarise(store: Store, week: IsoWeek, tz: tzinfo, team: str | None = None) -> WeekSummary:
    """A week's summary: of every workspace, or of ``team`` (and the cases with no team)."""
    start, end = (iso(moment) for moment in week.bounds(tz))
    reads = store.reports
    rows = reads.week_rows(start, end, team)
    gaps = reads.gaps_between(start, end, team)
    return WeekSummary(
        week=week.label,
        tz=str(tz),
        start=week.monday,
        end=week.monday + timedelta(days=6),
        headline=headline(rows, len(gaps), reads.follow_ups_between(start, end, team)),
        previous=_previous_headline(store, week, tz, team),
        by_version=_ranked(_version_label(r.version) for r in rows),
        by_source=_ranked(r.source for r in rows),
        by_channel=_ranked(_channel_label(r.source, r.channel) for r in rows),
        by_article=_counted(
            (a or NO_ARTICLE, n) for a, n in reads.articles_between(start, end, team)
        ),
        days=_days(rows, week, tz),
        gap_groups=tuple(group_gaps((g.question, g.reason) for g in gaps)),
    )


def summary_for(
    store: Store, spec: str | None, tz: tzinfo, now: datetime, team: str | None = None
) -> WeekSummary:
    return summarise(store, parse_week(spec, tz, now), tz, team)


def _previous_headline(
    store: Store, week: IsoWeek, tz: tzinfo, team: str | None = None
) -> Headline:
    start, end = (iso(moment) for moment in week.previous().bounds(tz))
    reads = store.reports
    gaps = len(reads.gaps_between(start, end, team))
    rows = reads.week_rows(start, end, team)
    return headline(rows, gaps, reads.follow_ups_between(start, end, team))


def headline(rows: list[WeekRow], gaps: int, follow_ups: Sequence[FollowUpRow] = ()) -> Headline:
    """Figures from a week's ``WeekRow``s and its sent follow-ups."""
    statuses = Counter(_status(r.status) for r in rows)
    tried = sum(statuses[s] for s in TRIED)
    seconds = [r.resolve_seconds for r in rows
               if r.status == Status.RESOLVED and r.resolve_seconds is not None]  # fmt: skip
    replies = [f for f in follow_ups if f.answered_after]
    return Headline(
        cases=len(rows),
        **{status: statuses[status] for status in OUTCOMES},
        resolution_rate=_rate(statuses[Status.RESOLVED], len(rows)),
        resolution_rate_with_outcome=_rate(statuses[Status.RESOLVED], tried),
        median_resolve_seconds=statistics.median(seconds) if seconds else None,
        follow_ups_sent=len(follow_ups),
        follow_up_replies=len(replies),
        follow_up_resolved=sum(f.status == Status.RESOLVED for f in replies),
        follow_up_conversion=_rate(len(replies), len(follow_ups)),
        gaps=gaps,
    )


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _status(status: str) -> str:
    # A status this version does not know (a newer bot wrote it) counts as no outcome yet.
    return status if status in STATUSES else Status.ANSWERED


def _days(rows: list[WeekRow], week: IsoWeek, tz: tzinfo) -> tuple[DayCount, ...]:
    # Local midnights as UTC strings; a case's day is found by bisecting its created_at,
    # which is cheaper than parsing ten thousand timestamps and right across DST changes.
    edges = [iso(local_midnight(day, tz)) for day in week.days()[1:]]
    tallies = [Counter[str]() for _ in range(7)]
    for row in rows:
        tallies[bisect_right(edges, row.created_at)][_status(row.status)] += 1
    return tuple(
        DayCount(day, **{o: tally[o] for o in OUTCOMES})
        for day, tally in zip(week.days(), tallies, strict=True)
    )


def _ranked(values: Iterable[str]) -> tuple[tuple[str, int], ...]:
    """Counts, most frequent first, ties by name (stable output for tests and diffs)."""
    return _counted(Counter(values).items())


def _counted(counts: Iterable[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    """Counts made elsewhere (a GROUP BY), most frequent first, ties by name."""
    return tuple(sorted(counts, key=lambda kv: (-kv[1], kv[0])))


def _version_label(version: str | None) -> str:
    return version or "unknown"


def _channel_label(source: str, channel: str | None) -> str:
    # Every DM has its own channel id; listing them would only say who asked.
    if source == "dm":
        return "direct messages"
    return channel or "none"


def group_gaps(
    gaps: Iterable[tuple[str | None, str]], similarity: float = GAP_SIMILARITY
) -> list[GapGroup]:
    """Group similar unanswered questions and count them, most frequent first.

    ``gaps`` are (question, reason) pairs. Without stored text (STORE_QUESTION_TEXT=false)
    a gap can only be grouped by its reason.
    """
    texts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for question, reason in gaps:
        text = " ".join((question or "").split())
        if text:
            texts[text] += 1
        else:
            reasons[reason or "unknown"] += 1
    groups = _cluster(texts, similarity)
    groups += [GapGroup(reason, n, stored=False) for reason, n in reasons.items()]
    groups.sort(key=lambda g: (-g.count, g.text))
    return groups[:MAX_GAP_GROUPS]


def _cluster(texts: Counter[str], similarity: float) -> list[GapGroup]:
    # Leader clustering: the most frequent wording founds a group; later wordings join
    # the closest group at or above the cut-off, and stay listed in it.
    keys: list[str] = []
    members: list[list[tuple[str, int]]] = []
    for text, n in sorted(texts.items(), key=lambda kv: (-kv[1], kv[0])):
        key = utils.default_process(text)
        found = process.extractOne(
            key, keys, scorer=fuzz.token_sort_ratio, processor=None, score_cutoff=similarity
        )
        if found is None:
            keys.append(key)
            members.append([(text, n)])
        else:
            members[found[2]].append((text, n))
    return [
        GapGroup(wordings[0][0], sum(n for _, n in wordings), questions=tuple(wordings))
        for wordings in members
    ]
