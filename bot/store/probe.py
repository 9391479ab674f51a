"""What ``config check`` learns about the database, changing nothing in it.

``probe_database`` names the backend, its server version and the migration level, and
lists what is wrong, one line each. It never migrates and never shows a password: a
SQLite file is read through an immutable (lock-free, WAL-free) connection, and a
PostgreSQL server through one plain connection.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database

from bot.store.migrations import migrations
from bot.store.protocols import Description
from bot.store.urls import is_database_url, redact_url

SQLITE_HEADER = b"SQLite format 3\x00"
CONNECT_TIMEOUT = 5  # seconds: a check should say "unreachable" quickly


@dataclass(frozen=True)
class Probe:
    description: Description | None = None  # None when the database could not be read
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One line for ``config check``: kind, location, version, migration level."""
        about = self.description
        if about is None:
            return "database: (not readable)"
        pending = f", {about.pending_migrations} pending" if about.pending_migrations else ""
        return (
            f"database: {about.kind} {about.location} (server {about.server_version},"
            f" migration {about.migration_level}{pending})"
        )


def probe_database(db_path: str, database_url: str = "") -> Probe:
    """``DATABASE_URL`` (PostgreSQL) when set, else the SQLite file ``db_path``."""
    url = database_url.strip()
    if url:
        if not is_database_url(url):
            return Probe(problems=["DATABASE_URL must start with postgresql:// (unset: SQLite)."])
        return _probe_postgres(url)
    return _probe_sqlite(Path(db_path).expanduser().resolve())


# --- SQLite ----------------------------------------------------------------------------


def _probe_sqlite(path: Path) -> Probe:
    """The folder must take new files (SQLite adds -wal/-shm beside the database), and an
    existing database must be a SQLite file."""
    problem = _folder_problem(path.parent) or _file_problem(path)
    if problem:
        return Probe(problems=[problem])
    exists = path.exists() and path.stat().st_size > 0
    try:
        applied, pending, damage = _sqlite_levels(path if exists else None)
    except sqlite3.Error as exc:
        return Probe(problems=[f"EMAILSTATUS_DB {path} cannot be read: {exc}."])
    level = applied[-1] if applied else "none"
    about = Description("sqlite", str(path), sqlite3.sqlite_version, level, pending)
    if damage:
        restore = "restore it from a backup (`emailstatus-bot cases backup`)"
        return Probe(
            about, [f"EMAILSTATUS_DB {path} is damaged (quick_check: {damage}); {restore}."]
        )
    return Probe(about)


def _folder_problem(folder: Path) -> str | None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".emailstatus-config-check"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return f"EMAILSTATUS_DB folder {folder} is not writable: {exc.strerror or exc}."
    return None


def _file_problem(path: Path) -> str | None:
    if path.exists() and not path.is_file():
        return f"EMAILSTATUS_DB {path} is not a file."
    if not path.exists():
        return None
    try:
        with path.open("rb") as db:
            header = db.read(len(SQLITE_HEADER))
    except OSError as exc:
        return f"EMAILSTATUS_DB {path} cannot be read: {exc.strerror or exc}."
    if header and header != SQLITE_HEADER:  # an empty file is a database yet to be made
        return f"EMAILSTATUS_DB {path} is not a SQLite database."
    return None


def _sqlite_levels(path: Path | None) -> tuple[list[str], int, str | None]:
    """Applied migrations, how many are pending, and what ``PRAGMA quick_check`` found
    wrong (None: nothing); ``path`` ``None``: a file yet to be made."""
    # immutable=1: no locks and no -wal/-shm files, so the check leaves the folder as it was
    uri = f"{path.as_uri()}?immutable=1" if path else ":memory:"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        damage = quick_check_problem(conn)
        db = Database(conn)
        try:
            return [m.name for m in migrations.applied(db)], len(migrations.pending(db)), damage
        except sqlite3.DatabaseError:
            if damage is None:
                raise
            return [], 0, damage  # too damaged to read the migrations: the damage is the news


def quick_check_problem(conn: sqlite3.Connection) -> str | None:
    """SQLite's own integrity check (pages, indexes), in one short line; None when "ok"."""
    try:
        rows = [str(row[0]) for row in conn.execute("pragma quick_check(3)")]
    except sqlite3.DatabaseError as exc:  # too damaged to even check
        return str(exc)
    # SQLite's report spans lines ("*** in database main ***\nPage 24: ..."): one line here.
    return None if rows == ["ok"] else "; ".join(" ".join(row.split()) for row in rows)[:200]


# --- PostgreSQL ------------------------------------------------------------------------


def _probe_postgres(url: str) -> Probe:
    import psycopg  # loads only when DATABASE_URL is set

    from bot.store.postgres.schema import MIGRATIONS

    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as conn:
            version = str(conn.execute("show server_version").fetchone()[0])  # type: ignore[index]
            exists = conn.execute("select to_regclass('schema_migrations')").fetchone()
            applied = (
                [str(r[0]) for r in conn.execute("select name from schema_migrations order by 1")]
                if exists and exists[0]
                else []
            )
    except psycopg.Error as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        return Probe(problems=[f"DATABASE_URL {redact_url(url)} cannot be reached: {first}"])
    pending = len([name for name, _ in MIGRATIONS if name not in applied])
    level = applied[-1] if applied else "none"
    return Probe(Description("postgresql", redact_url(url), version, level, pending))
