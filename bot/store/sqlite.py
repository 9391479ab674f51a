"""The SQLite backend's whole-database parts: reports, purge, backup, health, describe.

The stores themselves (cases, gaps, inbox, claims, follow-ups) are the modules beside
this one; they share the one ``Connection`` of ``bot.store.db``.
"""

from __future__ import annotations

import builtins
import os
import socket
import sqlite3
from collections.abc import Sequence
from contextlib import suppress
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from bot.store import runs
from bot.store.db import Connection, iso
from bot.store.migrations import migrations
from bot.store.models import TABLES
from bot.store.protocols import (
    ClickedCase,
    Description,
    FollowUpRow,
    GapRow,
    SettledCase,
    WeekRow,
)

MIN_FREE_BYTES = 16 * 1024 * 1024  # a week of cases is a few hundred KB; WAL needs room
LOCK_WAIT_SECONDS = 1.0  # the bot's own writes take milliseconds

# Reads only ``idx_cases_week`` (a covering index), so it stays fast at a million cases;
# one workspace's week reads ``idx_cases_team_week``. ``{scope}`` is empty
# for every workspace, else ``TEAM_SCOPE`` (that workspace's rows and the unkeyed ones:
# console cases, and cases logged before workspaces were recorded).
WEEK_ROWS_OF = (
    "select created_at, status, source, channel,"
    " coalesce(chosen_version, detected_version), resolve_seconds"
    " from cases {index} where created_at >= ? and created_at < ?{scope}"
)
GAPS_BETWEEN = (
    f"select {', '.join(GapRow._fields)} from gaps"
    " where created_at >= ? and created_at < ?{scope} order by id"
)
FOLLOW_UPS_BETWEEN = (
    "select f.case_id, f.sent_at, c.status, c.status_at from follow_ups f"
    " join cases c on c.id = f.case_id"
    " where f.sent_at is not null and c.created_at >= ? and c.created_at < ?{scope}"
    " order by f.case_id"
)
CASES_CLICKED = (
    "select id, article_id, question, team from cases where id in "
    "(select case_id from case_clicks where action = ?){scope} order by id"
)
TEXTS_STORED = (
    "select exists(select 1 from cases where question != '')"
    " or exists(select 1 from gaps where question != '')"
)


# The article is not in the covering index (bot/store/migrations.py): this one read looks
# up the week's rows in the table, about 1% of a million cases (bench/bench_cases.py).
WEEK_ARTICLES = (
    "select article_id, count(*) from cases {index}"
    " where created_at >= ? and created_at < ?{scope} group by article_id"
)
SETTLED_CASES = (
    "select id, article_id, question, status, team from cases"
    " where status in ({marks}) and created_at >= ?{scope} order by id"
)
TEAM_SCOPE = " and (team = ? or team is null)"
WEEK_ROWS = WEEK_ROWS_OF.format(index="indexed by idx_cases_week", scope="")  # every workspace


def scoped(sql: str, team: str | None, prefix: str = "", **parts: str) -> tuple[str, list[str]]:
    """``sql`` for every workspace (``team`` None) or for one, and the extra parameter."""
    scope = TEAM_SCOPE.replace("team", f"{prefix}team") if team else ""
    # One workspace's rows: the planner picks idx_cases_team_week for either side of the or.
    index = "indexed by idx_cases_week" if team is None else ""
    return sql.format(scope=scope, index=index, **parts), ([team] if team else [])


