"""Knowledge gaps: questions asked directly that the bot could not answer well."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.store.db import Connection
from bot.store.models import stored_question


class GapStore:
    def __init__(self, conn: Connection, *, keep_text: bool = True) -> None:
        self.conn = conn
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
        channel: str | None = None,
        user: str | None = None,
    ) -> int:
        row = {
            "created_at": self.conn.now(), "source": source, "reason": reason,
            "question": stored_question(question, self.keep_text), "score": score,
            "version": version, "team": team, "channel": channel, "user": user,
        }  # fmt: skip
        with self.conn.write() as db:
            gap_id = db.table("gaps").insert(row).last_pk
        assert gap_id is not None
        return int(gap_id)

    def iter(self) -> Iterator[dict[str, Any]]:
        """Every gap, oldest first, read in one snapshot."""
        with self.conn.read() as db:
            rows = list(db.table("gaps").rows_where(order_by="id"))
        yield from rows
