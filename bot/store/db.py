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
from contextlib import contextmanager, suppress
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
        self._suspect = False  # the shared connection may be read-only: reopen before a write
        with self.lock:
            if self.path != ":memory:":
                self.db.execute("PRAGMA journal_mode = WAL")
            self._migrate()
            if self.path != ":memory:":
                try:
                    prove_writable(self.db.conn)
                except sqlite3.OperationalError as exc:
                    # Started during a read-only moment: reads work, and the first write
                    # after it ends gets a fresh connection.
                    self._suspect = read_only(exc)

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
        """One transaction that takes the write lock up front (no upgrade deadlocks).

        A connection that found the file read-only stays read-only after the file is
        writable again: it is reopened, so the next write works (this one fails).
        """
        with self.lock:
            self._check_open()
            if self._suspect:
                self._reopen_shared()
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException as exc:
                with suppress(sqlite3.Error):
                    self.db.execute("ROLLBACK")
                self._suspect = read_only(exc)
                raise
            self.db.execute("COMMIT")

    def _reopen_shared(self) -> None:
        """A fresh shared connection (called with the lock held)."""
        with suppress(sqlite3.Error):
            self.db.conn.close()
        self.db = Database(_connect(self.path))
        self._suspect = False

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
            try:
                row_id = self._inserter().execute(sql, list(row.values())).lastrowid
            except sqlite3.OperationalError as exc:
                if not read_only(exc):
                    raise
                # Opened during a read-only moment: it stays read-only. A fresh one
                # (proved writable when opened) either works or says why not.
                self._drop_inserter()
                row_id = self._inserter().execute(sql, list(row.values())).lastrowid
        assert row_id is not None
        return row_id

    def _inserter(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._inserters, "conn", None)
        if conn is None:
            with self.lock:
                if self._closed:
                    raise StoreClosed("the case log is closed")
                conn = _connect(self.path)
                try:
                    prove_writable(conn)
                except sqlite3.Error:
                    conn.close()  # not kept: the next insert opens a new one
                    raise
                self._inserters.conn = conn
                self._opened.append(conn)
        return conn

    def _drop_inserter(self) -> None:
        conn: sqlite3.Connection | None = getattr(self._inserters, "conn", None)
        self._inserters.conn = None
        if conn is not None:
            with self.lock:
                if conn in self._opened:
                    self._opened.remove(conn)
            with suppress(sqlite3.Error):
                conn.close()

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
        """Raise unless this process can write: a file in the folder, a write lock, and a
        page written (then rolled back) on the shared connection that serves traffic.

        The insert connections are proved the same way when opened, and reopened after
        a read-only error, so none of them stays read-only once the files are writable.
        """
        if self.path != ":memory:":
            probe = Path(self.path).parent / f".write-check-{os.getpid()}-{threading.get_ident()}"
            probe.write_bytes(b"")
            probe.unlink()
        with self.lock:
            self._check_open()
            try:
                prove_writable(self.db.conn)
            except sqlite3.OperationalError as exc:
                if not read_only(exc):
                    raise
                self._reopen_shared()  # it may be the connection, not the file
                try:
                    prove_writable(self.db.conn)
                except sqlite3.OperationalError:
                    self._suspect = True
                    raise

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


def read_only(exc: BaseException) -> bool:
    """SQLite's "attempt to write a readonly database" (SQLITE_READONLY)."""
    return isinstance(exc, sqlite3.OperationalError) and "readonly" in str(exc)


def prove_writable(conn: sqlite3.Connection) -> None:
    """Write one page and roll it back: raises where this connection cannot write.

    A connection opened while the file was read-only opens read-only and stays so;
    taking the write lock (BEGIN IMMEDIATE) does not show it, a write does.
    """
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(f"PRAGMA user_version = {int(version)}")
    finally:
        conn.execute("ROLLBACK")


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
