"""The case log's stores, on SQLite (the default, one file) or PostgreSQL (``DATABASE_URL``).

``Store`` is the one object callers hold: ``store.cases.open(...)``,
``store.inbox.first_delivery(...)``, ``store.claims.claim(...)``,
``store.reports.week_rows(...)``. Each attribute satisfies one ``Protocol`` of
``bot.store.protocols``; all SQL lives behind them, in this package.

``open_store`` is the factory: ``DATABASE_URL=postgresql://...`` wins over
``EMAILSTATUS_DB`` (a file path). ``Store(location)`` takes either directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.store.db import Clock, Connection, iso, utc_now
from bot.store.models import (
    FINAL_ACTIONS,
    SOURCES,
    STATUSES,
    Action,
    Case,
    GapReason,
    Status,
    StoreClosed,
    database_fault,
)
from bot.store.protocols import (
    Backend,
    CaseLog,
    Description,
    EventInbox,
    FollowUpQueue,
    GapLog,
    InstallationRecords,
    OAuthStates,
    Reports,
    Runs,
    WeekClaims,
    WorkspaceSettingsStore,
)
from bot.store.urls import is_database_url, redact_url

__all__ = ["FINAL_ACTIONS", "SOURCES", "STATUSES", "Action", "Case", "Description", "GapReason",
           "PurgeResult", "Status", "Store", "StoreClosed", "database_fault", "is_database_url",
           "iso", "open_store", "redact_url", "utc_now"]  # fmt: skip


@dataclass(frozen=True)
class PurgeResult:
    cases: int
    gaps: int
    cutoff: str


@dataclass(frozen=True)
class Parts:
    """One backend's stores, as ``Store`` hands them out."""

    cases: CaseLog
    gaps: GapLog
    inbox: EventInbox
    claims: WeekClaims
    follow_ups: FollowUpQueue
    runs: Runs
    reports: Reports
    backend: Backend
    installations: InstallationRecords  # multi-workspace mode (bot.slack.oauth)
    oauth_states: OAuthStates
    workspace_settings: WorkspaceSettingsStore


class Store:
    def __init__(
        self,
        path: str | Path = ":memory:",
        *,
        store_question_text: bool = True,
        clock: Clock = utc_now,
    ) -> None:
        self.location = str(path)
        self.clock = clock
        self._sqlite: Connection | None = None
        if is_database_url(self.location):
            from bot.store.postgres import open_postgres  # psycopg loads only when used

            parts = open_postgres(self.location, keep_text=store_question_text, clock=clock)
        else:
            self._sqlite = Connection(self.location, clock=clock)
            parts = _sqlite_parts(self._sqlite, keep_text=store_question_text)
        self.cases, self.gaps, self.inbox = parts.cases, parts.gaps, parts.inbox
        self.claims, self.follow_ups, self.runs = parts.claims, parts.follow_ups, parts.runs
        self.reports, self.backend = parts.reports, parts.backend
        self.installations, self.oauth_states = parts.installations, parts.oauth_states
        self.workspace_settings = parts.workspace_settings

    @property
    def kind(self) -> str:
        """ "sqlite" or "postgresql"."""
        return self.backend.kind

    @property
    def path(self) -> str:
        """The SQLite file (or ":memory:"); for PostgreSQL, the URL without its password."""
        return self.location if self._sqlite else redact_url(self.location)

    @property
    def conn(self) -> Connection:
        """The SQLite connection (SQLite only: code outside bot/store should not need it)."""
        if self._sqlite is None:
            raise RuntimeError(f"store.conn is SQLite-only; this store is {self.kind}")
        return self._sqlite

    @property
    def db(self) -> Any:
        """The sqlite-utils database, for tests that look at rows (SQLite only)."""
        return self.conn.db

    def purge(self, older_than: timedelta, *, dry_run: bool = False) -> PurgeResult:
        """Delete cases (with their clicks) and knowledge gaps created before now - older_than."""
        return self.purge_before(iso(self.clock() - older_than), dry_run=dry_run)

    def purge_before(self, cutoff: str, *, dry_run: bool = False) -> PurgeResult:
        """Delete what was created before ``cutoff``; with ``dry_run``, only count it."""
        cases, gaps = self.backend.purge_before(cutoff, dry_run=dry_run)
        if not dry_run:
            self.inbox.forget_old()
        return PurgeResult(cases=cases, gaps=gaps, cutoff=cutoff)

    def purge_workspace(self, team: str) -> tuple[int, int]:
        """Forget a workspace that left (when the setting says so): its cases with their
        clicks and follow-ups, its gaps and its settings; returns (cases, gaps)."""
        if not team:
            raise ValueError("purge_workspace needs a team id")
        return self.backend.purge_workspace(team)

    def backup(self, target: str | Path) -> Path:
        return self.backend.backup(target)

    def check_writable(self) -> None:
        self.backend.check_writable()

    def write_problem(self) -> str | None:
        """For ``/healthz``: None when a write would succeed now, else a short reason."""
        return self.backend.write_problem()

    def integrity_problem(self) -> str | None:
        """For ``/healthz``: None when the database passes its own quick check."""
        return self.backend.integrity_problem()

    def describe(self) -> Description:
        """For ``config check``: kind, location (no password), version, migration level."""
        return self.backend.describe()

    def table_counts(self) -> dict[str, int]:
        return self.backend.table_counts()

    def close(self) -> None:
        self.backend.close()


def open_store(
    db_path: str | Path,
    *,
    database_url: str | None = None,
    store_question_text: bool = True,
    clock: Clock = utc_now,
) -> Store:
    """The store the settings name: ``DATABASE_URL`` (PostgreSQL) wins over the file path.

    ``database_url`` comes from ``Settings.database_url`` (``DATABASE_URL``); empty: SQLite.
    """
    url = (database_url or "").strip()
    if url and not is_database_url(url):
        raise ValueError("DATABASE_URL must start with postgresql:// (unset: SQLite)")
    return Store(url or db_path, store_question_text=store_question_text, clock=clock)


def _sqlite_parts(conn: Connection, *, keep_text: bool) -> Parts:
    from bot.store.cases import CaseStore
    from bot.store.claims import SummaryClaims
    from bot.store.follow_ups import FollowUps
    from bot.store.gaps import GapStore
    from bot.store.inbox import Inbox
    from bot.store.installations import SqliteInstallations, SqliteOAuthStates
    from bot.store.sqlite import SqliteBackend, SqliteReports, SqliteRuns
    from bot.store.workspace_settings import SqliteWorkspaceSettings

    runs = SqliteRuns(conn)
    return Parts(
        cases=CaseStore(conn, keep_text=keep_text),
        gaps=GapStore(conn, keep_text=keep_text),
        inbox=Inbox(conn, runs),
        claims=SummaryClaims(conn),
        follow_ups=FollowUps(conn),
        runs=runs,
        reports=SqliteReports(conn),
        backend=SqliteBackend(conn, runs),
        installations=SqliteInstallations(conn),
        oauth_states=SqliteOAuthStates(conn),
        workspace_settings=SqliteWorkspaceSettings(conn),
    )
