"""The inbox: which Slack deliveries were taken, and which are still owed a reply.

Slack retries an event whose ack was late, with the same ``event_id``; and one
@mention arrives as both ``message`` and ``app_mention`` (different event ids, same
channel and ts). Both guards are primary keys, so "first" holds across gunicorn
workers and restarts.

Acked means answered: an event the bot may reply to is stored with its payload
*before* the ack, and marked done (payload blanked) after the reply. A process
killed in between leaves the row undone; the next start-up claims it, once, for a
re-run (``bot.slack.inbox_rerun``). Each row records the process that took it (``boot``,
see ``bot.store.runs``), so a start-up never re-runs what a live process is handling:
on this host its process says so, elsewhere its heartbeat lease (``SqliteRuns``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.store.db import Connection, iso
from bot.store.models import InboxPending as Pending
from bot.store.runs import this_run

if TYPE_CHECKING:
    from bot.store.sqlite import SqliteRuns

EVENT_MEMORY = timedelta(days=2)  # Slack retries for about 5 minutes; keep ids well past that
FORGET_EVERY = 500  # claims between two sweeps of expired ids


class Inbox:
    def __init__(self, conn: Connection, runs: SqliteRuns) -> None:
        self.conn = conn
        self.runs = runs
        self._claims = 0
        self.blanked = False  # payloads were blanked since the last WAL checkpoint

    def first_delivery(self, event_id: str, payload: str | None = None) -> bool:
        """True the first time an event id is seen, in any process; False for retries.

        With a ``payload`` the event is owed a reply until ``done``; without one there
        is nothing to re-run and the row is settled at once.
        """
        if payload is not None:
            self.runs.start_heartbeat()  # this run now owes replies: others watch its lease
        now = self.conn.now()
        row = {"event_id": event_id, "seen_at": now, "boot": this_run(), "payload": payload,
               "done_at": None if payload is not None else now}  # fmt: skip
        return self._claim("slack_events", row)

    def claim_message(self, channel: str, ts: str, event_id: str | None = None) -> bool:
        """True for the first event about a message (``message`` and ``app_mention`` both fire)."""
        row = {"channel": channel, "ts": ts, "event_id": event_id}
        return self._claim("message_claims", {**row, "seen_at": self.conn.now()})

    def message_claimed_by(self, channel: str, ts: str) -> str | None:
        """The event id that took this message, if any."""
        sql = "select event_id from message_claims where channel = ? and ts = ?"
        with self.conn.read() as db:
            row = db.execute(sql, [channel, ts]).fetchone()
        return None if row is None else str(row[0] or "")

    def posting(self, event_id: str) -> None:
        """A reply is about to be sent: from here a re-run must first ask Slack."""
        sql = "update slack_events set posting_at = ? where event_id = ? and posting_at is null"
        with self.conn.write() as db:
            db.execute(sql, [self.conn.now(), event_id])

    def done(self, event_id: str) -> None:
        """Answered: nothing is owed any more, so the payload (the question) goes."""
        sql = "update slack_events set done_at = ?, payload = null where event_id = ?"
        with self.conn.write() as db:
            db.execute(sql, [self.conn.now(), event_id])
        self.blanked = True

    def checkpoint_blanked(self) -> bool:
        """After payloads were blanked, copy the WAL into the database and empty it
        (``TRUNCATE``): the question text is otherwise still in the -wal file until
        SQLite's own checkpoint, which could be days at low traffic. True when done."""
        if not self.blanked or self.conn.path == ":memory:":
            return False
        self.blanked = False
        with self.conn.read() as db:
            busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        self.blanked = bool(busy)  # a reader held the WAL: try again next time
        return not busy

    def give_up(self, event_id: str) -> None:
        """Not re-run (the outcome is unknown): keep the row, drop the payload."""
        with self.conn.write() as db:
            db.execute("update slack_events set payload = null where event_id = ?", [event_id])

    def undone(self) -> int:
        with self.conn.read() as db:
            sql = "select count(*) from slack_events where done_at is null and payload is not null"
            return int(db.execute(sql).fetchone()[0])

    def claim_replay(self, max_age: timedelta) -> list[Pending]:
        """Undone events whose owner is gone, younger than ``max_age``, for us only.

        A row's owner is the run that last claimed it (``replayed_by``), else the one
        that took it (``boot``): a run killed during its own start-up re-run leaves rows
        it claimed from a dead predecessor, and those must be taken again, not kept for
        ever. One write transaction selects and stamps them, so two workers starting
        together split the rows and no row is re-run twice; the same transaction says
        this run is alive (its heartbeat), so a replica elsewhere never takes them back.
        """
        select = (
            "select event_id, seen_at, payload, posting_at, coalesce(replayed_by, boot)"
            " from slack_events where done_at is null"
            " and payload is not null and seen_at >= ? order by rowid"
        )
        stamp = "update slack_events set replayed_at = ?, replayed_by = ? where event_id = ?"
        cutoff, now, me = iso(self.conn.clock() - max_age), self.conn.now(), this_run()
        with self.conn.write() as db:
            rows = db.execute(select, [cutoff]).fetchall()
            owners = {row[4] for row in rows} - {me}
            gone = {run for run in owners if not self.runs.is_alive(run)}
            claimed = [Pending(*row[:4]) for row in rows if row[4] in gone]
            for row in claimed:
                db.execute(stamp, [now, me, row.event_id])
            if claimed:
                self.runs.beat(db)
        if claimed:
            self.runs.start_heartbeat()  # this run now owes them: others watch its lease
        return claimed

    def claim_stalled(
        self, stalled_for: timedelta, max_age: timedelta, only: Sequence[str] | None = None
    ) -> list[Pending]:
        """This process's own undone events that no attempt has touched for ``stalled_for``
        (``only``: of these event ids).

        A reply whose Slack calls ran out of time stays owed; the process that holds it
        tries again while it lives (``bot.slack.inbox_rerun.OwedSweeper``). Each claim is
        stamped, so the next one waits ``stalled_for`` again.
        """
        select = (
            "select event_id, seen_at, payload, posting_at from slack_events"
            " where done_at is null and payload is not null and seen_at >= ?"
            " and coalesce(replayed_by, boot) = ? and coalesce(replayed_at, seen_at) <= ?"
        )
        stamp = "update slack_events set replayed_at = ?, replayed_by = ? where event_id = ?"
        clock, me = self.conn.clock(), this_run()
        cutoff, stale, now = iso(clock - max_age), iso(clock - stalled_for), iso(clock)
        params: list[str] = [cutoff, me, stale]
        if only is not None:
            select += f" and event_id in ({', '.join('?' * len(only))})"
            params += only
        with self.conn.write() as db:
            claimed = [Pending(*row) for row in db.execute(select + " order by rowid", params)]
            for row in claimed:
                db.execute(stamp, [now, me, row.event_id])
        return claimed

    def expire(self, max_age: timedelta) -> int:
        """Undone events too old to re-run: drop their payloads (the question); how many."""
        cutoff = iso(self.conn.clock() - max_age)
        sql = (
            "update slack_events set payload = null where done_at is null"
            " and payload is not null and seen_at < ?"
        )
        with self.conn.write() as db:
            return int(db.execute(sql, [cutoff]).rowcount)

    def _claim(self, table: str, row: dict[str, str | None]) -> bool:
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
