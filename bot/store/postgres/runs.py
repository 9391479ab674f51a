"""Runs on PostgreSQL: each replica that owes replies heartbeats in ``runs``.

A run on this host is alive while its process is (``bot.store.runs``: pid and start
time), so a restart re-runs what its dead predecessor left at once. A run on another
host is alive while its heartbeat is younger than the lease; after that, a live
replica's re-run takes its acked-but-unanswered events.
"""

from __future__ import annotations

import logging
import socket
import threading
from datetime import timedelta

import psycopg

from bot.store import runs
from bot.store.postgres.database import Conn, Database

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
BEAT_EVERY = LEASE / 3


class PgRuns:
    def __init__(self, db: Database, *, lease: timedelta = LEASE) -> None:
        self.db = db
        self.lease = lease
        self._beating: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def this_run(self) -> str:
        return runs.this_run()

    def is_alive(self, run: str | None, conn: Conn | None = None) -> bool:
        """A run on this host: its process decides (a restart re-runs at once); elsewhere,
        its heartbeat, until the lease passes."""
        if (run or "").partition(":")[0] == socket.gethostname():
            return runs.is_alive(run)
        sql = "select heartbeat_at from runs where run = %s"
        query = lambda c: c.execute(sql, [run]).fetchone()  # noqa: E731
        row = query(conn) if conn is not None else self.db.transact(query)
        return row is not None and row["heartbeat_at"] > self.db.moment() - self.lease

    def beat(self, conn: Conn | None = None) -> None:
        """Say this run is alive now: in ``conn``'s open transaction, else in its own."""
        now = self.db.moment()
        upsert = lambda c: c.execute(  # noqa: E731
            "insert into runs (run, host, started_at, heartbeat_at) values (%s, %s, %s, %s)"
            " on conflict (run) do update set heartbeat_at = excluded.heartbeat_at",
            [self.this_run(), socket.gethostname(), now, now],
        )
        if conn is not None:
            upsert(conn)
        else:
            self.db.transact(upsert)

    def start_heartbeat(self) -> None:
        """Beat now and every ``lease / 3`` in a daemon thread, until ``stop``."""
        if self._beating is not None:
            return
        with self._lock:
            if self._beating is not None:
                return
            self.beat()
            self._beating = threading.Thread(target=self._run, name="store-heartbeat", daemon=True)
            self._beating.start()

    def _run(self) -> None:
        while not self._stop.wait(BEAT_EVERY.total_seconds()):
            try:
                self.beat()
            except psycopg.Error:  # the next beat retries; a missed one is what leases allow
                log.warning("heartbeat failed", exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        if self._beating is not None:
            self._beating.join(timeout=5)
