"""Slack installations and OAuth states on PostgreSQL (multi-workspace mode).

The same rows as the SQLite store (bot/store/installations.py): tokens only as
ciphertext, one row per (enterprise, team, installing user).
"""

from __future__ import annotations

from typing import Any

from bot.store.installations import COLUMNS, keys
from bot.store.postgres.database import Conn, Database, at, stamp
from bot.store.protocols import StoredInstallation

UPSERT = (
    "insert into slack_installations (enterprise_key, team_key, user_id, enterprise_id,"
    " team_id, is_enterprise_install, installed_at, details, bot_secrets, user_secrets)"
    " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " on conflict (enterprise_key, team_key, user_id) do update set"
    " enterprise_id = excluded.enterprise_id, team_id = excluded.team_id,"
    " is_enterprise_install = excluded.is_enterprise_install,"
    " installed_at = excluded.installed_at, details = excluded.details,"
    " bot_secrets = excluded.bot_secrets, user_secrets = excluded.user_secrets"
)
SELECT = f"select {', '.join(COLUMNS)} from slack_installations"


def as_row(found: dict[str, Any]) -> StoredInstallation:
    values = {name: found[name] for name in COLUMNS}
    values["installed_at"] = stamp(values["installed_at"])
    return StoredInstallation(**values)


def _workspace(
    enterprise_id: str | None, team_id: str | None, user_id: str | None = None
) -> tuple[str, list[str]]:
    where, params = "enterprise_key = %s and team_key = %s", list(keys(enterprise_id, team_id))
    if user_id is not None:
        where, params = where + " and user_id = %s", [*params, user_id]
    return where, params


class PgInstallations:
    def __init__(self, db: Database) -> None:
        self.db = db

    def save(self, row: StoredInstallation) -> None:
        values = [*keys(row.enterprise_id, row.team_id), row.user_id, row.enterprise_id,
                  row.team_id, row.is_enterprise_install, at(row.installed_at), row.details,
                  row.bot_secrets, row.user_secrets]  # fmt: skip
        self.db.transact(lambda conn: conn.execute(UPSERT, values))

    def latest(
        self, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> StoredInstallation | None:
        where, params = _workspace(enterprise_id, team_id, user_id)
        sql = f"{SELECT} where {where} order by installed_at desc limit 1"
        found = self.db.transact(lambda conn: conn.execute(sql, params).fetchone())
        return as_row(found) if found else None

    def forget_bot(self, enterprise_id: str | None, team_id: str | None) -> int:
        where, params = _workspace(enterprise_id, team_id)
        sql = f"update slack_installations set bot_secrets = null where {where}"
        return self.db.transact(lambda conn: conn.execute(sql, params).rowcount)

    def forget(
        self, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> int:
        where, params = _workspace(enterprise_id, team_id, user_id)
        sql = f"delete from slack_installations where {where}"
        return self.db.transact(lambda conn: conn.execute(sql, params).rowcount)

    def all(self) -> list[StoredInstallation]:
        found = self.db.transact(
            lambda conn: conn.execute(f"{SELECT} order by installed_at").fetchall()
        )
        return [as_row(row) for row in found]

    def reseal(
        self, row: StoredInstallation, bot_secrets: str | None, user_secrets: str | None
    ) -> bool:
        """Replace the ciphertexts of ``row`` unless they changed since it was read."""
        where, params = _workspace(row.enterprise_id, row.team_id, row.user_id)
        sql = (
            "update slack_installations set bot_secrets = %s, user_secrets = %s where "
            f"{where} and bot_secrets is not distinct from %s"
            " and user_secrets is not distinct from %s"
        )
        values = [bot_secrets, user_secrets, *params, row.bot_secrets, row.user_secrets]
        return self.db.transact(lambda conn: bool(conn.execute(sql, values).rowcount))


class PgOAuthStates:
    def __init__(self, db: Database) -> None:
        self.db = db

    def issue(self, state: str, expires_at: str) -> None:
        def issue(conn: Conn) -> None:
            conn.execute("delete from oauth_states where expires_at < %s", [self.db.moment()])
            conn.execute(
                "insert into oauth_states (state, expires_at) values (%s, %s)",
                [state, at(expires_at)],
            )

        self.db.transact(issue)

    def consume(self, state: str, now: str) -> bool:
        """True once for a state issued and not yet expired; it is gone afterwards."""
        sql = "delete from oauth_states where state = %s returning expires_at"
        found = self.db.transact(lambda conn: conn.execute(sql, [state]).fetchone())
        return found is not None and found["expires_at"] > at(now)
