"""Small stores over one SQLite connection: cases, gaps, the inbox, summary claims, follow-ups.

``Store`` is the one object callers hold: ``store.cases.open(...)``,
``store.inbox.first_delivery(...)``, ``store.claims.claim(...)``. The connection
owner (``store.conn``) keeps the lock, the write transactions, the migrations and
the backup; each store is a thin set of queries over it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlite_utils import Database

from bot.store.cases import CaseStore
from bot.store.claims import SummaryClaims
from bot.store.db import Clock, Connection, iso, utc_now
from bot.store.follow_ups import FollowUps
from bot.store.gaps import GapStore
from bot.store.inbox import Inbox
from bot.store.models import FINAL_ACTIONS, SOURCES, STATUSES, Action, Case, GapReason, Status

__all__ = ["FINAL_ACTIONS", "SOURCES", "STATUSES", "Action", "Case", "GapReason", "PurgeResult",
           "Status", "Store", "iso", "utc_now"]  # fmt: skip


@dataclass(frozen=True)
class PurgeResult:
    cases: int
    gaps: int
    cutoff: str


class Store:
    def __init__(
        self,
        path: str | Path = ":memory:",
        *,
        store_question_text: bool = True,
        clock: Clock = utc_now,
    ) -> None:
        self.conn = Connection(path, clock=clock)
        self.cases = CaseStore(self.conn, keep_text=store_question_text)
        self.gaps = GapStore(self.conn, keep_text=store_question_text)
        self.inbox = Inbox(self.conn)
        self.claims = SummaryClaims(self.conn)
        self.follow_ups = FollowUps(self.conn)

    @property
    def path(self) -> str:
        return self.conn.path

    @property
    def db(self) -> Database:
        """The sqlite-utils database, for read-only queries (summary, tests)."""
        return self.conn.db

    def purge(self, older_than: timedelta, *, dry_run: bool = False) -> PurgeResult:
        """Delete cases (with their clicks) and knowledge gaps created before now - older_than."""
        return self.purge_before(iso(self.conn.clock() - older_than), dry_run=dry_run)

    def purge_before(self, cutoff: str, *, dry_run: bool = False) -> PurgeResult:
        """Delete what was created before ``cutoff``; with ``dry_run``, only count it."""
        if dry_run:
            with self.conn.read() as db:
                cases = db.table("cases").count_where("created_at < ?", [cutoff])
                gaps = db.table("gaps").count_where("created_at < ?", [cutoff])
            return PurgeResult(cases=cases, gaps=gaps, cutoff=cutoff)
        with self.conn.write() as db:
            self.follow_ups.delete_before(db, cutoff)
            cases = self.cases.delete_before(db, cutoff)
            gaps = self.gaps.delete_before(db, cutoff)
        self.inbox.forget_old()
        return PurgeResult(cases=cases, gaps=gaps, cutoff=cutoff)

    def backup(self, target: str | Path) -> Path:
        return self.conn.backup(target)

    def check_writable(self) -> None:
        self.conn.check_writable()

    def close(self) -> None:
        self.conn.close()
