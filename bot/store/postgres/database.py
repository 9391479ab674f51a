"""The PostgreSQL connection pool: transactions, retries, migrations, time conversion.

Every store method is one short transaction on a pooled connection (``transact``).
A connection lost before or during the commit is retried on a fresh one, a few times;
the writes that decide "who was first" (event dedupe, message claims) carry a random
token, so a retry whose first attempt did commit still learns that it won, and an
acked event is never taken for somebody else's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from bot.store.db import Clock, iso
from bot.store.models import StoreClosed
from bot.store.postgres.schema import MIGRATIONS
from bot.store.urls import redact_url

log = logging.getLogger(__name__)

T = TypeVar("T")
Conn = psycopg.Connection[dict[str, Any]]

POOL_MAX = 10  # bolt's listener threads plus the schedulers; see docs/scaling.md
CONNECT_TIMEOUT = 10.0  # seconds to wait for a pooled connection
RETRIES = 4  # attempts per transaction when the connection drops
RETRY_PAUSE = 0.25  # seconds, doubled after each failed attempt
# pg_advisory_xact_lock key: "emailstatus" migrations (any constant both replicas share).
MIGRATION_LOCK = 0x656D61696C


class StoreUnavailable(RuntimeError):
    """The database server cannot be reached (the message names no password)."""


class Database:
    def __init__(
        self,
        url: str,
        *,
        clock: Clock,
        max_size: int = POOL_MAX,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        self.url = url
        self.clock = clock
        self.pool: ConnectionPool[Conn] = ConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            kwargs={"autocommit": True, "row_factory": dict_row},
            open=False,
            name="emailstatus",
            timeout=connect_timeout,
        )
        try:
            self.pool.open(wait=True, timeout=connect_timeout)
            self.transact(migrate)
        except PoolTimeout as exc:
            self.pool.close()
            raise StoreUnavailable(
                f"cannot reach the database at {self.safe_url()} within {connect_timeout:g} s"
            ) from exc
        except BaseException:
            self.pool.close()
            raise

    def transact(self, work: Callable[[Conn], T]) -> T:
        """Run ``work`` in one transaction, retried on a fresh connection if one drops."""
        pause = RETRY_PAUSE
        for attempt in range(1, RETRIES + 1):
            try:
                with self.pool.connection() as conn, conn.transaction():
                    return work(conn)
            except PoolClosed as exc:
                raise StoreClosed("the case log is closed") from exc
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                if attempt == RETRIES or not _retryable(exc):
                    raise
                log.warning("database connection lost (%s); retrying", _first_line(exc))
                time.sleep(pause)
                pause *= 2
        raise AssertionError("unreachable")

    def moment(self) -> datetime:
        return self.clock().astimezone(UTC)

    def now(self) -> str:
        """Now as stored times are shown (a UTC ISO string; PostgreSQL casts it)."""
        return iso(self.clock())

    def insert_row(self, table: str, row: dict[str, Any]) -> int:
        """Insert one row, committed on its own; returns its id."""
        names = ", ".join(f'"{name}"' for name in row)
        sql = f"insert into {table} ({names}) values ({', '.join(['%s'] * len(row))}) returning id"
        found = self.transact(lambda conn: conn.execute(sql, list(row.values())).fetchone())
        assert found is not None
        return int(found["id"])

    def safe_url(self) -> str:
        """The URL without its password, for ``config check`` and logs."""
        return redact_url(self.url)

    def close(self) -> None:
        self.pool.close()


def migrate(conn: Conn) -> None:
    """Apply pending migrations; replicas starting together wait on the lock, then skip."""
    conn.execute("select pg_advisory_xact_lock(%s)", [MIGRATION_LOCK])
    conn.execute(
        "create table if not exists schema_migrations"
        " (name text primary key, applied_at timestamptz not null default now())"
    )
    applied = {row["name"] for row in conn.execute("select name from schema_migrations")}
    for name, sql in MIGRATIONS:
        if name not in applied:
            conn.execute(sql.encode())  # bytes: several statements, no parameters
            conn.execute("insert into schema_migrations (name) values (%s)", [name])


def applied_migrations(conn: Conn) -> list[str]:
    return [row["name"] for row in conn.execute("select name from schema_migrations order by 1")]


def without_password(url: str) -> tuple[str, str | None]:
    """The conninfo without its password, and the password (for PGPASSWORD)."""
    params = conninfo_to_dict(url)
    password = params.pop("password", None)
    return make_conninfo("", **params), None if password is None else str(password)


def stamp(value: datetime | None) -> str | None:
    """A stored time as callers have always seen it: a UTC ISO string."""
    return None if value is None else iso(value)


def at(text: str) -> datetime:
    """An ISO bound from a caller, as a timestamptz parameter."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def strings(row: dict[str, Any]) -> dict[str, Any]:
    """A row with every time as an ISO string (the shape the SQLite store returns)."""
    return {k: iso(v) if isinstance(v, datetime) else v for k, v in row.items()}


def _retryable(exc: Exception) -> bool:
    # A statement error (bad SQL, a constraint) is not retried; a broken link is.
    sqlstate = getattr(exc, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith(("08", "57P", "40"))


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]
