"""Follow-ups: one "did it fix it?" per answered case, claimed so it is asked exactly once.

Rows are written when an answer is given; the follow-up scheduler reads the due ones,
claims each (a row update only one process wins), posts, then marks it sent. A claim
never marked sent (its process died mid-post) may be taken over once it is stale,
exactly like the weekly summary's claims.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.store.claims import CLAIM_TIMEOUT  # one claim lease for summaries and follow-ups
from bot.store.db import Connection, iso
from bot.store.models import Action
from bot.store.models import FollowUpPending as Pending

# A claim never marked sent may be retaken after this.
# Clicks that do not settle anything: accepting a suggestion is what makes it an answer.
NEUTRAL_CLICKS = (str(Action.SUGGESTION_ACCEPTED),)


DUE = (
    "select f.case_id, f.answered_at, c.source, c.level, c.status, c.channel, c.thread_ts,"
    " c.reply_ts, c.user, c.article_id, coalesce(c.chosen_version, c.detected_version),"
    " (select count(*) from case_clicks k where k.case_id = f.case_id"
    f"   and k.action not in ({', '.join('?' for _ in NEUTRAL_CLICKS)})),"
    " exists(select 1 from case_clicks k where k.case_id = f.case_id and k.action = ?),"
    " c.team, c.enterprise"
    " from follow_ups f join cases c on c.id = f.case_id"
    " where f.sent_at is null and f.skipped is null and f.answered_at <= ?"
    " and (f.claimed_at is null or f.claimed_at < ?)"
    " order by f.answered_at limit ?"
)


class FollowUps:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def schedule(self, case_id: int) -> bool:
        """Remember an answered case; False if it already had a follow-up row."""
        with self.conn.write() as db:
            return bool(
                db.execute(
                    "insert or ignore into follow_ups (case_id, answered_at) values (?, ?)",
                    [case_id, self.conn.now()],
                ).rowcount
            )

    def due(
        self, answered_before: str, *, stale_after: timedelta = CLAIM_TIMEOUT, limit: int = 50
    ) -> list[Pending]:
        """Unsent, unskipped follow-ups answered before the given time, oldest first."""
        stale = iso(self.conn.clock() - stale_after)
        params = [*NEUTRAL_CLICKS, str(Action.SUGGESTION_ACCEPTED), answered_before, stale, limit]
        with self.conn.read() as db:
            rows = db.execute(DUE, params).fetchall()
        return [_pending(row) for row in rows]

    def claim(self, case_id: int, by: str, *, stale_after: timedelta = CLAIM_TIMEOUT) -> bool:
        """True for exactly one caller, in any process, until the claim goes stale."""
        now = self.conn.clock()
        with self.conn.write() as db:
            return bool(
                db.execute(
                    "update follow_ups set claimed_at = ?, claimed_by = ? where case_id = ?"
                    " and sent_at is null and skipped is null"
                    " and (claimed_at is null or claimed_at < ?)",
                    [iso(now), by, case_id, iso(now - stale_after)],
                ).rowcount
            )

    def mark_sent(self, case_id: int, message_ts: str | None) -> None:
        self._update(case_id, {"sent_at": self.conn.now(), "message_ts": message_ts})

    def skip(self, case_id: int, reason: str) -> None:
        """Never ask for this case (clicked, rejected, escalated, too old…)."""
        self._update(case_id, {"skipped": reason})

    def release(self, case_id: int) -> None:
        """Give a claim back after a failed post, so a later tick retries."""
        self._update(case_id, {"claimed_at": None, "claimed_by": None})

    def get(self, case_id: int) -> dict[str, Any] | None:
        with self.conn.read() as db:
            rows = list(db.table("follow_ups").rows_where("case_id = ?", [case_id]))
        return rows[0] if rows else None

    def _update(self, case_id: int, values: dict[str, Any]) -> None:
        with self.conn.write() as db:
            db.table("follow_ups").update(case_id, values)


def _pending(row: Any) -> Pending:
    values = dict(zip(Pending.__dataclass_fields__, row, strict=True))  # DUE's column order
    return Pending(
        **{**values, "clicks": int(values["clicks"]), "accepted": bool(values["accepted"])}
    )
