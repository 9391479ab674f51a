"""What every store backend provides: one ``Protocol`` per store.

``bot.store.Store`` holds one object of each kind, from SQLite (the default, a file)
or PostgreSQL (``DATABASE_URL``). Callers name only these methods, so the SQL and the
dialect stay inside ``bot/store``. The contract suite (tests/store) runs every method
on both backends.

Times cross this boundary as UTC ISO strings (``bot.store.iso``), as they always have.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from bot.store.models import Case, FollowUpPending, InboxPending, WorkspaceOverrides


class CaseLog(Protocol):
    """Every question the bot answered or suggested, and the clicks that followed."""

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
    ) -> Case: ...
    def get(self, case_id: int) -> Case | None: ...
    def for_thread(self, channel: str, thread_ts: str) -> Case | None: ...
    def set_reply_ts(self, case_id: int, reply_ts: str) -> None: ...
    def drop_unanswered(self, channel: str, thread_ts: str, user: str, since: str) -> int: ...
    def choose_version(self, case_id: int, version: str) -> None: ...
    def has_click(self, case_id: int, action: str) -> bool: ...
    def record_click(self, case_id: int, user: str, action: str) -> bool: ...
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
    ) -> Iterator[Case]: ...
    def list(self, **filters: Any) -> builtins.list[Case]: ...
    def recent(self, user: str, limit: int = 5, team: str | None = None) -> builtins.list[Case]: ...
    def count(self) -> int: ...


class GapLog(Protocol):
    """Questions asked directly that the bot could not answer well."""

    def record(
        self,
        *,
        source: str,
        reason: str,
        question: str = "",
        score: float | None = None,
        version: str | None = None,
        team: str | None = None,
        enterprise: str | None = None,
        channel: str | None = None,
        user: str | None = None,
    ) -> int: ...
    def iter(self) -> Iterator[dict[str, Any]]: ...


class EventInbox(Protocol):
    """Which Slack deliveries were taken, and which are still owed a reply."""

    def first_delivery(self, event_id: str, payload: str | None = None) -> bool: ...
    def claim_message(self, channel: str, ts: str, event_id: str | None = None) -> bool: ...
    def message_claimed_by(self, channel: str, ts: str) -> str | None: ...
    def posting(self, event_id: str) -> None: ...
    def done(self, event_id: str) -> None: ...
    def give_up(self, event_id: str) -> None: ...
    def undone(self) -> int: ...
    def claim_replay(self, max_age: timedelta) -> list[InboxPending]: ...
    def claim_stalled(
        self, stalled_for: timedelta, max_age: timedelta, only: Sequence[str] | None = None
    ) -> list[InboxPending]: ...
    def expire(self, max_age: timedelta) -> int: ...
    def checkpoint_blanked(self) -> bool: ...
    def forget_old(self) -> int: ...


class WeekClaims(Protocol):
    """Weekly-summary claims: a week is posted exactly once."""

    def claim(self, week: str, by: str, *, stale_after: timedelta = ...) -> bool: ...
    def mark_posted(self, week: str, channel: str, message_ts: str | None) -> None: ...
    def release(self, week: str) -> None: ...
    def get(self, week: str) -> dict[str, Any] | None: ...


class FollowUpQueue(Protocol):
    """One "did it fix it?" per answered case, asked exactly once."""

    def schedule(self, case_id: int) -> bool: ...
    def due(
        self, answered_before: str, *, stale_after: timedelta = ..., limit: int = 50
    ) -> list[FollowUpPending]: ...
    def claim(self, case_id: int, by: str, *, stale_after: timedelta = ...) -> bool: ...
    def mark_sent(self, case_id: int, message_ts: str | None) -> None: ...
    def skip(self, case_id: int, reason: str) -> None: ...
    def release(self, case_id: int) -> None: ...
    def get(self, case_id: int) -> dict[str, Any] | None: ...


class WorkspaceSettingsStore(Protocol):
    """What each installation's admin set (summary channel, schedule…); env values are
    the defaults. Keyed by (team, enterprise); '' stands for "none"."""

    def get(self, team: str | None, enterprise: str | None = None) -> WorkspaceOverrides | None: ...
    def save(
        self, team: str | None, enterprise: str | None, values: Mapping[str, str | None], by: str
    ) -> WorkspaceOverrides: ...
    def forget(self, team: str | None, enterprise: str | None = None) -> bool: ...
    def all(self) -> builtins.list[WorkspaceOverrides]: ...


class Runs(Protocol):
    """The processes that take inbox rows, and whether each is still alive."""

    def this_run(self) -> str: ...
    def is_alive(self, run: str | None) -> bool: ...


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


class FollowUpRow(NamedTuple):
    """A follow-up that was sent, with its case's status now."""

    case_id: int
    sent_at: str
    status: str
    status_at: str | None

    @property
    def answered_after(self) -> bool:
        """Did the case get an outcome after the follow-up asked (what it turned into)?"""
        return self.status != "answered" and (self.status_at or "") >= self.sent_at


