"""A bounded reply queue behind the real WSGI app (issue 21, point 6): when replies fall
behind, intake waits briefly for room, /healthz says "degraded", and nothing is dropped.

Before: nothing bounded the queue or said it was behind (replies 56 s after the ack and
worker memory from 120 to 278 MB under sustained load). Here one listener thread and
room for two waiting replies, with the fake Web API holding every post.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from wsgiref.simple_server import make_server

import pytest

from bot.config import Settings
from bot.knowledge import KnowledgeBase
from bot.slack import reply_queue
from bot.slack.app import build_app
from bot.slack.reply_queue import BoundedExecutor
from bot.slack.serve import create_wsgi_app
from tests.support import payloads as P
from tests.support.engines import engine_for
from tests.support.fake_slack import FakeSlackApi
from tests.support.http_harness import _QuietHandler, _Server
from tests.support.signing import sign

QUESTION = "Times Opened stays at 0 for every email to Outlook 2010 users"


@pytest.fixture
def served(
    live_settings: Settings, knowledge: KnowledgeBase, monkeypatch
) -> Iterator[tuple[str, BoundedExecutor]]:
    monkeypatch.setattr(reply_queue, "ROOM_WAIT", 0.3)
    engine = engine_for(live_settings, knowledge)
    pool = BoundedExecutor(1, 2, thread_name_prefix="listener")
    app = build_app(live_settings, engine, listener_executor=pool)
    wsgi = create_wsgi_app(app, engine, queue=pool)
    server = make_server("127.0.0.1", 0, wsgi, _Server, _QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", pool
    finally:
        server.shutdown()
        server.server_close()
        pool.shutdown()
        engine.store.close()


def post_event(base: str, event: dict) -> tuple[int, float]:
    body = json.dumps(P.event_body(event))
    headers = {"Content-Type": "application/json", **sign(body)}
    request = urllib.request.Request(base + "/slack/events", body.encode(), headers)
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status, time.monotonic() - started


def healthz(base: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_full_reply_queue_slows_intake_degrades_health_and_drops_nothing(
    served: tuple[str, BoundedExecutor], slack: FakeSlackApi
):
    base, pool = served
    assert healthz(base)[1]["status"] == "ok"
    slack.hold("chat.postMessage")
    events = [P.message(f"{QUESTION} (#{n})") for n in range(4)]
    try:
        acks = [post_event(base, event) for event in events[:3]]  # one replying, two waiting
        deadline = time.monotonic() + 10
        while pool.waiting() < 2:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        code, status = healthz(base)
        assert (code, status["status"]) == (200, "degraded")  # before: "ok", for ever
        assert status["problems"] == ["reply queue full (2 waiting)"]
        acks.append(post_event(base, events[3]))  # no room: waited, then queued anyway
        assert [status for status, _ in acks] == [200] * 4  # every event acked
        assert acks[3][1] >= 0.3  # intake slowed to the pace of replies
    finally:
        slack.release("chat.postMessage")
    deadline = time.monotonic() + 20
    while len(slack.posted()) < 4:
        assert time.monotonic() < deadline, slack.posted()
        time.sleep(0.05)
    threads = Counter(str(c.data.get("thread_ts")) for c in slack.posted())
    assert threads == Counter({event["ts"]: 1 for event in events})  # nothing dropped
    assert healthz(base)[1]["problems"] == ["reply queue overflowed in the last minute"]
