"""Per-workspace settings on PostgreSQL (the same contract as ``bot.store.workspace_settings``)."""

from __future__ import annotations

from collections.abc import Mapping

from bot.store.models import WORKSPACE_SETTINGS, WorkspaceOverrides
from bot.store.postgres.database import Database, strings
from bot.store.workspace_settings import overrides, overrides_row

COLUMNS = ("enterprise", "team", *WORKSPACE_SETTINGS, "updated_by", "updated_at")
SELECT = f"select {', '.join(COLUMNS)} from workspace_settings"
UPSERT = (
    f"insert into workspace_settings ({', '.join(COLUMNS)})"
    f" values ({', '.join(['%s'] * len(COLUMNS))})"
    " on conflict (enterprise, team) do update set "
    + ", ".join(f"{name} = excluded.{name}" for name in COLUMNS[2:])
)


class PgWorkspaceSettings:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, team: str | None, enterprise: str | None = None) -> WorkspaceOverrides | None:
        sql = f"{SELECT} where enterprise = %s and team = %s"
        params = [enterprise or "", team or ""]
        row = self.db.transact(lambda c: c.execute(sql, params).fetchone())
        return overrides(strings(row)) if row else None

    def save(
        self,
        team: str | None,
        enterprise: str | None,
        values: Mapping[str, str | None],
        by: str,
    ) -> WorkspaceOverrides:
        row = overrides_row(team, enterprise, values, by, self.db.moment())
        self.db.transact(lambda c: c.execute(UPSERT, [row[name] for name in COLUMNS]))
        return overrides(strings(row))

    def forget(self, team: str | None, enterprise: str | None = None) -> bool:
        sql = "delete from workspace_settings where enterprise = %s and team = %s"
        params = [enterprise or "", team or ""]
        return bool(self.db.transact(lambda c: c.execute(sql, params).rowcount))

    def all(self) -> list[WorkspaceOverrides]:
        rows = self.db.transact(
            lambda c: c.execute(f"{SELECT} order by enterprise, team").fetchall()
        )
        return [overrides(strings(row)) for row in rows]
