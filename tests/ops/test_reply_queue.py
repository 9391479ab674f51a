"""A bounded reply queue (issue 21, point 6): intake slows to the pace of replies, an
overflow is counted, and /healthz says "degraded" while replies are behind."""

from __future__ import annotations

import threading

from bot import metrics
from bot.engine import Engine
from bot.slack import reply_queue
from bot.slack.reply_queue import BoundedExecutor
from bot.slack.serve import health


def overflows() -> float:
    body = metrics.exposition()[0].decode()
    line = 'emailstatus_reply_queue_total{event="overflow"}'
    found = [row for row in body.splitlines() if row.startswith(line)]
    return float(found[0].split()[-1]) if found else 0.0


def test_a_full_queue_slows_intake_is_counted_and_degrades_health(engine: Engine, monkeypatch):
    monkeypatch.setattr(reply_queue, "ROOM_WAIT", 0.2)
    release = threading.Event()
    pool = BoundedExecutor(1, 2, thread_name_prefix="test-listener")
    try:
        assert health(engine, None, pool)[1]["status"] == "ok"
        before = overflows()
        futures = [pool.submit(release.wait) for _ in range(3)]  # one running, two waiting
        code, status = health(engine, None, pool)
        assert (code, status["status"]) == (200, "degraded")  # before: no such state
        assert status["problems"] == ["reply queue full (2 waiting)"]
        futures.append(pool.submit(release.wait))  # no room: waited, then queued anyway
        assert overflows() == before + 1
        release.set()
        assert all(f.result(timeout=5) for f in futures)  # nothing dropped
        assert pool.waiting() == 0
        assert health(engine, None, pool)[1]["problems"] == [
            "reply queue overflowed in the last minute"
        ]
    finally:
        release.set()
        pool.shutdown()
