"""Cases: every question the bot answered or suggested, and the clicks that followed."""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from bot.store.db import Connection, iso
from bot.store.models import (
    FINAL_ACTIONS,
    SOURCES,
    STATUSES,
    Action,
    Case,
    RowSink,
    stored_question,
)


class CaseWriter:
    """Opening a case, the same on every backend: one insert, no read-back."""

    def __init__(self, rows: RowSink, *, keep_text: bool = True) -> None:
        self.rows = rows
        self.keep_text = keep_text  # STORE_QUESTION_TEXT

    def open(
        self,
        *,
        source: str,
        level: str,
        question: str = "",
        article_id: str | None = None,
        score: float | None = None,
        detected_version: str | None = None,
        team: str | None = None,
        enterprise: str | None = None,
        channel: str | None = None,
        thread_ts: str | None = None,
        user: str | None = None,
    ) -> Case:
        """A new case, status 'answered'."""
        if source not in SOURCES:
            raise ValueError(f"unknown source {source!r}; expected one of {SOURCES}")
        row: dict[str, Any] = {
            "created_at": self.rows.now(), "source": source, "status": "answered",
            "level": level, "question": stored_question(question, self.keep_text),
            "article_id": article_id, "score": score, "detected_version": detected_version,
            "team": team, "channel": channel, "thread_ts": thread_ts, "user": user,
        }  # fmt: skip
        row["enterprise"] = enterprise  # the Enterprise Grid org, if any
        # A question's hot path: one statement and no read-back (the other columns
        # start empty), where sqlite-utils' insert looked the table up twice and ran
        # in a transaction of its own.
        return Case(id=self.rows.insert_row("cases", row), **row)


class CaseStore(CaseWriter):
    def __init__(self, conn: Connection, *, keep_text: bool = True) -> None:
        super().__init__(conn, keep_text=keep_text)
        self.conn = conn

    def get(self, case_id: int) -> Case | None:
        return self._first("id = ?", [case_id])

    def for_thread(self, channel: str, thread_ts: str) -> Case | None:
        """The latest case answered in this thread."""
        return self._first("channel = ? and thread_ts = ?", [channel, thread_ts])

    def _first(self, where: str, params: list[Any]) -> Case | None:
        sql = f"select * from cases where {where} order by id desc limit 1"
        with self.conn.read() as db:
            rows = list(db.query(sql, params))
        return Case(**rows[0]) if rows else None

    def set_reply_ts(self, case_id: int, reply_ts: str) -> None:
        with self.conn.write() as db:
            db.table("cases").update(case_id, {"reply_ts": reply_ts})

    def drop_unanswered(self, channel: str, thread_ts: str, user: str, since: str) -> int:
        """Drop a killed reply's case (no reply, no clicks): its re-run opens it again."""
        sql = """delete from cases where channel = ? and thread_ts = ? and "user" = ?
            and created_at >= ? and coalesce(reply_ts, '') = ''
            and id not in (select case_id from case_clicks)"""
        with self.conn.write() as db:
            return int(db.execute(sql, [channel, thread_ts, user, since]).rowcount)

    def choose_version(self, case_id: int, version: str) -> None:
        with self.conn.write() as db:
            db.table("cases").update(case_id, {"chosen_version": version})

    def has_click(self, case_id: int, action: str) -> bool:
        """Has anyone clicked this action on this case (e.g. said 'No' to a suggestion)?"""
        with self.conn.read() as db:
            where = "case_id = ? and action = ?"
            return bool(db.table("case_clicks").count_where(where, [case_id, action]))

    def record_click(self, case_id: int, user: str, action: str) -> bool:
        """Record a click once per (case, user, action); False on repeats.

        A settling action (``FINAL_ACTIONS``) also moves the case status and, the first
        time a case is resolved, its time to resolve.
        """
        now = self.conn.clock()
        with self.conn.write() as db:
            inserted = db.execute(
                "insert or ignore into case_clicks (case_id, user, action, at) values (?,?,?,?)",
                [case_id, user, action, iso(now)],
            ).rowcount
            if inserted and action in FINAL_ACTIONS:
                case = db.table("cases").get(case_id)
                update: dict[str, Any] = {"status": str(FINAL_ACTIONS[action]), "status_by": user,
                                          "status_at": iso(now)}  # fmt: skip
                if action == Action.RESOLVED and case["resolve_seconds"] is None:
                    opened = datetime.fromisoformat(case["created_at"])
                    update["resolve_seconds"] = (now - opened).total_seconds()
                db.table("cases").update(case_id, update)
        return bool(inserted)

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
        """Cases in id order (or newest first), read in one snapshot.

        ``team``: that workspace's cases only; with ``unkeyed``, also those with no team.
        """
        where, params = _case_filter(status, since, until, user, team, unkeyed)
        order = "created_at desc, id desc" if newest_first else "id"
        with self.conn.read() as db:
            rows = list(db.table("cases").rows_where(where, params, order_by=order, limit=limit))
        yield from (Case(**row) for row in rows)

    def list(self, **filters: Any) -> builtins.list[Case]:
        """``iter``'s filters, newest first unless told otherwise."""
        return [*self.iter(**{"newest_first": True, **filters})]

    def recent(self, user: str, limit: int = 5, team: str | None = None) -> builtins.list[Case]:
        """The asker's own latest cases, for App Home: in ``team`` (and unkeyed) when given,
        since two workspaces may have the same user id."""
        return self.list(user=user, limit=limit, team=team, unkeyed=True)

    def count(self) -> int:
        with self.conn.read() as db:
            return int(db.execute("select count(*) from cases").fetchone()[0])


def _case_filter(
    status: str | None,
    since: datetime | None,
    until: datetime | None,
    user: str | None,
    team: str | None = None,
    unkeyed: bool = False,
) -> tuple[str | None, list[Any]]:
    if status and status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; expected one of {STATUSES}")
    in_team = "(team = ? or team is null)" if unkeyed else "team = ?"
    wanted = [("status = ?", status or None), ("created_at >= ?", since and iso(since)),
              ("created_at < ?", until and iso(until)), ('"user" = ?', user),
              (in_team, team or None)]  # fmt: skip
    chosen = [(clause, value) for clause, value in wanted if value is not None]
    return (" and ".join(c for c, _ in chosen) or None), [v for _, v in chosen]
