"""The inbox on PostgreSQL: dedupe by primary key, owed events re-run by whoever is alive.

``first_delivery`` and ``claim_message`` are ``INSERT ... ON CONFLICT DO NOTHING``;
the row's random ``token`` tells a retried attempt whether its own insert is the one
that committed (see ``bot.store.postgres.database``). ``claim_replay`` locks the undone
rows with ``FOR UPDATE SKIP LOCKED``, so replicas re-running together split them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from bot.store.inbox import EVENT_MEMORY, FORGET_EVERY
from bot.store.models import InboxPending
from bot.store.postgres.database import Conn, Database, stamp
from bot.store.postgres.runs import PgRuns

# A row's owner is the run that last claimed it for a re-run, else the one that took it:
# a run killed during its own re-run leaves rows that must be taken again.
REPLAYABLE = (
    "select event_id, seen_at, payload, posting_at, coalesce(replayed_by, boot) as owner"
    " from slack_events where done_at is null and payload is not null"
    " and seen_at >= %s order by seq for update skip locked"
)


class PgInbox:
    def __init__(self, db: Database, runs: PgRuns) -> None:
        self.db = db
        self.runs = runs
        self._claims = 0

    def first_delivery(self, event_id: str, payload: str | None = None) -> bool:
        """True the first time an event id is seen, by any replica; False for retries."""
        if payload is not None:
            self.runs.start_heartbeat()  # this run now owes replies: others watch its lease
        now = self.db.moment()
        row = {"event_id": event_id, "seen_at": now, "boot": self.runs.this_run(),
               "payload": payload, "done_at": None if payload is not None else now}  # fmt: skip
        return self._claim("slack_events", row, ("event_id", event_id))

    def claim_message(self, channel: str, ts: str, event_id: str | None = None) -> bool:
        """True for the first event about a message (``message`` and ``app_mention`` both fire)."""
        row = {"channel": channel, "ts": ts, "event_id": event_id, "seen_at": self.db.moment()}
        return self._claim("message_claims", row, ("channel", channel), ("ts", ts))

    def message_claimed_by(self, channel: str, ts: str) -> str | None:
        sql = "select event_id from message_claims where channel = %s and ts = %s"
        row = self.db.transact(lambda c: c.execute(sql, [channel, ts]).fetchone())
        return None if row is None else str(row["event_id"] or "")

    def posting(self, event_id: str) -> None:
        """A reply is about to be sent: from here a re-run must first ask Slack."""
        sql = "update slack_events set posting_at = %s where event_id = %s and posting_at is null"
        self._execute(sql, [self.db.moment(), event_id])

    def done(self, event_id: str) -> None:
        """Answered: nothing is owed any more, so the payload (the question) goes."""
        sql = "update slack_events set done_at = %s, payload = null where event_id = %s"
        self._execute(sql, [self.db.moment(), event_id])

    def give_up(self, event_id: str) -> None:
        """Not re-run (the outcome is unknown): keep the row, drop the payload."""
        self._execute("update slack_events set payload = null where event_id = %s", [event_id])

    def undone(self) -> int:
        sql = "select count(*) as n from slack_events where done_at is null and payload is not null"
        row = self.db.transact(lambda c: c.execute(sql).fetchone())
        return int(row["n"]) if row else 0

    def claim_replay(self, max_age: timedelta) -> list[InboxPending]:
        """Undone events of runs that are gone, younger than ``max_age``, for us only."""
        cutoff, now, me = self.db.moment() - max_age, self.db.moment(), self.runs.this_run()

        def claim(conn: Conn) -> list[InboxPending]:
            rows = conn.execute(REPLAYABLE, [cutoff]).fetchall()
            runs = {row["owner"] for row in rows} - {me}
            gone = {run for run in runs if not self.runs.is_alive(run, conn)}
            claimed = [_pending(row) for row in rows if row["owner"] in gone]
            if claimed:  # alive from this commit on: a replica elsewhere never takes them back
                self.runs.beat(conn)
            return _stamp(conn, claimed, now, me)

        claimed = self.db.transact(claim)
        if claimed:
            self.runs.start_heartbeat()
        return claimed

    def claim_stalled(
        self, stalled_for: timedelta, max_age: timedelta, only: Sequence[str] | None = None
    ) -> list[InboxPending]:
        """This run's own undone events that no attempt has touched for ``stalled_for``
        (``only``: of these event ids)."""
        now, me = self.db.moment(), self.runs.this_run()
        select = (
            "select event_id, seen_at, payload, posting_at, boot from slack_events"
            " where done_at is null and payload is not null and seen_at >= %s"
            " and coalesce(replayed_by, boot) = %s and coalesce(replayed_at, seen_at) <= %s"
            " and (%s::text[] is null or event_id = any(%s::text[]))"
            " order by seq for update skip locked"
        )
        ids = list(only) if only is not None else None

        def claim(conn: Conn) -> list[InboxPending]:
            rows = conn.execute(select, [now - max_age, me, now - stalled_for, ids, ids]).fetchall()
            return _stamp(conn, [_pending(row) for row in rows], now, me)

        return self.db.transact(claim)

    def checkpoint_blanked(self) -> bool:
        """Nothing to do: PostgreSQL has no -wal file next to the data to empty."""
        return False

    def expire(self, max_age: timedelta) -> int:
        """Undone events too old to re-run: drop their payloads (the question); how many."""
        sql = (
            "update slack_events set payload = null where done_at is null"
            " and payload is not null and seen_at < %s"
        )
        return self._execute(sql, [self.db.moment() - max_age])

    def forget_old(self) -> int:
        """Drop ids older than ``EVENT_MEMORY``; returns how many."""
        cutoff = self.db.moment() - EVENT_MEMORY

        def forget(conn: Conn) -> int:
            events = conn.execute("delete from slack_events where seen_at < %s", [cutoff])
            claims = conn.execute("delete from message_claims where seen_at < %s", [cutoff])
            return events.rowcount + claims.rowcount

        return self.db.transact(forget)

    def _claim(self, table: str, row: dict[str, Any], *key: tuple[str, str]) -> bool:
        row = {**row, "token": uuid.uuid4().hex}
        insert = (
            f"insert into {table} ({', '.join(row)}) values ({', '.join(['%s'] * len(row))})"
            " on conflict do nothing"
        )
        check = f"select token from {table} where " + " and ".join(f"{k} = %s" for k, _ in key)

        def claim(conn: Conn) -> bool:
            if conn.execute(insert, list(row.values())).rowcount == 1:
                return True
            # Lost: or won on an attempt whose commit we never heard back from.
            found = conn.execute(check, [value for _, value in key]).fetchone()
            return found is not None and found["token"] == row["token"]

        first = self.db.transact(claim)
        self._claims += 1
        if self._claims % FORGET_EVERY == 0:
            self.forget_old()  # expiry without a separate job: cheap, and rare
        return first

    def _execute(self, sql: str, params: list[Any]) -> int:
        return self.db.transact(lambda c: c.execute(sql, params).rowcount)


def _stamp(conn: Conn, claimed: list[InboxPending], now: Any, me: str) -> list[InboxPending]:
    """Mark the claimed rows as re-run by this run, now; returns them."""
    conn.execute(
        "update slack_events set replayed_at = %s, replayed_by = %s where event_id = any(%s)",
        [now, me, [p.event_id for p in claimed]],
    )
    return claimed


def _pending(row: dict[str, Any]) -> InboxPending:
    return InboxPending(
        row["event_id"], stamp(row["seen_at"]) or "", row["payload"], stamp(row["posting_at"])
    )
