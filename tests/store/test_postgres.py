"""What only the PostgreSQL backend has to show: migrations under a lock, lost connections,
leases, backups, the factory, and no password anywhere."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.store import Store, open_store, utc_now
from bot.store.postgres.database import Database, StoreUnavailable
from bot.store.postgres.schema import MIGRATIONS
from tests.cases.support import Clock
from tests.store.rows import set_owner
from tests.support.postgres import Server, database_name

OTHER_HOST = "replica-b:77:1"
MAX_AGE = timedelta(minutes=10)


@pytest.fixture
def fresh(pg_server: Server) -> Iterator[str]:
    url = pg_server.fresh_database()
    yield url
    pg_server.drop_database(url)


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else []


def disconnect_others(url: str) -> int:
    """Kill every other session on this database, as a failover or restart would."""
    sql = (
        "select count(pg_terminate_backend(pid)) from pg_stat_activity"
        " where datname = current_database() and pid <> pg_backend_pid()"
    )
    return int(query(url, sql)[0][0])  # type: ignore[call-overload]


def test_replicas_starting_together_migrate_once(fresh: str) -> None:
    stores: list[Store] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            stores.append(Store(fresh))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    assert errors == [] and len(stores) == 4
    names = [row[0] for row in query(fresh, "select name from schema_migrations order by 1")]
    assert names == [name for name, _ in MIGRATIONS]


def test_a_lost_connection_is_retried_and_the_acked_event_kept(fresh: str) -> None:
    store = Store(fresh)
    try:
        assert store.inbox.first_delivery("Ev1", "{}")
        assert disconnect_others(fresh) >= 1
        assert store.inbox.first_delivery("Ev2", '{"n": 2}')  # on a fresh connection
        assert not store.inbox.first_delivery("Ev2", '{"n": 2}')
        assert store.inbox.undone() == 2
    finally:
        store.close()


def test_a_read_only_database_is_a_health_problem(fresh: str) -> None:
    store = Store(fresh)
    try:
        assert store.write_problem() is None
        read_only = "set default_transaction_read_only = on"
        query(fresh, f"alter database {database_name(fresh)} {read_only}")
        disconnect_others(fresh)
        problem = store.write_problem()
        assert problem is not None and "read-only" in problem
        assert "postgres" not in problem and "/" not in problem  # no URL, no path
    finally:
        store.close()


def test_a_replica_keeps_its_rows_while_its_lease_holds(pg_database: str, clock: Clock) -> None:
    from tests.store.conftest import empty

    empty(pg_database)
    other, me = Store(pg_database, clock=clock), Store(pg_database, clock=clock)
    try:
        other.inbox.first_delivery("EvB", "{}")
        set_owner(other, "EvB", OTHER_HOST)
        query(pg_database, f"update runs set run = '{OTHER_HOST}'")  # its heartbeat
        assert me.inbox.claim_replay(MAX_AGE) == []  # alive: another host, fresh heartbeat
        clock.advance(seconds=31)  # the lease (30 s) passes without a beat
        assert [p.event_id for p in me.inbox.claim_replay(MAX_AGE)] == ["EvB"]
    finally:
        other.close()
        me.close()


def test_the_password_is_never_shown(pg_server: Server, pg_database: str) -> None:
    url = pg_database.replace("postgres@", "postgres:hunter2@")  # trust auth ignores it
    store = Store(url)
    try:
        about = store.describe()
        assert about.kind == "postgresql" and "hunter2" not in about.location
        assert ":***@" in about.location and "hunter2" not in store.path
    finally:
        store.close()


@pytest.mark.skipif(shutil.which("pg_restore") is None, reason="pg_dump/pg_restore not installed")
def test_backup_runs_pg_dump_and_restores(pg_server: Server, fresh: str, tmp_path: Path) -> None:
    store = Store(fresh)
    try:
        store.cases.open(source="dm", level="answer", question="q")
        dump = store.backup(tmp_path / "backup.dump")
    finally:
        store.close()
    target = pg_server.fresh_database()
    try:
        subprocess.run(["pg_restore", "--no-owner", f"--dbname={target}", str(dump)], check=True)
        assert query(target, "select count(*) from cases") == [(1,)]
    finally:
        pg_server.drop_database(target)


def test_database_url_wins_over_the_file(pg_database: str, tmp_path: Path) -> None:
    store = open_store(tmp_path / "cases.db", database_url=pg_database)
    try:
        assert store.kind == "postgresql" and not (tmp_path / "cases.db").exists()
    finally:
        store.close()


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump not installed")
def test_cases_backup_runs_pg_dump(
    pg_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", pg_database)
    result = CliRunner().invoke(main, ["cases", "backup", str(tmp_path / "cases.dump")])
    assert result.exit_code == 0, result.output
    assert "with pg_dump; restore with pg_restore" in result.output
    assert (tmp_path / "cases.dump").read_bytes().startswith(b"PGDMP")  # custom format


def test_without_pg_dump_backup_says_how(
    pg_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", pg_database)
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump here
    result = CliRunner().invoke(main, ["cases", "backup", str(tmp_path / "cases.dump")])
    assert result.exit_code == 1
    assert "pg_dump --format=custom DATABASE_URL > backup.dump" in result.output


def test_an_unreachable_server_is_one_clear_error(tmp_path: Path) -> None:
    url = f"postgresql://bot:hunter2@/emailstatus?host={tmp_path}"  # no server listens there
    with pytest.raises(StoreUnavailable) as raised:
        Database(url, clock=utc_now, connect_timeout=0.5)
    assert "cannot reach the database at postgresql://bot:***@/emailstatus" in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_a_dead_process_on_this_host_is_rerun_at_once(pg_database: str, clock: Clock) -> None:
    from tests.store.conftest import empty

    empty(pg_database)
    dead = f"{socket.gethostname()}:{2**22 + 7}:1"  # above Linux's pid limit: never running
    store = Store(pg_database, clock=clock)
    try:
        store.inbox.first_delivery("EvA", "{}")
        set_owner(store, "EvA", dead)
        query(pg_database, f"update runs set run = '{dead}'")  # a heartbeat a second ago
        assert [p.event_id for p in store.inbox.claim_replay(MAX_AGE)] == ["EvA"]
    finally:
        store.close()
