"""Cases and knowledge gaps on PostgreSQL (the same contract as ``bot.store.cases``)."""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from bot.store.cases import CaseWriter, _case_filter
from bot.store.gaps import GapWriter
from bot.store.models import FINAL_ACTIONS, Action, Case
from bot.store.postgres.database import Conn, Database, at, strings

CASE_COLUMNS = (
    'id, created_at, team, channel, thread_ts, reply_ts, "user", source, question, article_id,'
    " score, level, detected_version, chosen_version, status, status_by, status_at,"
    " resolve_seconds, enterprise"
)


def _case(row: dict[str, Any]) -> Case:
    return Case(**strings(row))


class PgCaseStore(CaseWriter):
    def __init__(self, db: Database, *, keep_text: bool = True) -> None:
        super().__init__(db, keep_text=keep_text)
        self.db = db

    def get(self, case_id: int) -> Case | None:
        return self._first("id = %s", [case_id])

    def for_thread(self, channel: str, thread_ts: str) -> Case | None:
        """The latest case answered in this thread."""
        return self._first("channel = %s and thread_ts = %s", [channel, thread_ts])

    def _first(self, where: str, params: builtins.list[Any]) -> Case | None:
        sql = f"select {CASE_COLUMNS} from cases where {where} order by id desc limit 1"
        row = self.db.transact(lambda c: c.execute(sql, params).fetchone())
        return _case(row) if row else None

    def set_reply_ts(self, case_id: int, reply_ts: str) -> None:
        self._set(case_id, "reply_ts", reply_ts)

    def choose_version(self, case_id: int, version: str) -> None:
        self._set(case_id, "chosen_version", version)

    def _set(self, case_id: int, column: str, value: str) -> None:
        sql = f"update cases set {column} = %s where id = %s"
        self.db.transact(lambda c: c.execute(sql, [value, case_id]))

    def drop_unanswered(self, channel: str, thread_ts: str, user: str, since: str) -> int:
        """Drop a killed reply's case (no reply, no clicks): its re-run opens it again."""
        sql = """delete from cases where channel = %s and thread_ts = %s and "user" = %s
            and created_at >= %s and coalesce(reply_ts, '') = ''
            and not exists (select 1 from case_clicks k where k.case_id = cases.id)"""
        params = [channel, thread_ts, user, at(since)]
        return self.db.transact(lambda c: c.execute(sql, params).rowcount)

    def has_click(self, case_id: int, action: str) -> bool:
        sql = "select exists(select 1 from case_clicks where case_id = %s and action = %s) as x"
        row = self.db.transact(lambda c: c.execute(sql, [case_id, action]).fetchone())
        return bool(row and row["x"])

    def record_click(self, case_id: int, user: str, action: str) -> bool:
        """Record a click once per (case, user, action); False on repeats."""
        now = self.db.moment()

        def click(conn: Conn) -> bool:
            inserted = conn.execute(
                'insert into case_clicks (case_id, "user", action, at) values (%s, %s, %s, %s)'
                " on conflict do nothing",
                [case_id, user, action, now],
            ).rowcount
            if inserted and action in FINAL_ACTIONS:
                conn.execute(
                    "update cases set status = %s, status_by = %s, status_at = %s,"
                    " resolve_seconds = case when %s and resolve_seconds is null"
                    " then extract(epoch from %s - created_at) else resolve_seconds end"
                    " where id = %s",
                    [str(FINAL_ACTIONS[action]), user, now, action == Action.RESOLVED, now,
                     case_id],
                )  # fmt: skip
            return bool(inserted)

        return self.db.transact(click)

    def iter(
        self,
        *,
        status: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        user: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
        team: str | None = None,
        unkeyed: bool = False,
    ) -> Iterator[Case]:
        """Cases in id order (or newest first), read in one snapshot."""
        where, params = _case_filter(
            status, since, until, user, team, unkeyed
        )  # ISO strings cast as timestamptz
        sql = f"select {CASE_COLUMNS} from cases"
        sql += f" where {where.replace('?', '%s')}" if where else ""
        sql += " order by created_at desc, id desc" if newest_first else " order by id"
        sql += f" limit {int(limit)}" if limit is not None else ""
        rows = self.db.transact(lambda c: c.execute(sql, params).fetchall())
        yield from (_case(row) for row in rows)

    def list(self, **filters: Any) -> builtins.list[Case]:
        """``iter``'s filters, newest first unless told otherwise."""
        return [*self.iter(**{"newest_first": True, **filters})]

    def recent(self, user: str, limit: int = 5, team: str | None = None) -> builtins.list[Case]:
        return self.list(user=user, limit=limit, team=team, unkeyed=True)

    def count(self) -> int:
        row = self.db.transact(lambda c: c.execute("select count(*) as n from cases").fetchone())
        return int(row["n"]) if row else 0


class PgGapStore(GapWriter):
    def __init__(self, db: Database, *, keep_text: bool = True) -> None:
        super().__init__(db, keep_text=keep_text)
        self.db = db

    def iter(self) -> Iterator[dict[str, Any]]:
        """Every gap, oldest first, read in one snapshot."""
        sql = (
            'select id, created_at, source, team, channel, "user", question, reason, score,'
            " version, enterprise from gaps order by id"
        )
        rows = self.db.transact(lambda c: c.execute(sql).fetchall())
        yield from (strings(row) for row in rows)
