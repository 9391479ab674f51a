"""Slack installations and OAuth states in the SQLite file (multi-workspace mode).

The rows carry tokens only as ciphertext: encryption happens before ``save`` and after
``latest`` (bot.slack.oauth), so nothing here can read a token. One row per
(enterprise, team, installing user); ``latest`` picks the newest for a workspace.
"""

from __future__ import annotations

from typing import Any

from bot.store.db import Connection
from bot.store.protocols import StoredInstallation

COLUMNS = ("enterprise_id", "team_id", "user_id", "is_enterprise_install", "installed_at",
           "details", "bot_secrets", "user_secrets")  # fmt: skip


def keys(enterprise_id: str | None, team_id: str | None) -> tuple[str, str]:
    """The key columns: '' stands for "none" (primary keys cannot hold NULL everywhere)."""
    return enterprise_id or "", team_id or ""


def as_row(found: dict[str, Any]) -> StoredInstallation:
    values = {name: found[name] for name in COLUMNS}
    values["is_enterprise_install"] = bool(values["is_enterprise_install"])
    return StoredInstallation(**values)


class SqliteInstallations:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def save(self, row: StoredInstallation) -> None:
        """Insert, or replace the same installer's row for that workspace."""
        enterprise_key, team_key = keys(row.enterprise_id, row.team_id)
        values = {**row._asdict(), "is_enterprise_install": int(row.is_enterprise_install)}
        with self.conn.write() as db:
            db.table("slack_installations").upsert(
                {"enterprise_key": enterprise_key, "team_key": team_key, **values},
                pk=("enterprise_key", "team_key", "user_id"),
            )

    def latest(
        self, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> StoredInstallation | None:
        where, params = _workspace(enterprise_id, team_id, user_id)
        with self.conn.read() as db:
            rows = list(
                db.table("slack_installations").rows_where(
                    where, params, order_by="installed_at desc", limit=1
                )
            )
        return as_row(rows[0]) if rows else None

    def forget_bot(self, enterprise_id: str | None, team_id: str | None) -> int:
        """Drop the bot's tokens (tokens_revoked); the rows stay, without them."""
        where, params = _workspace(enterprise_id, team_id)
        with self.conn.write() as db:
            return db.execute(
                f"update slack_installations set bot_secrets = null where {where}", params
            ).rowcount

    def forget(
        self, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> int:
        """Delete the workspace's installations (one installer's, when ``user_id``)."""
        where, params = _workspace(enterprise_id, team_id, user_id)
        with self.conn.write() as db:
            return db.execute(f"delete from slack_installations where {where}", params).rowcount

    def all(self) -> list[StoredInstallation]:
        with self.conn.read() as db:
            found = db.table("slack_installations").rows_where(order_by="installed_at")
            return [as_row(row) for row in found]

    def reseal(
        self, row: StoredInstallation, bot_secrets: str | None, user_secrets: str | None
    ) -> bool:
        """Replace the ciphertexts of ``row`` (a key rotation), unless they changed since
        it was read (a token refreshed meanwhile is kept, not overwritten)."""
        where, params = _workspace(row.enterprise_id, row.team_id, row.user_id)
        sql = (
            "update slack_installations set bot_secrets = ?, user_secrets = ? where "
            f"{where} and bot_secrets is ? and user_secrets is ?"
        )
        values = [bot_secrets, user_secrets, *params, row.bot_secrets, row.user_secrets]
        with self.conn.write() as db:
            return bool(db.execute(sql, values).rowcount)


def _workspace(
    enterprise_id: str | None, team_id: str | None, user_id: str | None = None
) -> tuple[str, list[str]]:
    enterprise_key, team_key = keys(enterprise_id, team_id)
    where, params = "enterprise_key = ? and team_key = ?", [enterprise_key, team_key]
    if user_id is not None:
        where, params = where + " and user_id = ?", [*params, user_id]
    return where, params


class SqliteOAuthStates:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def issue(self, state: str, expires_at: str) -> None:
        with self.conn.write() as db:
            db.execute("delete from oauth_states where expires_at < ?", [self.conn.now()])
            db.execute("insert into oauth_states (state, expires_at) values (?, ?)",
                       [state, expires_at])  # fmt: skip

    def consume(self, state: str, now: str) -> bool:
        """True once for a state issued and not yet expired; it is gone afterwards."""
        with self.conn.write() as db:
            found = db.execute(
                "delete from oauth_states where state = ? returning expires_at", [state]
            ).fetchall()
        return bool(found) and str(found[0][0]) > now
