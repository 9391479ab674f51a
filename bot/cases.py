"""The case log: every question the bot answered or suggested, and what happened next.

One SQLite file (WAL mode, busy timeout) shared by every process of the bot. The
schema is versioned with ``sqlite_utils.Migrations``, so an older file upgrades in
place. Every write commits before the method returns: a case the caller was told
about survives a killed process.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot import metrics

SOURCES = ("channel", "dm", "mention", "slash", "shortcut", "console")
STATUSES = ("answered", "resolved", "unresolved", "escalated")
FINAL_ACTIONS = {"case_resolved": "resolved", "case_unresolved": "unresolved",
                 "case_escalate": "escalated"}  # fmt: skip
EVENT_MEMORY = timedelta(days=2)  # Slack retries for about 5 minutes; keep ids well past that
BUSY_TIMEOUT_MS = 10_000
FORGET_EVERY = 500  # delivery claims between two sweeps of expired event ids
# A summary claim never marked posted (its process died mid-post) may be retaken after this.
CLAIM_TIMEOUT = timedelta(minutes=15)

migrations = Migrations("emailstatus")


@migrations()
def m001_cases(db: Database) -> None:
    db.table("cases").create(
        {
            "id": int, "created_at": str, "team": str, "channel": str, "thread_ts": str,
            "reply_ts": str, "user": str, "source": str, "question": str, "article_id": str,
            "score": float, "level": str, "detected_version": str, "chosen_version": str,
            "status": str, "status_by": str, "status_at": str, "resolve_seconds": float,
        },
        pk="id",
        not_null={"created_at", "source", "status", "level"},
    )  # fmt: skip
    db.table("cases").create_index(["created_at"])
    db.table("cases").create_index(["channel", "thread_ts"])
    db.table("case_clicks").create(
        {"case_id": int, "user": str, "action": str, "at": str},
        pk=("case_id", "user", "action"),
        foreign_keys=[("case_id", "cases", "id")],
    )
    db.table("gaps").create(
        {"id": int, "created_at": str, "source": str, "team": str, "channel": str,
         "user": str, "question": str, "reason": str, "score": float, "version": str},
        pk="id",
    )  # fmt: skip
    db.table("gaps").create_index(["created_at"])
    db.table("slack_events").create({"event_id": str, "seen_at": str}, pk="event_id")
    db.table("slack_events").create_index(["seen_at"])
    db.table("message_claims").create(
        {"channel": str, "ts": str, "seen_at": str}, pk=("channel", "ts")
    )


@migrations()
def m002_summaries(db: Database) -> None:
    """Weekly-summary claims, and indexes for summaries, App Home and purges."""
    # One row per posted week: the primary key is what makes "post exactly once" hold
    # across gunicorn workers and restarts.
    db.table("summary_claims").create(
        {"week": str, "claimed_at": str, "claimed_by": str, "posted_at": str, "channel": str,
         "message_ts": str},
        pk="week",
        not_null={"claimed_at"},
    )  # fmt: skip
    # A covering index: a week's summary reads only this index, never the table, so it
    # costs the same with 10,000 or 1,000,000 cases in the file.
    db.table("cases").create_index(
        ["created_at", "status", "source", "channel", "chosen_version", "detected_version",
         "resolve_seconds", "level"],
        index_name="idx_cases_week",
    )  # fmt: skip
    db.table("cases").create_index(["user", "created_at"], index_name="idx_cases_user")
    db.table("case_clicks").create_index(["action", "case_id"], index_name="idx_clicks_action")


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Case:
    id: int
    created_at: str
    source: str
    status: str
    level: str
    team: str | None = None
    channel: str | None = None
    thread_ts: str | None = None
    reply_ts: str | None = None
    user: str | None = None
    question: str | None = None
    article_id: str | None = None
    score: float | None = None
    detected_version: str | None = None
    chosen_version: str | None = None
    status_by: str | None = None
    status_at: str | None = None
    resolve_seconds: float | None = None

    @property
    def version(self) -> str | None:
        return self.chosen_version or self.detected_version


class CaseLog:
    def __init__(
        self,
        path: str | Path = ":memory:",
        *,
        store_question_text: bool = True,
        clock: Any = utc_now,
    ) -> None:
        self.path = str(path)
        self.store_question_text = store_question_text
        self.clock = clock
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False,
            isolation_level=None,
        )  # fmt: skip
        self.db = Database(conn)
        # One connection shared by bolt's listener threads; the lock keeps writes whole.
        self._lock = threading.RLock()
        self._claims = 0
        with self._lock:
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if self.path != ":memory:":
                self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            self._migrate()

    def _migrate(self) -> None:
        """Apply pending migrations once, even when several workers start together.

        ``Migrations.apply`` reads what is pending before it writes; holding the write
        lock (BEGIN IMMEDIATE) around it means a second process waits, then finds
        nothing left to do. Each migration nests inside as a savepoint.
        """
        if not migrations.pending(self.db):
            return
        with self._write() as db:
            migrations.apply(db)

    def close(self) -> None:
        with self._lock:
            self.db.conn.close()

    @contextmanager
    def _write(self) -> Iterator[Database]:
        """One transaction that takes the write lock up front (no upgrade deadlocks)."""
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    # -- cases -------------------------------------------------------------------------

    def open_case(
        self,
        *,
        source: str,
        level: str,
        question: str = "",
        article_id: str | None = None,
        score: float | None = None,
        detected_version: str | None = None,
        team: str | None = None,
        channel: str | None = None,
        thread_ts: str | None = None,
        user: str | None = None,
    ) -> Case:
        if source not in SOURCES:
            raise ValueError(f"unknown source {source!r}; expected one of {SOURCES}")
        row = {
            "created_at": iso(self.clock()), "source": source, "status": "answered",
            "level": level, "question": question if self.store_question_text else None,
            "article_id": article_id, "score": score, "detected_version": detected_version,
            "team": team, "channel": channel, "thread_ts": thread_ts, "user": user,
        }  # fmt: skip
        with self._write() as db:
            case_id = db.table("cases").insert(row).last_pk
            assert case_id is not None
        found = self.get(int(case_id))
        assert found is not None
        return found

    def get(self, case_id: int) -> Case | None:
        with self._lock:
            rows = list(self.db.table("cases").rows_where("id = ?", [case_id]))
        return Case(**rows[0]) if rows else None

    def case_for_thread(self, channel: str, thread_ts: str) -> Case | None:
        with self._lock:
            rows = list(
                self.db.table("cases").rows_where(
                    "channel = ? and thread_ts = ?", [channel, thread_ts], order_by="id desc",
                    limit=1,
                )
            )  # fmt: skip
        return Case(**rows[0]) if rows else None

    def set_reply_ts(self, case_id: int, reply_ts: str) -> None:
        with self._write() as db:
            db.table("cases").update(case_id, {"reply_ts": reply_ts})

    def choose_version(self, case_id: int, version: str) -> None:
        with self._write() as db:
            db.table("cases").update(case_id, {"chosen_version": version})

    def check_writable(self) -> None:
        """Raise unless this process can write: a file in the folder and a write lock."""
        if self.path != ":memory:":
            probe = Path(self.path).parent / f".write-check-{os.getpid()}-{threading.get_ident()}"
            probe.write_bytes(b"")
            probe.unlink()
        with self._write():
            pass

    def has_click(self, case_id: int, action: str) -> bool:
        """Has anyone clicked this action on this case (e.g. said 'No' to a suggestion)?"""
        with self._lock:
            return bool(
                self.db.table("case_clicks").count_where(
                    "case_id = ? and action = ?", [case_id, action]
                )
            )

    def record_click(self, case_id: int, user: str, action: str) -> bool:
        """Record a button click once per (case, user, action); returns False on repeats.

        Feedback actions also move the case status and, the first time a case is
        resolved, its time to resolve.
        """
        now = self.clock()
        with self._write() as db:
            inserted = db.execute(
                "insert or ignore into case_clicks (case_id, user, action, at) values (?,?,?,?)",
                [case_id, user, action, iso(now)],
            ).rowcount
            if inserted and action in FINAL_ACTIONS:
                self._set_status(db, case_id, FINAL_ACTIONS[action], user, now)
        if inserted and action in FINAL_ACTIONS:
            metrics.feedback(FINAL_ACTIONS[action])
        return bool(inserted)

    def _set_status(
        self, db: Database, case_id: int, status: str, user: str, now: datetime
    ) -> None:
        case = db.table("cases").get(case_id)
        update: dict[str, Any] = {"status": status, "status_by": user, "status_at": iso(now)}
        if status == "resolved" and case["resolve_seconds"] is None:
            created = datetime.fromisoformat(case["created_at"])
            update["resolve_seconds"] = (now - created).total_seconds()
        db.table("cases").update(case_id, update)

    # -- knowledge gaps ----------------------------------------------------------------

    def record_gap(
        self,
        *,
        source: str,
        reason: str,
        question: str = "",
        score: float | None = None,
        version: str | None = None,
        team: str | None = None,
        channel: str | None = None,
        user: str | None = None,
    ) -> int:
        row = {
            "created_at": iso(self.clock()), "source": source, "reason": reason,
            "question": question if self.store_question_text else None, "score": score,
            "version": version, "team": team, "channel": channel, "user": user,
        }  # fmt: skip
        with self._write() as db:
            gap_id = db.table("gaps").insert(row).last_pk
            assert gap_id is not None
            return int(gap_id)

    # -- Slack delivery guards -----------------------------------------------------------

    def first_delivery(self, event_id: str) -> bool:
        """True the first time an event id is seen, in any process; False for retries."""
        return self._claim("slack_events", {"event_id": event_id})

    def claim_message(self, channel: str, ts: str) -> bool:
        """True for the first event about a message (``message`` and ``app_mention`` both fire)."""
        return self._claim("message_claims", {"channel": channel, "ts": ts})

    def _claim(self, table: str, key: dict[str, str]) -> bool:
        row = {**key, "seen_at": iso(self.clock())}
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self._write() as db:
            cursor = db.execute(
                f"insert or ignore into {table} ({columns}) values ({marks})", list(row.values())
            )
        self._claims += 1
        if self._claims % FORGET_EVERY == 0:
            self.forget_old_events()  # expiry without a separate job: cheap, and rare
        return cursor.rowcount == 1

    def forget_old_events(self) -> int:
        cutoff = iso(self.clock() - EVENT_MEMORY)
        with self._write() as db:
            removed = db.execute("delete from slack_events where seen_at < ?", [cutoff]).rowcount
            removed += db.execute("delete from message_claims where seen_at < ?", [cutoff]).rowcount
        return removed

    # -- listing, export, backup, purge ----------------------------------------------------

    def list_cases(
        self,
        *,
        status: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        user: str | None = None,
        limit: int | None = None,
        newest_first: bool = True,
    ) -> list[Case]:
        return list(
            self.iter_cases(
                status=status, since=since, until=until, user=user, limit=limit,
                newest_first=newest_first,
            )
        )  # fmt: skip

    def iter_cases(
        self,
        *,
        status: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        user: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> Iterator[Case]:
        """Cases in id order (or newest first), read in one snapshot."""
        where, params = _case_filter(status=status, since=since, until=until, user=user)
        order = "created_at desc, id desc" if newest_first else "id"
        with self._lock:
            rows = list(
                self.db.table("cases").rows_where(where, params, order_by=order, limit=limit)
            )
        for row in rows:
            yield Case(**row)

    def recent_cases(self, user: str, limit: int = 5) -> list[Case]:
        """The asker's own latest cases, for App Home."""
        return self.list_cases(user=user, limit=limit)

    def count_cases(self) -> int:
        with self._lock:
            return int(self.db.execute("select count(*) from cases").fetchone()[0])

    def purge(self, older_than: timedelta) -> PurgeResult:
        """Delete cases and knowledge gaps created before now - older_than."""
        cutoff = iso(self.clock() - older_than)
        with self._write() as db:
            db.execute(
                "delete from case_clicks where case_id in"
                " (select id from cases where created_at < ?)",
                [cutoff],
            )
            cases = db.execute("delete from cases where created_at < ?", [cutoff]).rowcount
            gaps = db.execute("delete from gaps where created_at < ?", [cutoff]).rowcount
        self.forget_old_events()
        return PurgeResult(cases=cases, gaps=gaps, cutoff=cutoff)

    def backup(self, target: str | Path) -> Path:
        """Copy the whole database with SQLite's online backup API (safe while writing)."""
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        destination = sqlite3.connect(path)
        try:
            with self._lock:
                self.db.conn.backup(destination)
        finally:
            destination.close()
        return path

    def gaps_between(self, start: str, end: str) -> list[dict[str, Any]]:
        """Knowledge gaps created in [start, end) (UTC ISO strings)."""
        with self._lock:
            return list(
                self.db.query(
                    "select id, created_at, source, reason, question, version, channel"
                    " from gaps where created_at >= ? and created_at < ? order by id",
                    [start, end],
                )
            )

    def iter_gaps(self) -> Iterator[dict[str, Any]]:
        with self._lock:
            rows = list(self.db.query("select * from gaps order by id"))
        yield from rows

    # -- weekly summary reads ---------------------------------------------------------------

    def week_rows(self, start: str, end: str) -> list[tuple[Any, ...]]:
        """(created_at, status, source, channel, version, resolve_seconds) for [start, end).

        Reads only ``idx_cases_week`` (a covering index), so it stays fast at a million
        cases.
        """
        with self._lock:
            return self.db.execute(
                "select created_at, status, source, channel,"
                " coalesce(chosen_version, detected_version), resolve_seconds"
                " from cases indexed by idx_cases_week"
                " where created_at >= ? and created_at < ?",
                [start, end],
            ).fetchall()

    def count_clicks_between(self, actions: tuple[str, ...], start: str, end: str) -> int:
        """Cases opened in [start, end) that got any of these clicks."""
        marks = ", ".join("?" for _ in actions)
        with self._lock:
            row = self.db.execute(
                "select count(distinct k.case_id) from case_clicks k"
                " join cases c on c.id = k.case_id"
                f" where k.action in ({marks}) and c.created_at >= ? and c.created_at < ?",
                [*actions, start, end],
            ).fetchone()
        return int(row[0])

    # -- weekly summary claims ----------------------------------------------------------------

    def claim_summary(self, week: str, by: str, *, stale_after: timedelta = CLAIM_TIMEOUT) -> bool:
        """Claim a week's post; True for exactly one caller, in any process.

        A claim that was never marked posted (the claimer crashed mid-post) may be taken
        over once it is older than ``stale_after``.
        """
        now = self.clock()
        with self._write() as db:
            inserted = db.execute(
                "insert or ignore into summary_claims (week, claimed_at, claimed_by)"
                " values (?, ?, ?)",
                [week, iso(now), by],
            ).rowcount
            if inserted:
                return True
            taken = db.execute(
                "update summary_claims set claimed_at = ?, claimed_by = ?"
                " where week = ? and posted_at is null and claimed_at < ?",
                [iso(now), by, week, iso(now - stale_after)],
            ).rowcount
        return bool(taken)

    def mark_summary_posted(self, week: str, channel: str, message_ts: str | None) -> None:
        with self._write() as db:
            db.table("summary_claims").update(
                week, {"posted_at": iso(self.clock()), "channel": channel, "message_ts": message_ts}
            )

    def release_summary_claim(self, week: str) -> None:
        """Give a claim back after a failed post, so the next tick (or worker) retries."""
        with self._write() as db:
            db.execute("delete from summary_claims where week = ? and posted_at is null", [week])

    def summary_claim(self, week: str) -> dict[str, Any] | None:
        with self._lock:
            rows = list(self.db.table("summary_claims").rows_where("week = ?", [week]))
        return rows[0] if rows else None


@dataclass(frozen=True)
class PurgeResult:
    cases: int
    gaps: int
    cutoff: str


def _case_filter(
    *,
    status: str | None,
    since: datetime | None,
    until: datetime | None,
    user: str | None,
) -> tuple[str | None, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if status:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; expected one of {STATUSES}")
        clauses.append("status = ?")
        params.append(status)
    if since is not None:
        clauses.append("created_at >= ?")
        params.append(iso(since))
    if until is not None:
        clauses.append("created_at < ?")
        params.append(iso(until))
    if user is not None:
        clauses.append('"user" = ?')
        params.append(user)
    return (" and ".join(clauses) or None), params