class SqliteReports:
    """The weekly summary's and ``learn``'s reads."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _rows(self, sql: str, params: builtins.list[str]) -> builtins.list[tuple]:  # type: ignore[type-arg]
        with self.conn.read() as db:
            return [tuple(row) for row in db.execute(sql, params).fetchall()]

    def week_rows(self, start: str, end: str, team: str | None = None) -> builtins.list[WeekRow]:
        sql, extra = scoped(WEEK_ROWS_OF, team)
        return [WeekRow(*row) for row in self._rows(sql, [start, end, *extra])]

    def gaps_between(self, start: str, end: str, team: str | None = None) -> builtins.list[GapRow]:
        sql, extra = scoped(GAPS_BETWEEN, team)
        return [GapRow(*row) for row in self._rows(sql, [start, end, *extra])]

    def follow_ups_between(
        self, start: str, end: str, team: str | None = None
    ) -> builtins.list[FollowUpRow]:
        sql, extra = scoped(FOLLOW_UPS_BETWEEN, team, prefix="c.")
        return [FollowUpRow(*row) for row in self._rows(sql, [start, end, *extra])]

    def cases_clicked(self, action: str, team: str | None = None) -> builtins.list[ClickedCase]:
        sql, extra = scoped(CASES_CLICKED, team)
        return [ClickedCase(*row) for row in self._rows(sql, [action, *extra])]

    def texts_stored(self) -> bool:
        return bool(self._rows(TEXTS_STORED, [])[0][0])

    def articles_between(
        self, start: str, end: str, team: str | None = None
    ) -> builtins.list[tuple[str | None, int]]:
        sql, extra = scoped(WEEK_ARTICLES, team)
        return [(article, int(n)) for article, n in self._rows(sql, [start, end, *extra])]

    def settled_cases(
        self, statuses: Sequence[str], since: str | None = None, team: str | None = None
    ) -> builtins.list[SettledCase]:
        if not statuses:
            return []
        sql, extra = scoped(SETTLED_CASES, team, marks=", ".join("?" * len(statuses)))
        return [SettledCase(*row) for row in self._rows(sql, [*statuses, since or "", *extra])]


class SqliteRuns:
    """Runs that owe replies: on this host, the process decides (pid and start time, so a
    restart re-runs its dead predecessor's events at once); a run with another host name
    (a second container on the same volume) is alive while its heartbeat is younger
    than the lease. A clean stop removes the run's row: what it left is taken at once."""

    def __init__(self, conn: Connection, *, lease: timedelta = runs.LEASE) -> None:
        self.conn = conn
        self.lease = lease
        self.heartbeat = runs.Heartbeat(self.beat)

    def this_run(self) -> str:
        return runs.this_run()

    def is_alive(self, run: str | None) -> bool:
        if runs.on_this_host(run):
            return runs.is_alive(run)
        cutoff = iso(self.conn.clock() - self.lease)
        sql = "select 1 from runs where run = ? and heartbeat_at >= ?"
        with self.conn.read() as db:
            return db.execute(sql, [run, cutoff]).fetchone() is not None

    def beat(self, db: Database | None = None) -> None:
        """Say this run is alive now: in ``db``'s open transaction, else in one of its own."""
        now = self.conn.now()
        sql = (
            "insert into runs (run, host, started_at, heartbeat_at) values (?, ?, ?, ?)"
            " on conflict (run) do update set heartbeat_at = excluded.heartbeat_at"
        )
        values = [self.this_run(), socket.gethostname(), now, now]
        if db is not None:
            db.execute(sql, values)
            return
        with self.conn.write() as own:
            own.execute(sql, values)

    def start_heartbeat(self) -> None:
        self.heartbeat.start()

    def stop(self) -> None:
        """Stop beating and hand back: this run's row goes, so its leftovers are taken now."""
        if self.heartbeat.stop():
            with suppress(Exception), self.conn.write() as db:
                db.execute("delete from runs where run = ?", [self.this_run()])


class SqliteBackend:
    kind = "sqlite"

    def __init__(self, conn: Connection, runs: SqliteRuns | None = None) -> None:
        self.conn = conn
        self.runs = runs

    def purge_before(self, cutoff: str, *, dry_run: bool = False) -> tuple[int, int]:
        """Cases (with clicks and follow-ups) and gaps created before ``cutoff``."""
        if dry_run:
            with self.conn.read() as db:
                return (
                    db.table("cases").count_where("created_at < ?", [cutoff]),
                    db.table("gaps").count_where("created_at < ?", [cutoff]),
                )
        old = "select id from cases where created_at < ?"
        with self.conn.write() as db:
            db.execute(f"delete from follow_ups where case_id in ({old})", [cutoff])
            db.execute(f"delete from case_clicks where case_id in ({old})", [cutoff])
            cases = db.execute("delete from cases where created_at < ?", [cutoff]).rowcount
            gaps = db.execute("delete from gaps where created_at < ?", [cutoff]).rowcount
        return int(cases), int(gaps)

    def purge_workspace(self, team: str) -> tuple[int, int]:
        """A workspace's cases (with clicks and follow-ups), gaps and settings."""
        mine = "select id from cases where team = ?"
        with self.conn.write() as db:
            db.execute(f"delete from follow_ups where case_id in ({mine})", [team])
            db.execute(f"delete from case_clicks where case_id in ({mine})", [team])
            cases = db.execute("delete from cases where team = ?", [team]).rowcount
            gaps = db.execute("delete from gaps where team = ?", [team]).rowcount
            db.execute("delete from workspace_settings where team = ?", [team])
        return int(cases), int(gaps)

    def backup(self, target: str | Path) -> Path:
        return self.conn.backup(target)

    def check_writable(self) -> None:
        self.conn.check_writable()

    def integrity_problem(self) -> str | None:
        """What ``PRAGMA quick_check`` finds wrong (a corrupt index or page), else None."""
        from bot.store.probe import quick_check_problem

        with self.conn.read() as db:
            damage = quick_check_problem(db.conn)
        return f"database damaged ({damage})" if damage else None

    def write_problem(self) -> str | None:
        """None when a write would succeed now, else a short reason without paths."""
        if self.conn.path == ":memory:":
            return None
        return space_problem(Path(self.conn.path)) or _write_problem(Path(self.conn.path))

    def describe(self) -> Description:
        with self.conn.read() as db:
            applied = migrations.applied(db)
            pending = len(migrations.pending(db))
        level = applied[-1].name if applied else "none"
        return Description("sqlite", self.conn.path, sqlite3.sqlite_version, level, pending)

    def table_counts(self) -> dict[str, int]:
        with self.conn.read() as db:
            return {table: db.table(table).count for table in TABLES}

    def export_rows(self, table: str) -> builtins.list[dict[str, Any]]:
        """Every row of one table, in insertion order (``cases migrate-to``)."""
        with self.conn.read() as db:
            return list(db.table(_known(table)).rows_where(order_by="rowid"))

    def import_rows(self, tables: dict[str, builtins.list[dict[str, Any]]]) -> None:
        """Insert rows as they are (ids kept), all tables in one transaction."""
        with self.conn.write() as db:
            for table, rows in tables.items():
                known = set(db.table(_known(table)).columns_dict)
                db.table(table).insert_all(
                    {k: v for k, v in row.items() if k in known} for row in rows
                )

    def close(self) -> None:
        if self.runs is not None:
            self.runs.stop()  # before the connection goes: the hand-back needs it
        self.conn.close()


def _known(table: str) -> str:
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}")
    return table


