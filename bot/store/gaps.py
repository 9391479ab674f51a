"""Knowledge gaps: questions asked directly that the bot could not answer well."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.store.db import Connection
from bot.store.models import RowSink, stored_question


class GapWriter:
    """Recording a gap, the same on every backend: one insert."""

    def __init__(self, rows: RowSink, *, keep_text: bool = True) -> None:
        self.rows = rows
        self.keep_text = keep_text  # STORE_QUESTION_TEXT

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
    ) -> int:
        row: dict[str, Any] = {
            "created_at": self.rows.now(), "source": source, "reason": reason,
            "question": stored_question(question, self.keep_text), "score": score,
            "version": version, "team": team, "channel": channel, "user": user,
        }  # fmt: skip
        row["enterprise"] = enterprise  # the Enterprise Grid org, if any
        return self.rows.insert_row("gaps", row)


class GapStore(GapWriter):
    def __init__(self, conn: Connection, *, keep_text: bool = True) -> None:
        super().__init__(conn, keep_text=keep_text)
        self.conn = conn

    def iter(self) -> Iterator[dict[str, Any]]:
        """Every gap, oldest first, read in one snapshot."""
        with self.conn.read() as db:
            rows = list(db.table("gaps").rows_where(order_by="id"))
        yield from rows
