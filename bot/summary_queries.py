"""The weekly summary's reads, as named tuples: cases, gaps and rejections in [start, end).

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


def gaps_between(store: Store, start: str, end: str) -> list[GapRow]:
    """Knowledge gaps created in [start, end), oldest first."""
    where = "created_at >= ? and created_at < ?"
    with store.conn.read() as db:
        rows = db.table("gaps").rows_where(
            where, [start, end], select=", ".join(GapRow._fields), order_by="id"
        )
        return [GapRow(**row) for row in rows]


def count_clicks_between(store: Store, actions: tuple[str, ...], start: str, end: str) -> int:
    """Cases opened in [start, end) that got any of these clicks."""
    marks = ", ".join("?" for _ in actions)
    with store.conn.read() as db:
        row = db.execute(
            "select count(distinct k.case_id) from case_clicks k"
            " join cases c on c.id = k.case_id"
            f" where k.action in ({marks}) and c.created_at >= ? and c.created_at < ?",
            [*actions, start, end],
        ).fetchone()
    return int(row[0])
