"""The PostgreSQL backend's whole-database parts: reports, purge, backup, health, describe."""

from __future__ import annotations

import builtins
import os
import shutil
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from bot.store.models import TABLES
from bot.store.postgres.database import (
    Conn,
    Database,
    applied_migrations,
    at,
    stamp,
    strings,
    without_password,
)
from bot.store.postgres.runs import PgRuns
from bot.store.postgres.schema import MIGRATIONS
from bot.store.protocols import (
    ClickedCase,
    Description,
    FollowUpRow,
    GapRow,
    SettledCase,
    WeekRow,
)

ORDER = {"slack_events": "seq", "cases": "id", "gaps": "id"}
LOCAL = {"seq", "token"}  # this backend's own bookkeeping: not copied
WEEK_ROWS = (
    "select created_at, status, source, channel,"
    " coalesce(chosen_version, detected_version), resolve_seconds"
    " from cases where created_at >= %s and created_at < %s{scope}"
)
GAPS_BETWEEN = (
    f"select {', '.join(GapRow._fields)} from gaps"
    " where created_at >= %s and created_at < %s{scope} order by id"
)
FOLLOW_UPS_BETWEEN = (
    "select f.case_id, f.sent_at, c.status, c.status_at from follow_ups f"
    " join cases c on c.id = f.case_id"
    " where f.sent_at is not null and c.created_at >= %s and c.created_at < %s{scope}"
    " order by f.case_id"
)
WEEK_ARTICLES = (
    "select article_id, count(*) from cases"
    " where created_at >= %s and created_at < %s{scope} group by article_id"
)
SETTLED_CASES = (
    "select id, article_id, question, status, team from cases"
    " where status = any(%s) and created_at >= %s{scope} order by id"
)
CASES_CLICKED = (
    "select id, article_id, question, team from cases where id in "
    "(select case_id from case_clicks where action = %s){scope} order by id"
)
# One workspace's rows and the unkeyed ones (console, cases from before workspaces).
TEAM_SCOPE = " and (team = %s or team is null)"
TEXTS_STORED = (
    "select exists(select 1 from cases where question <> '')"
    " or exists(select 1 from gaps where question <> '')"
)
BACKUP_HOWTO = (
    "pg_dump not found: back up with `pg_dump --format=custom DATABASE_URL > backup.dump`"
)


def scoped(sql: str, team: str | None, prefix: str = "") -> tuple[str, builtins.list[Any]]:
    """``sql`` for every workspace (``team`` None) or for one, and the extra parameter."""
    scope = TEAM_SCOPE.replace("team", f"{prefix}team") if team else ""
    return sql.format(scope=scope), ([team] if team else [])


def _known(table: str) -> str:
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}")
    return table


def _columns(conn: Conn, table: str) -> set[str]:
    sql = "select column_name from information_schema.columns where table_name = %s"
    return {row["column_name"] for row in conn.execute(sql, [table])}


