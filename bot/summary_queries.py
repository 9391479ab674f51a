"""The weekly summary's reads, as named tuples: cases, gaps and follow-ups in [start, end).

Bounds are UTC ISO strings (``bot.store.iso``), compared as text like the stored
``created_at`` values.
"""

from __future__ import annotations

from typing import NamedTuple

from bot.store import Store


class WeekRow(NamedTuple):
    created_at: str
    status: str
    source: str
    channel: str | None
    version: str | None  # the chosen version, else the detected one
    resolve_seconds: float | None


class GapRow(NamedTuple):
    id: int
    created_at: str
    source: str
    reason: str
    question: str | None
    version: str | None
    channel: str | None


# Reads only ``idx_cases_week`` (a covering index), so it stays fast at a million cases.
WEEK_ROWS = (
    "select created_at, status, source, channel,"
    " coalesce(chosen_version, detected_version), resolve_seconds"
    " from cases indexed by idx_cases_week"
    " where created_at >= ? and created_at < ?"
)


def week_rows(store: Store, start: str, end: str) -> list[WeekRow]:
    with store.conn.read() as db:
        return [WeekRow(*row) for row in db.execute(WEEK_ROWS, [start, end]).fetchall()]


# The article is not in the covering index (bot/store/migrations.py): this one read looks
# up the week's rows in the table, about 1% of a million cases (bench/bench_cases.py).
WEEK_ARTICLES = (
    "select article_id, count(*) from cases indexed by idx_cases_week"
    " where created_at >= ? and created_at < ? group by article_id"
)


def articles_between(store: Store, start: str, end: str) -> list[tuple[str | None, int]]:
    """(article id or None, cases) for the cases created in [start, end)."""
    with store.conn.read() as db:
        return [(article, count) for article, count in db.execute(WEEK_ARTICLES, [start, end])]


def gaps_between(store: Store, start: str, end: str) -> list[GapRow]:
    """Knowledge gaps created in [start, end), oldest first."""
    where = "created_at >= ? and created_at < ?"
    with store.conn.read() as db:
        rows = db.table("gaps").rows_where(
            where, [start, end], select=", ".join(GapRow._fields), order_by="id"
        )
        return [GapRow(**row) for row in rows]


class FollowUpRow(NamedTuple):
    """A follow-up that was sent, with its case's status now."""

    case_id: int
    sent_at: str
    status: str
    status_at: str | None

    @property
    def answered_after(self) -> bool:
        """Did the case get an outcome after the follow-up asked (what it turned into)?"""
        return self.status != "answered" and (self.status_at or "") >= self.sent_at


def follow_ups_between(store: Store, start: str, end: str) -> list[FollowUpRow]:
    """Sent follow-ups of the cases opened in [start, end)."""
    with store.conn.read() as db:
        rows = db.execute(
            "select f.case_id, f.sent_at, c.status, c.status_at from follow_ups f"
            " join cases c on c.id = f.case_id"
            " where f.sent_at is not null and c.created_at >= ? and c.created_at < ?"
            " order by f.case_id",
            [start, end],
        ).fetchall()
    return [FollowUpRow(*row) for row in rows]
