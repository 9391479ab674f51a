"""The PostgreSQL backend (``DATABASE_URL=postgresql://...``): psycopg 3 and psycopg_pool.

Several replicas share one database: dedupe and claims are primary keys
(``ON CONFLICT DO NOTHING``), queues are read ``FOR UPDATE SKIP LOCKED``, migrations
run once under an advisory lock, and times are ``timestamptz``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.store.db import Clock
from bot.store.postgres.backend import PgBackend, PgReports
from bot.store.postgres.cases import PgCaseStore, PgGapStore
from bot.store.postgres.database import Database
from bot.store.postgres.inbox import PgInbox
from bot.store.postgres.installations import PgInstallations, PgOAuthStates
from bot.store.postgres.queues import PgFollowUps, PgSummaryClaims
from bot.store.postgres.runs import PgRuns
from bot.store.postgres.workspace_settings import PgWorkspaceSettings

if TYPE_CHECKING:
    from bot.store import Parts


def open_postgres(url: str, *, keep_text: bool, clock: Clock) -> Parts:
    from bot.store import Parts

    db = Database(url, clock=clock)
    runs = PgRuns(db)
    return Parts(
        cases=PgCaseStore(db, keep_text=keep_text),
        gaps=PgGapStore(db, keep_text=keep_text),
        inbox=PgInbox(db, runs),
        claims=PgSummaryClaims(db),
        follow_ups=PgFollowUps(db),
        runs=runs,
        reports=PgReports(db),
        backend=PgBackend(db, runs),
        installations=PgInstallations(db),
        oauth_states=PgOAuthStates(db),
        workspace_settings=PgWorkspaceSettings(db),
    )
