"""The durable inbox on SQLite: which processes are alive, killed replies' cases.

The inbox contract itself (first delivery, claims, re-runs, expiry) is in tests/store,
run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.store import Store
from bot.store.runs import is_alive, start_time, this_run

GONE = "elsewhere:4242:1"  # a process on another host: treated as gone
MAX_AGE = timedelta(minutes=10)


def owned_by(store: Store, event_id: str, run: str) -> None:
    """Pretend ``run`` took the event (as a killed worker would have)."""
    store.db.execute("update slack_events set boot = ? where event_id = ?", [run, event_id])


def test_a_live_process_keeps_its_rows(log: Store) -> None:
    parent = this_run().split(":")[0] + f":{os.getppid()}:"  # the pytest runner's parent
    log.inbox.first_delivery("EvLive", "{}")
    owned_by(log, "EvLive", parent + start_time(os.getppid()))
    assert log.inbox.claim_replay(MAX_AGE) == []


def test_orphan_case_of_a_killed_reply_is_dropped_but_answered_ones_stay(log: Store) -> None:
    since = log.conn.now()
    orphan = log.cases.open(source="channel", level="answer", channel="C1", thread_ts="1.0",
                            user="U1")  # fmt: skip
    answered = log.cases.open(source="channel", level="answer", channel="C1", thread_ts="2.0",
                              user="U1")  # fmt: skip
    log.cases.set_reply_ts(answered.id, "3.0")
    assert log.cases.drop_unanswered("C1", "2.0", "U1", since) == 0
    assert log.cases.drop_unanswered("C1", "1.0", "U2", since) == 0  # someone else's
    assert log.cases.drop_unanswered("C1", "1.0", "U1", since) == 1
    assert log.cases.get(orphan.id) is None and log.cases.get(answered.id) is not None


def test_is_alive_knows_a_finished_process_from_a_running_one() -> None:
    assert is_alive(this_run())
    child = subprocess.run(
        [sys.executable, "-c", "from bot.store.runs import this_run; print(this_run())"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert not is_alive(child.stdout.strip())  # it has exited
    assert not is_alive(GONE) and not is_alive("") and not is_alive(None)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_reused_pid_is_not_the_process_that_died() -> None:
    host, pid, _ = this_run().split(":")
    assert not is_alive(f"{host}:{pid}:1")  # same pid, another start time
