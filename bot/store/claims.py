"""Weekly-summary claims: one row per week, so a week is posted exactly once.

Workers and cron race for the same week; the primary key lets exactly one win.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.store.db import Connection, iso

# A claim never marked posted (its process died mid-post) may be retaken after this.
CLAIM_TIMEOUT = timedelta(minutes=15)


class SummaryClaims:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def claim(self, week: str, by: str, *, stale_after: timedelta = CLAIM_TIMEOUT) -> bool:
        """Claim a week's post; True for exactly one caller, in any process.

        A claim that was never marked posted (the claimer crashed mid-post) may be taken
        over once it is older than ``stale_after``.
        """
        now = self.conn.clock()
        with self.conn.write() as db:
            inserted = db.execute(
                "insert or ignore into summary_claims (week, claimed_at, claimed_by)"
                " values (?, ?, ?)",
                [week, iso(now), by],
            ).rowcount
            if inserted:
                return True
            taken = db.execute(
                "update summary_claims set claimed_at = ?, claimed_by = ?"
                " where week = ? and posted_at is null and claimed_at < ?",
                [iso(now), by, week, iso(now - stale_after)],
            ).rowcount
        return bool(taken)

    def mark_posted(self, week: str, channel: str, message_ts: str | None) -> None:
        posted = {"posted_at": self.conn.now(), "channel": channel, "message_ts": message_ts}
        with self.conn.write() as db:
            db.table("summary_claims").update(week, posted)

    def release(self, week: str) -> None:
        """Give a claim back after a failed post, so the next tick (or worker) retries."""
        with self.conn.write() as db:
            db.execute("delete from summary_claims where week = ? and posted_at is null", [week])

    def get(self, week: str) -> dict[str, Any] | None:
        with self.conn.read() as db:
            rows = list(db.table("summary_claims").rows_where("week = ?", [week]))
        return rows[0] if rows else None
