"""The one owner of the SQLite connection: lock, write transactions, migrations, backup.

One file (WAL mode, busy timeout) is shared by every process of the bot. Every write
commits before the method that asked for it returns, so a row a caller was told about
survives a killed process. The stores in this package read and write only through
this object, so there is one lock and one place that knows about transactions.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from bot.store.migrations import migrations
from bot.store.models import StoreClosed

BUSY_TIMEOUT_MS = 10_000

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class Connection:
    """One sqlite3 connection shared by bolt's listener threads, guarded by one lock."""

    def __init__(self, path: str | Path = ":memory:", *, clock: Clock = utc_now) -> None:
        self.path = str(path)
        self.clock = clock
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.db = Database(_connect(self.path))
        # The lock keeps a write transaction whole while other threads share the connection.
        self.lock = threading.RLock()
        self._inserters = threading.local()  # see insert_row
        self._opened: list[sqlite3.Connection] = []
        self._closed = False
        with self.lock:
            if self.path != ":memory:":
                self.db.execute("PRAGMA journal_mode = WAL")
            self._migrate()

    def now(self) -> str:
        return iso(self.clock())

    def _migrate(self) -> None:
        """Apply pending migrations once, even when several workers start together.

        ``Migrations.apply`` reads what is pending before it writes; holding the write
        lock (BEGIN IMMEDIATE) around it means a second process waits, then finds
        nothing left to do. Each migration nests inside as a savepoint.
        """
        if not migrations.pending(self.db):
            return
        with self.write() as db:
            migrations.apply(db)

    @contextmanager
    def write(self) -> Iterator[Database]:
        """One transaction that takes the write lock up front (no upgrade deadlocks)."""
        with self.lock:
            self._check_open()
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def insert_row(self, table: str, row: dict[str, Any]) -> int:
        """Insert one row as one statement, committed on its own; returns its id.

        The hot path (a case per question). It runs on a connection of the calling
        thread's own, so it never waits for the shared connection's lock: under load,
        the threads queued for that lock each waited, after it was released, for the
        GIL as well, and most of a busy worker's time went to that queue. SQLite itself
        keeps writers apart (WAL: one writer at a time, with the busy timeout), and its
        write lock is held only inside the one call, while Python runs other threads.
        """
        self._check_open()  # this thread's own connection may be closed already
        names = ", ".join(f'"{name}"' for name in row)
        sql = f'insert into "{table}" ({names}) values ({", ".join("?" * len(row))})'
        if self.path == ":memory:":  # a second connection would be another database
            with self.lock:  # so this one is shared: keep out of others' transactions
                row_id = self.db.conn.execute(sql, list(row.values())).lastrowid
        else:
            row_id = self._inserter().execute(sql, list(row.values())).lastrowid
        assert row_id is not None
        return row_id

    def _inserter(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._inserters, "conn", None)
        if conn is None:
            with self.lock:
                if self._closed:
                    raise StoreClosed("the case log is closed")
                conn = self._inserters.conn = _connect(self.path)
                self._opened.append(conn)
        return conn

    @contextmanager
    def read(self) -> Iterator[Database]:
        """The connection for a read; callers materialise rows before leaving the block."""
        with self.lock:
            self._check_open()
            yield self.db

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosed("the case log is closed")

    def check_writable(self) -> None:
        """Raise unless this process can write: a file in the folder and a write lock."""
        if self.path != ":memory:":
            probe = Path(self.path).parent / f".write-check-{os.getpid()}-{threading.get_ident()}"
            probe.write_bytes(b"")
            probe.unlink()
        with self.write():
            pass

    def backup(self, target: str | Path) -> Path:
        """Copy the whole database with SQLite's online backup API (safe while writing)."""
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        destination = sqlite3.connect(path)
        try:
            with self.lock:
                self.db.conn.backup(destination)
        finally:
            destination.close()
        return path

    def close(self) -> None:
        with self.lock:
            self._closed = True
            for conn in (*self._opened, self.db.conn):
                conn.close()


def _connect(path: str) -> sqlite3.Connection:
    """A connection with the settings every one of ours has (autocommit unless a
    ``BEGIN`` says otherwise; the busy timeout; WAL's usual ``synchronous``)."""
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False, isolation_level=None
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn
