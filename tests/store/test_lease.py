"""SQLite: work is owned by lease, not by host name (issue 21, point 3).

A rolling deploy starts a second container (another host name) on the same volume
while the first is still replying: it must not re-run the first one's events while
the first one's heartbeat is fresh, and takes them at once after a clean stop.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.store import Store
from bot.store.runs import LEASE
from tests.cases.support import Clock

MAX_AGE = timedelta(minutes=10)
OLD_CONTAINER = "container-a:7:12345"  # another host name, as a second container sees it


def owed_by_old_container(store: Store, event_id: str) -> None:
    store.inbox.first_delivery(event_id, "{}")
    store.db.execute(
        "update slack_events set boot = ? where event_id = ?", [OLD_CONTAINER, event_id]
    )


def heartbeat(store: Store, at: str) -> None:
    store.db.execute(
        "insert or replace into runs (run, host, started_at, heartbeat_at) values (?, ?, ?, ?)",
        [OLD_CONTAINER, "container-a", at, at],
    )


def test_a_second_container_leaves_a_live_predecessors_events_alone(tmp_path: Path):
    clock = Clock(datetime(2026, 11, 18, 12, 0, tzinfo=UTC))
    store = Store(str(tmp_path / "bot.db"), clock=clock)
    try:
        owed_by_old_container(store, "EvInFlight")
        heartbeat(store, store.conn.now())
        assert store.inbox.claim_replay(MAX_AGE) == []  # before: taken (new host name)
        clock.advance(seconds=LEASE.total_seconds() + 1)  # its heartbeat stopped: gone
        assert [p.event_id for p in store.inbox.claim_replay(MAX_AGE)] == ["EvInFlight"]
    finally:
        store.close()


def test_a_clean_stop_hands_its_events_back_at_once(tmp_path: Path):
    first = Store(str(tmp_path / "bot.db"))
    first.inbox.first_delivery("EvOwed", "{}")  # owes a reply: heartbeats from now
    me = first.runs.this_run()
    rows = first.db.execute("select run, host from runs").fetchall()
    assert rows == [(me, socket.gethostname())]
    first.close()  # SIGTERM with a backlog: the run's lease goes with it
    second = Store(str(tmp_path / "bot.db"))
    try:
        assert second.db.execute("select count(*) from runs").fetchone()[0] == 0
    finally:
        second.close()