def _quoted(names: builtins.list[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


class PgReports:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _rows(self, sql: str, params: builtins.list[Any]) -> builtins.list[tuple[Any, ...]]:
        rows = self.db.transact(lambda c: c.execute(sql, params).fetchall())
        return [tuple(stamp(v) if hasattr(v, "tzinfo") else v for v in r.values()) for r in rows]

    def week_rows(self, start: str, end: str, team: str | None = None) -> builtins.list[WeekRow]:
        sql, extra = scoped(WEEK_ROWS, team)
        return [WeekRow(*row) for row in self._rows(sql, [at(start), at(end), *extra])]

    def articles_between(
        self, start: str, end: str, team: str | None = None
    ) -> builtins.list[tuple[str | None, int]]:
        sql, extra = scoped(WEEK_ARTICLES, team)
        rows = self._rows(sql, [at(start), at(end), *extra])
        return [(article, int(n)) for article, n in rows]

    def gaps_between(self, start: str, end: str, team: str | None = None) -> builtins.list[GapRow]:
        sql, extra = scoped(GAPS_BETWEEN, team)
        return [GapRow(*row) for row in self._rows(sql, [at(start), at(end), *extra])]

    def follow_ups_between(
        self, start: str, end: str, team: str | None = None
    ) -> builtins.list[FollowUpRow]:
        sql, extra = scoped(FOLLOW_UPS_BETWEEN, team, prefix="c.")
        rows = self._rows(sql, [at(start), at(end), *extra])
        return [FollowUpRow(*row) for row in rows]

    def cases_clicked(self, action: str, team: str | None = None) -> builtins.list[ClickedCase]:
        sql, extra = scoped(CASES_CLICKED, team)
        return [ClickedCase(*row) for row in self._rows(sql, [action, *extra])]

    def settled_cases(
        self, statuses: Sequence[str], since: str | None = None, team: str | None = None
    ) -> builtins.list[SettledCase]:
        since_at = at(since) if since else datetime.min.replace(tzinfo=UTC)
        sql, extra = scoped(SETTLED_CASES, team)
        rows = self._rows(sql, [list(statuses), since_at, *extra])
        return [SettledCase(*row) for row in rows]

    def texts_stored(self) -> bool:
        return bool(self._rows(TEXTS_STORED, [])[0][0])


class PgBackend:
    kind = "postgresql"

    def __init__(self, db: Database, runs: PgRuns) -> None:
        self.db = db
        self.runs = runs

    def purge_before(self, cutoff: str, *, dry_run: bool = False) -> tuple[int, int]:
        """Cases (their clicks and follow-ups cascade) and gaps created before ``cutoff``."""
        verb = "select count(*) as n from" if dry_run else "with gone as (delete from"
        tail = "" if dry_run else " returning 1) select count(*) as n from gone"

        def purge(conn: Conn) -> tuple[int, int]:
            counts = [
                conn.execute(f"{verb} {table} where created_at < %s{tail}", [at(cutoff)])
                for table in ("cases", "gaps")
            ]
            cases, gaps = (int(cursor.fetchone()["n"]) for cursor in counts)  # type: ignore[index]
            return cases, gaps

        return self.db.transact(purge)

    def purge_workspace(self, team: str) -> tuple[int, int]:
        """A workspace's cases (clicks and follow-ups cascade), gaps and settings."""

        def purge(conn: Conn) -> tuple[int, int]:
            cases = conn.execute("delete from cases where team = %s", [team]).rowcount
            gaps = conn.execute("delete from gaps where team = %s", [team]).rowcount
            conn.execute("delete from workspace_settings where team = %s", [team])
            return int(cases), int(gaps)

        return self.db.transact(purge)

    def backup(self, target: str | Path) -> Path:
        """``pg_dump --format=custom`` into ``target`` (restore with ``pg_restore``)."""
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise RuntimeError(BACKUP_HOWTO)
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        conninfo, password = without_password(self.db.url)
        env = {**os.environ, **({"PGPASSWORD": password} if password else {})}
        command = [pg_dump, "--format=custom", f"--file={path}", f"--dbname={conninfo}"]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(f"pg_dump failed: {done.stderr.strip()[:300]}")
        return path

    def check_writable(self) -> None:
        problem = self.write_problem()
        if problem:
            raise RuntimeError(problem)

    def integrity_problem(self) -> str | None:
        """The server checks its own pages (checksums, WAL); nothing to ask it here."""
        return None

    def write_problem(self) -> str | None:
        """None when this replica can write now, else a short reason (never the URL)."""

        def probe(conn: Conn) -> None:
            conn.execute("set local statement_timeout = 2000")
            with conn.transaction(force_rollback=True):
                conn.execute("create temporary table healthz_probe (x int) on commit drop")
                conn.execute("lock table runs in row exclusive mode")

        try:
            self.db.transact(probe)
        except psycopg.Error as exc:
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            return f"database not writable ({first[:120]})"
        return None

    def describe(self) -> Description:
        def read(conn: Conn) -> tuple[str, list[str]]:
            version = conn.execute("show server_version").fetchone()
            return str(version["server_version"] if version else "?"), applied_migrations(conn)

        version, applied = self.db.transact(read)
        pending = len([name for name, _ in MIGRATIONS if name not in applied])
        level = applied[-1] if applied else "none"
        return Description(self.kind, self.db.safe_url(), version, level, pending)

    def table_counts(self) -> dict[str, int]:
        sql = " union all ".join(f"select '{t}' as t, count(*) as n from {t}" for t in TABLES)
        rows = self.db.transact(lambda c: c.execute(sql).fetchall())
        return {row["t"]: int(row["n"]) for row in rows}

    def export_rows(self, table: str) -> builtins.list[dict[str, Any]]:
        """Every row of one table, times as ISO strings, in insertion order."""
        order = ORDER.get(_known(table), "1")
        sql = f"select * from {table} order by {order}"
        rows = self.db.transact(lambda c: c.execute(sql).fetchall())
        return [{k: v for k, v in strings(row).items() if k not in LOCAL} for row in rows]

    def import_rows(self, tables: dict[str, builtins.list[dict[str, Any]]]) -> None:
        """Insert rows as they are (ids kept), all tables in one transaction."""

        def insert(conn: Conn) -> None:
            for table, rows in tables.items():
                known = _columns(conn, _known(table)) - LOCAL
                for row in rows:
                    names = [name for name in row if name in known]
                    conn.execute(
                        f"insert into {table} ({_quoted(names)})"
                        f" values ({', '.join(['%s'] * len(names))})",
                        [row[name] for name in names],
                    )
            for table in ("cases", "gaps"):  # new ids continue after the copied ones
                conn.execute(
                    f"select setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" coalesce((select max(id) from {table}), 0) + 1, false)"
                )

        self.db.transact(insert)

    def close(self) -> None:
        self.runs.stop()
        self.db.close()
