"""The SQLite reports' reads for the summary's per-article count and ``learn``.

They extend ``SqliteReports`` (bot/store/sqlite.py) in a module of their own: the
weekly summary and ``learn`` ask only ``store.reports``, never the connection.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence

from bot.store.protocols import SettledCase
from bot.store.sqlite import SqliteReports

# The article is not in the covering index (bot/store/migrations.py): this one read looks
# up the week's rows in the table, about 1% of a million cases (bench/bench_cases.py).
WEEK_ARTICLES = (
    "select article_id, count(*) from cases indexed by idx_cases_week"
    " where created_at >= ? and created_at < ? group by article_id"
)
SETTLED_CASES = (
    "select id, article_id, question, status from cases"
    " where status in ({marks}) and created_at >= ? order by id"
)


class SqliteReads(SqliteReports):
    """The weekly summary's and ``learn``'s reads (``bot.store.protocols.Reports``)."""

    def articles_between(self, start: str, end: str) -> builtins.list[tuple[str | None, int]]:
        return [(article, int(n)) for article, n in self._rows(WEEK_ARTICLES, [start, end])]

    def settled_cases(
        self, statuses: Sequence[str], since: str | None = None
    ) -> builtins.list[SettledCase]:
        if not statuses:
            return []
        sql = SETTLED_CASES.format(marks=", ".join("?" * len(statuses)))
        return [SettledCase(*row) for row in self._rows(sql, [*statuses, since or ""])]
