"""Acked events whose handling meets a read-only moment are answered once it ends
(issue 21, point 2), through the real WSGI app and the fake Web API.

Before: 54 of 90 events acked around a 3-second read-only moment were never answered.
Then they were answered, but only after the stall timeout meant for replies whose Slack
calls ran out of time (3 minutes): the soak (bench/bench_soak.py) showed it. Now the next
owed-reply sweep (every 5 s) takes them up. The read-only moment is made for real with
the immutable flag (tests run as root, which ignores file modes).
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from bot.config import Settings
from bot.slack.inbox_rerun import InboxRerun, OwedSweeper
from tests.e2e.test_graceful_stop import send_without_waiting
from tests.ops.test_health import immutable
from tests.support import payloads as P
from tests.support.fake_slack import FakeSlackApi
from tests.support.http_harness import LiveBot

QUESTION = "Times Opened stays at 0 for every email to Outlook 2010 users"
LISTENERS = 5  # the harness's listener threads


def test_acked_events_caught_by_a_read_only_moment_are_answered_at_the_next_sweep(
    live: LiveBot, live_settings: Settings, slack: FakeSlackApi, caplog
):
    live.event(P.message(f"{QUESTION} (warm-up)"))  # the WAL exists
    slack.clear()
    db = Path(live_settings.db_path)
    slack.hold("chat.postMessage")  # every listener busy with a reply going out...
    events = [P.message(f"{QUESTION} (#{n})") for n in range(LISTENERS + 3)]
    for event in events:  # ...and three more acked, waiting for a listener
        assert send_without_waiting(live, event) == 200
    deadline = time.monotonic() + 10
    while len(slack.requests("chat.postMessage")) < LISTENERS:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    with immutable(db, db.with_name(db.name + "-wal")):  # not -shm: a SIGBUS
        slack.release("chat.postMessage")
        live.executor.drain()  # every listener ran, and failed to write
    assert live.engine.store.inbox.undone() == len(events)  # all still owed
    failed = [r for r in caplog.records if "failed on the database" in r.getMessage()]
    assert failed and not [r for r in caplog.records if r.exc_info]  # a line, no traceback
    sweeper = OwedSweeper(InboxRerun(live.engine, live_settings, live.app.client))
    counts = sweeper.sweep()  # the first sweep after the moment; before: nothing to do
    assert counts["already_replied"] == LISTENERS and counts["replayed"] == 3, counts
    threads = Counter(str(c.data.get("thread_ts")) for c in slack.posted())
    assert threads == Counter({event["ts"]: 1 for event in events})  # each answered once
    assert live.engine.store.inbox.undone() == 0
    assert sum(sweeper.sweep().values()) == 0  # and never again
