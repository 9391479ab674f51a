"""The inbox: which Slack deliveries were already taken, in any process.

Slack retries an event whose ack was late, with the same ``event_id``; and one
@mention arrives as both ``message`` and ``app_mention`` (different event ids, same
channel and ts). Both guards are primary keys, so "first" holds across gunicorn
workers and restarts.
"""

from __future__ import annotations

from datetime import timedelta

from bot.store.db import Connection, iso

EVENT_MEMORY = timedelta(days=2)  # Slack retries for about 5 minutes; keep ids well past that
FORGET_EVERY = 500  # claims between two sweeps of expired ids


class Inbox:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._claims = 0

    def first_delivery(self, event_id: str) -> bool:
        """True the first time an event id is seen, in any process; False for retries."""
        return self._claim("slack_events", {"event_id": event_id})

    def claim_message(self, channel: str, ts: str) -> bool:
        """True for the first event about a message (``message`` and ``app_mention`` both fire)."""
        return self._claim("message_claims", {"channel": channel, "ts": ts})

    def _claim(self, table: str, key: dict[str, str]) -> bool:
        row = {**key, "seen_at": self.conn.now()}
        # Plain SQL on the hot path (every event): one statement, and its rowcount says
        # whether this process was first.
        sql = (
            f"insert or ignore into {table} ({', '.join(row)}) values ({', '.join('?' * len(row))})"
        )
        with self.conn.write() as db:
            first = db.execute(sql, list(row.values())).rowcount == 1
        self._claims += 1
        if self._claims % FORGET_EVERY == 0:
            self.forget_old()  # expiry without a separate job: cheap, and rare
        return first

    def forget_old(self) -> int:
        """Drop ids older than ``EVENT_MEMORY``; returns how many."""
        cutoff = iso(self.conn.clock() - EVENT_MEMORY)
        with self.conn.write() as db:
            removed = db.execute("delete from slack_events where seen_at < ?", [cutoff]).rowcount
            removed += db.execute("delete from message_claims where seen_at < ?", [cutoff]).rowcount
        return int(removed)
