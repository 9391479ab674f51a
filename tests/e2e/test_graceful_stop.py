"""SIGTERM with a backlog: drain what fits, hand back the rest, no tracebacks (issue 21, 5).

``Bot.close`` is what gunicorn's worker exit and the Socket Mode signal handler call.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from bot.slack.serve import Bot
from bot.store import Store
from tests.support import payloads as P
from tests.support.http_harness import LiveBot
from tests.support.signing import sign


def send_without_waiting(live: LiveBot, event: dict) -> int:
    body = json.dumps(P.event_body(event))
    headers = {"Content-Type": "application/json", **sign(body)}
    request = urllib.request.Request(live.url, body.encode(), headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return int(answer.status)


def test_a_stop_with_a_backlog_hands_back_what_it_cannot_finish(live: LiveBot, caplog):
    live.slack.slow("chat.postMessage", 0.4)  # 5 listener threads, 20 events: a backlog
    with ThreadPoolExecutor(max_workers=4) as clients:
        statuses = list(clients.map(
            lambda n: send_without_waiting(live, P.message(f"Outlook 2010 opens stay at 0 ({n})")),
            range(20),
        ))  # fmt: skip
    assert statuses == [200] * 20  # all acked: every one is owed a reply
    # The harness's drainable pool stands in for serve's bounded one (same ThreadPoolExecutor).
    bot = Bot(live.settings, live.engine, live.app, live.executor, lambda: None)  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING):
        bot.close(wait_seconds=0.5)  # before: listeners ran on a closed database
    live.executor.forget()  # the handed-back ones were cancelled, never to run
    answered = len({c["thread_ts"] for c in live.slack.calls("chat.postMessage")})
    assert 0 < answered < 20
    assert "handed back" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    after = Store(live.settings.db_path)
    try:
        owed = after.inbox.undone()
        assert owed + answered >= 20  # nothing lost: the rest is still owed, for a re-run
        assert after.db.execute("select count(*) from runs").fetchone()[0] == 0  # lease ended
    finally:
        after.close()
