"""Weekly-summary claims and follow-ups on PostgreSQL: each is posted exactly once.

A claim is ``INSERT ... ON CONFLICT DO NOTHING`` (summaries) or a conditional update
(follow-ups); due follow-ups are read ``FOR UPDATE SKIP LOCKED``, so replicas polling
together never wait on each other's rows.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.store.claims import CLAIM_TIMEOUT
from bot.store.follow_ups import NEUTRAL_CLICKS
from bot.store.models import Action, FollowUpPending
from bot.store.postgres.database import Conn, Database, at, stamp, strings

DUE = (
    "select f.case_id, f.answered_at, c.source, c.level, c.status, c.channel, c.thread_ts,"
    ' c.reply_ts, c."user", c.article_id,'
    " coalesce(c.chosen_version, c.detected_version) as version,"
    " (select count(*) from case_clicks k where k.case_id = f.case_id"
    "   and k.action <> all(%s)) as clicks,"
    " exists(select 1 from case_clicks k where k.case_id = f.case_id and k.action = %s)"
    "   as accepted, c.team, c.enterprise"
    " from follow_ups f join cases c on c.id = f.case_id"
    " where f.sent_at is null and f.skipped is null and f.answered_at <= %s"
    " and (f.claimed_at is null or f.claimed_at < %s)"
    " order by f.answered_at limit %s for update of f skip locked"
)


class PgSummaryClaims:
    def __init__(self, db: Database) -> None:
        self.db = db

    def claim(self, week: str, by: str, *, stale_after: timedelta = CLAIM_TIMEOUT) -> bool:
        """Claim a week's post; True for exactly one caller, in any replica."""
        now = self.db.moment()

        def claim(conn: Conn) -> bool:
            inserted = conn.execute(
                "insert into summary_claims (week, claimed_at, claimed_by) values (%s, %s, %s)"
                " on conflict do nothing",
                [week, now, by],
            ).rowcount
            if inserted:
                return True
            return bool(
                conn.execute(
                    "update summary_claims set claimed_at = %s, claimed_by = %s"
                    " where week = %s and posted_at is null and claimed_at < %s",
                    [now, by, week, now - stale_after],
                ).rowcount
            )

        return self.db.transact(claim)

    def mark_posted(self, week: str, channel: str, message_ts: str | None) -> None:
        sql = (
            "update summary_claims set posted_at = %s, channel = %s, message_ts = %s"
            " where week = %s"
        )
        params = [self.db.moment(), channel, message_ts, week]
        self.db.transact(lambda c: c.execute(sql, params))

    def release(self, week: str) -> None:
        sql = "delete from summary_claims where week = %s and posted_at is null"
        self.db.transact(lambda c: c.execute(sql, [week]))

    def get(self, week: str) -> dict[str, Any] | None:
        sql = (
            "select week, claimed_at, claimed_by, posted_at, channel, message_ts"
            " from summary_claims where week = %s"
        )
        row = self.db.transact(lambda c: c.execute(sql, [week]).fetchone())
        return strings(row) if row else None


class PgFollowUps:
    def __init__(self, db: Database) -> None:
        self.db = db

    def schedule(self, case_id: int) -> bool:
        """Remember an answered case; False if it already had a follow-up row."""
        sql = "insert into follow_ups (case_id, answered_at) values (%s, %s) on conflict do nothing"
        return bool(self._execute(sql, [case_id, self.db.moment()]))

    def due(
        self, answered_before: str, *, stale_after: timedelta = CLAIM_TIMEOUT, limit: int = 50
    ) -> list[FollowUpPending]:
        """Unsent, unskipped follow-ups answered before the given time, oldest first."""
        stale = self.db.moment() - stale_after
        params = [list(NEUTRAL_CLICKS), str(Action.SUGGESTION_ACCEPTED), at(answered_before),
                  stale, limit]  # fmt: skip
        rows = self.db.transact(lambda c: c.execute(DUE, params).fetchall())
        return [_pending(row) for row in rows]

    def claim(self, case_id: int, by: str, *, stale_after: timedelta = CLAIM_TIMEOUT) -> bool:
        """True for exactly one caller, in any replica, until the claim goes stale."""
        now = self.db.moment()
        sql = (
            "update follow_ups set claimed_at = %s, claimed_by = %s where case_id = %s"
            " and sent_at is null and skipped is null"
            " and (claimed_at is null or claimed_at < %s)"
        )
        return bool(self._execute(sql, [now, by, case_id, now - stale_after]))

    def mark_sent(self, case_id: int, message_ts: str | None) -> None:
        sql = "update follow_ups set sent_at = %s, message_ts = %s where case_id = %s"
        self._execute(sql, [self.db.moment(), message_ts, case_id])

    def skip(self, case_id: int, reason: str) -> None:
        self._execute("update follow_ups set skipped = %s where case_id = %s", [reason, case_id])

    def release(self, case_id: int) -> None:
        sql = "update follow_ups set claimed_at = null, claimed_by = null where case_id = %s"
        self._execute(sql, [case_id])

    def get(self, case_id: int) -> dict[str, Any] | None:
        sql = (
            "select case_id, answered_at, claimed_at, claimed_by, sent_at, message_ts, skipped"
            " from follow_ups where case_id = %s"
        )
        row = self.db.transact(lambda c: c.execute(sql, [case_id]).fetchone())
        return strings(row) if row else None

    def _execute(self, sql: str, params: list[Any]) -> int:
        return self.db.transact(lambda c: c.execute(sql, params).rowcount)


def _pending(row: dict[str, Any]) -> FollowUpPending:
    values = {**row, "answered_at": stamp(row["answered_at"]) or ""}
    return FollowUpPending(**{**values, "clicks": int(row["clicks"]), "accepted": row["accepted"]})
