"""Can the bot write its case log right now? A probe for ``/healthz``, apart from the store.

Two checks, because neither alone tells the truth:

- a write transaction on a connection of its own (``BEGIN IMMEDIATE``, a small insert,
  ``ROLLBACK``): it fails when the database files are read-only or another process holds
  the write lock, and succeeds when only the folder is read-only but SQLite's -wal/-shm
  files are there and writable (the bot works then, so health must say so);
- free space against a floor: in WAL mode a rolled-back transaction never reaches the
  disk, so a full disk is seen only by its free space.

Answers are short reasons without filesystem paths: ``/healthz`` is often public.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

MIN_FREE_BYTES = 16 * 1024 * 1024  # a week of cases is a few hundred KB; WAL needs room
PROBE_BYTES = 4096  # one page
LOCK_WAIT_SECONDS = 1.0  # the bot's own writes take milliseconds


@dataclass(frozen=True)
class DatabaseProbe:
    """Probe the SQLite database at ``path``; ``min_free_bytes`` is the free-space floor."""

    path: str
    min_free_bytes: int = MIN_FREE_BYTES

    def problem(self) -> str | None:
        """None when a write would succeed, else a short reason (no paths)."""
        if self.path == ":memory:":
            return None
        return self.space_problem() or self.write_problem()

    def space_problem(self) -> str | None:
        try:
            stats = os.statvfs(Path(self.path).parent)
        except OSError as exc:
            return f"database folder unavailable ({exc.strerror or 'error'})"
        free = stats.f_bavail * stats.f_frsize
        if free < self.min_free_bytes:
            return f"disk almost full ({free // 1024} KiB free)"
        return None

    def write_problem(self) -> str | None:
        if not Path(self.path).is_file():
            return "database file missing"
        try:
            # isolation_level=None: the transaction is exactly the one written here.
            db = sqlite3.connect(self.path, timeout=LOCK_WAIT_SECONDS, isolation_level=None)
        except sqlite3.Error as exc:
            return f"database not writable ({_reason(exc)})"
        try:
            db.execute("BEGIN IMMEDIATE")
            db.execute("CREATE TABLE healthz_probe (data BLOB)")
            db.execute("INSERT INTO healthz_probe VALUES (zeroblob(?))", (PROBE_BYTES,))
            db.execute("ROLLBACK")
        except sqlite3.Error as exc:
            return f"database not writable ({_reason(exc)})"
        finally:
            db.close()
        return None


def _reason(exc: sqlite3.Error) -> str:
    # SQLite's messages ("attempt to write a readonly database", "database is locked",
    # "unable to open database file") name no path; keep only the first line anyway.
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
