"""The store contract runs on both backends: a SQLite file, and a real PostgreSQL server.

One throw-away server per test process (so per pytest-xdist worker: each listens on a
socket in its own folder), one database per process, emptied before each test.
The PostgreSQL half skips, saying why, only when the server binaries are missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bot.store import Store
from tests.cases.support import Clock
from tests.support.postgres import Server, start_server

BACKENDS = ["sqlite", "postgresql"]
TABLES = ("case_clicks, follow_ups, cases, gaps, slack_events, message_claims, summary_claims,"
          " workspace_settings, runs, slack_installations, oauth_states")  # fmt: skip
NO_SERVER = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql:"
    " install Debian's postgresql package (.ci/run does) to run the PostgreSQL store tests"
)

OpenStore = Callable[..., Store]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    try:
        server = start_server()
    except FileNotFoundError:
        pytest.skip(NO_SERVER)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_database(pg_server: Server) -> str:
    url = pg_server.fresh_database()
    Store(url).close()  # migrated once; tests only empty it
    return url


def empty(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"truncate {TABLES} restart identity cascade")


@pytest.fixture(params=BACKENDS)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "cases.db")
    url: str = request.getfixturevalue("pg_database")
    empty(url)
    return url


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 18, 12, 0, tzinfo=UTC))


@pytest.fixture
def open_store(location: str, clock: Clock) -> Iterator[OpenStore]:
    """Open a store on this test's database (call it twice for two processes' worth)."""
    opened: list[Store] = []

    def make(**options: Any) -> Store:
        store = Store(location, **{"clock": clock, **options})
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: OpenStore) -> Store:
    return open_store()