def space_problem(path: Path, min_free_bytes: int = MIN_FREE_BYTES) -> str | None:
    """A short reason when the database's disk is below the free-space floor (WAL needs room)."""
    try:
        stats = os.statvfs(path.parent)
    except OSError as exc:
        return f"database folder unavailable ({exc.strerror or 'error'})"
    free = stats.f_bavail * stats.f_frsize
    if free < min_free_bytes:
        return f"disk almost full ({free // 1024} KiB free)"
    return None


def _write_problem(path: Path) -> str | None:
    """A write transaction on a connection of its own, rolled back.

    It fails when the files are read-only or another process holds the write lock, and
    succeeds when only the folder is read-only but -wal/-shm are writable (the bot works).
    """
    if not path.is_file():
        return "database file missing"
    try:
        db = sqlite3.connect(path, timeout=LOCK_WAIT_SECONDS, isolation_level=None)
    except sqlite3.Error as exc:
        return f"database not writable ({_reason(exc)})"
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute("CREATE TABLE healthz_probe (data BLOB)")
        db.execute("INSERT INTO healthz_probe VALUES (zeroblob(4096))")
        db.execute("ROLLBACK")
    except sqlite3.Error as exc:
        return f"database not writable ({_reason(exc)})"
    finally:
        db.close()
    return None


def _reason(exc: Exception) -> str:
    # SQLite's messages name no path; keep only the first line anyway (/healthz is public).
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
