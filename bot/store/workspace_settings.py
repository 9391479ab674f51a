"""Per-workspace settings on SQLite: one row per installation (team, enterprise)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.store.db import Connection
from bot.store.models import WORKSPACE_SETTINGS, WorkspaceOverrides


def overrides_row(
    team: str | None, enterprise: str | None, values: Mapping[str, str | None], by: str, at: Any
) -> dict[str, Any]:
    """The row a save writes: every setting (a missing one goes back to the default)."""
    unknown = set(values) - set(WORKSPACE_SETTINGS)
    if unknown:
        raise ValueError(f"unknown workspace settings {sorted(unknown)}")
    chosen = {name: (values.get(name) or None) for name in WORKSPACE_SETTINGS}
    return {"enterprise": enterprise or "", "team": team or "", **chosen,
            "updated_by": by, "updated_at": at}  # fmt: skip


def overrides(row: Mapping[str, Any]) -> WorkspaceOverrides:
    def text(name: str) -> str | None:
        value = row.get(name)
        return None if value is None else str(value)

    return WorkspaceOverrides(
        str(row.get("team") or ""), str(row.get("enterprise") or ""),
        *(text(name) for name in (*WORKSPACE_SETTINGS, "updated_by", "updated_at")),
    )  # fmt: skip


class SqliteWorkspaceSettings:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, team: str | None, enterprise: str | None = None) -> WorkspaceOverrides | None:
        """The row saved for exactly this installation, if any."""
        where = "enterprise = ? and team = ?"
        with self.conn.read() as db:
            rows = list(
                db.table("workspace_settings").rows_where(where, [enterprise or "", team or ""])
            )
        return overrides(rows[0]) if rows else None

    def save(
        self,
        team: str | None,
        enterprise: str | None,
        values: Mapping[str, str | None],
        by: str,
    ) -> WorkspaceOverrides:
        row = overrides_row(team, enterprise, values, by, self.conn.now())
        with self.conn.write() as db:
            db.table("workspace_settings").upsert(row, pk=("enterprise", "team"))
        return overrides(row)

    def forget(self, team: str | None, enterprise: str | None = None) -> bool:
        """Drop an installation's settings (it was uninstalled and its data purged)."""
        sql = "delete from workspace_settings where enterprise = ? and team = ?"
        with self.conn.write() as db:
            return bool(db.execute(sql, [enterprise or "", team or ""]).rowcount)

    def all(self) -> list[WorkspaceOverrides]:
        with self.conn.read() as db:
            rows = list(db.table("workspace_settings").rows_where(order_by="enterprise, team"))
        return [overrides(row) for row in rows]