class ClickedCase(NamedTuple):
    id: int
    article_id: str | None
    question: str | None
    team: str | None = None  # the workspace it was asked in


class SettledCase(NamedTuple):
    """A case whose status is final, for ``learn``."""

    id: int
    article_id: str | None
    question: str | None
    status: str
    team: str | None = None  # the workspace it was asked in


class Reports(Protocol):
    """The weekly summary's and ``learn``'s reads; bounds are [start, end) ISO strings.

    ``team``: None reads every workspace; a team id reads that workspace's rows and the
    rows with no team (console cases, cases logged before workspaces were recorded).
    """

    def week_rows(
        self, start: str, end: str, team: str | None = None
    ) -> builtins.list[WeekRow]: ...
    def articles_between(
        self, start: str, end: str, team: str | None = None
    ) -> builtins.list[tuple[str | None, int]]: ...
    def gaps_between(
        self, start: str, end: str, team: str | None = None
    ) -> builtins.list[GapRow]: ...
    def follow_ups_between(
        self, start: str, end: str, team: str | None = None
    ) -> builtins.list[FollowUpRow]: ...
    def cases_clicked(self, action: str, team: str | None = None) -> builtins.list[ClickedCase]: ...
    def settled_cases(
        self, statuses: Sequence[str], since: str | None = None, team: str | None = None
    ) -> builtins.list[SettledCase]: ...
    def texts_stored(self) -> bool: ...


class Description(NamedTuple):
    """What ``config check`` reports about the database: never a password."""

    kind: str  # "sqlite" | "postgresql"
    location: str  # a file path, or the URL without its password
    server_version: str
    migration_level: str  # the last applied migration's name
    pending_migrations: int


class Backend(Protocol):
    """What a whole database does beyond its stores: purge, backup, health, describe."""

    kind: str

    def purge_before(self, cutoff: str, *, dry_run: bool = False) -> tuple[int, int]: ...
    def purge_workspace(self, team: str) -> tuple[int, int]: ...
    def backup(self, target: str | Path) -> Path: ...
    def check_writable(self) -> None: ...
    def write_problem(self) -> str | None: ...

    def integrity_problem(self) -> str | None: ...
    def describe(self) -> Description: ...
    def table_counts(self) -> dict[str, int]: ...
    def export_rows(self, table: str) -> builtins.list[dict[str, Any]]: ...
    def import_rows(self, tables: dict[str, builtins.list[dict[str, Any]]]) -> None: ...
    def close(self) -> None: ...


class StoredInstallation(NamedTuple):
    """One Slack installation as the database keeps it (multi-workspace mode).

    ``team_id`` is None for an org-wide install (Enterprise Grid), keyed by
    ``enterprise_id``. ``details`` is JSON with what is not secret (ids, names, scopes,
    expiry times); ``bot_secrets`` and ``user_secrets`` are ciphertext (bot.tokens) that
    the store never reads. ``bot_secrets`` None: the bot's tokens were revoked.
    """

    enterprise_id: str | None
    team_id: str | None
    user_id: str  # the installer
    is_enterprise_install: bool
    installed_at: str
    details: str
    bot_secrets: str | None
    user_secrets: str | None


class InstallationRecords(Protocol):
    """Slack installations, one row per (enterprise, team, installing user)."""

    def save(self, row: StoredInstallation) -> None: ...
    def latest(
        self, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> StoredInstallation | None: ...
    def forget_bot(self, enterprise_id: str | None, team_id: str | None) -> int: ...
    def forget(
        self, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> int: ...
    def all(self) -> builtins.list[StoredInstallation]: ...
    def reseal(
        self, row: StoredInstallation, bot_secrets: str | None, user_secrets: str | None
    ) -> bool: ...


class OAuthStates(Protocol):
    """OAuth ``state`` values handed to installers: each is consumed at most once."""

    def issue(self, state: str, expires_at: str) -> None: ...
    def consume(self, state: str, now: str) -> bool: ...
