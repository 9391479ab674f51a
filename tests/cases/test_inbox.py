"""The durable inbox: events owed a reply, claimed once for a re-run, payloads dropped."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.store import Store
from bot.store.runs import is_alive, start_time, this_run
from tests.cases.support import Clock

GONE = "elsewhere:4242:1"  # a process on another host: treated as gone
MAX_AGE = timedelta(minutes=10)


def owned_by(store: Store, event_id: str, run: str) -> None:
    """Pretend ``run`` took the event (as a killed worker would have)."""
    store.db.execute("update slack_events set boot = ? where event_id = ?", [run, event_id])


def test_an_event_with_a_payload_is_owed_until_done(log: Store) -> None:
    assert log.inbox.first_delivery("Ev1", '{"event": {}}')
    assert log.inbox.first_delivery("Ev2")  # nothing to re-run: settled at once
    assert log.inbox.undone() == 1
    log.inbox.done("Ev1")
    row = log.db.table("slack_events").get("Ev1")
    assert log.inbox.undone() == 0 and row["done_at"] and row["payload"] is None
    assert not log.inbox.first_delivery("Ev1", '{"event": {}}')  # a retry is still a retry


def test_undone_events_of_a_gone_process_are_claimed_exactly_once(db_path: Path) -> None:
    first, second = Store(db_path), Store(db_path)  # two workers on one file
    for n in range(3):
        first.inbox.first_delivery(f"Ev{n}", f'{{"n": {n}}}')
        owned_by(first, f"Ev{n}", GONE)
    first.inbox.first_delivery("EvMine", "{}")  # this process is alive: not claimed
    first.inbox.posting("Ev1")  # its reply had started to go out
    claimed = first.inbox.claim_replay(MAX_AGE)
    assert [p.event_id for p in claimed] == ["Ev0", "Ev1", "Ev2"]
    assert claimed[1].payload == '{"n": 1}'
    assert [bool(p.posting_at) for p in claimed] == [False, True, False]
    assert second.inbox.claim_replay(MAX_AGE) == []  # the other worker gets none of them
    assert first.inbox.claim_replay(MAX_AGE) == []  # and no row twice
    first.close()
    second.close()


def test_a_live_process_keeps_its_rows(log: Store) -> None:
    parent = this_run().split(":")[0] + f":{os.getppid()}:"  # the pytest runner's parent
    log.inbox.first_delivery("EvLive", "{}")
    owned_by(log, "EvLive", parent + start_time(os.getppid()))
    assert log.inbox.claim_replay(MAX_AGE) == []


def test_too_old_events_are_not_rerun_and_their_payload_goes(log: Store, clock: Clock) -> None:
    log.inbox.first_delivery("EvOld", "question text")
    owned_by(log, "EvOld", GONE)
    clock.advance(minutes=11)
    assert log.inbox.claim_replay(MAX_AGE) == []
    assert log.inbox.expire(MAX_AGE) == 1
    assert log.db.table("slack_events").get("EvOld")["payload"] is None
    assert log.inbox.expire(MAX_AGE) == 0


def test_give_up_keeps_the_row_and_drops_the_payload(log: Store) -> None:
    log.inbox.first_delivery("EvX", "question text")
    log.inbox.give_up("EvX")
    assert log.db.table("slack_events").get("EvX")["payload"] is None
    assert not log.inbox.first_delivery("EvX", "again")


def test_the_message_claim_names_its_event(log: Store) -> None:
    assert log.inbox.claim_message("C1", "1.0", "EvA")
    assert not log.inbox.claim_message("C1", "1.0", "EvB")
    assert log.inbox.message_claimed_by("C1", "1.0") == "EvA"
    assert log.inbox.message_claimed_by("C1", "2.0") is None


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
