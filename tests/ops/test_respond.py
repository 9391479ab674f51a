"""Replies through a response_url: retried on 429 and 5xx, logged and counted when lost.

Before, bolt's respond() posted once: a 500 or 429 from the response_url returned
quietly and the reply was lost, with no log line and no metric. Slash commands now
answer in their ack; a click on a button of that (ephemeral) answer still replies
through the click's response_url, so that is what these tests send.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from bot import metrics
from bot.config import Settings
from bot.slack import deadline
from bot.slack.respond import ConnectionPool, RetryingRespond
from tests.support import payloads as P
from tests.support.http_harness import LiveBot, live, slack, slack_server

__all__ = ["live", "slack", "slack_server"]  # fixtures, used by name
FORM = "application/x-www-form-urlencoded"
# SLACK_RETRY_BACKOFF here: production's doubling series (0.5 s, 1, 2, 4: a storm of four
# 500s waited 7.5 s), a hundred times faster. test_retry_waits_double pins production's.
QUICK_BACKOFF = 0.005


@pytest.fixture
def backoff() -> float:
    return QUICK_BACKOFF


@pytest.fixture
def live_settings(live_settings: Settings, backoff: float) -> Settings:
    return replace(live_settings, slack_retry_backoff=backoff)


def counter(sample: str) -> float:
    text = metrics.exposition()[0].decode()
    found = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


RETRIED_5XX = 'emailstatus_slack_api_retries_total{reason="server_error"}'
RETRIED_429 = 'emailstatus_slack_api_retries_total{reason="rate_limited"}'
LOST_500 = 'emailstatus_slack_api_errors_total{error="response_url_http_500"}'


def pick_a_version_in_a_slash_reply(live: LiveBot, url: str) -> None:
    """Click Outlook 2010 in /emailstatus's picker: the listener replaces it via ``url``."""
    picker = live.command("")
    live.send(P.interactive_form(P.block_actions(
        picker, "pick_version", value="2010", response_url=url, ephemeral=True
    )), FORM)  # fmt: skip


def test_a_500_from_the_response_url_is_retried(live: LiveBot):
    url = live.slack.response_url()
    live.slack.fail_next(url.removeprefix(live.slack.base + "/"), 500)
    before = counter(RETRIED_5XX)
    pick_a_version_in_a_slash_reply(live, url)
    posts = live.slack.responses(url)
    assert len(posts) == 2 and posts[1]["text"]  # the failed one, then the reply
    assert counter(RETRIED_5XX) - before == 1


def test_a_429_waits_for_retry_after_then_retries(live: LiveBot):
    url = live.slack.response_url()
    live.slack.rate_limit(url.removeprefix(live.slack.base + "/"), retry_after=1)
    before = counter(RETRIED_429)
    pick_a_version_in_a_slash_reply(live, url)
    [first, second] = live.slack.requests(url.removeprefix(live.slack.base + "/"))
    assert second.at - first.at >= 0.9
    assert counter(RETRIED_429) - before == 1


@pytest.mark.parametrize("backoff", [0.2])  # production's 0.5 s, 1 s, 2 s: 0.2, 0.4, 0.8
def test_a_reply_lost_at_the_deadline_is_logged_and_counted(live: LiveBot, caplog, monkeypatch):
    monkeypatch.setattr(deadline, "CALL_BUDGET", 0.8)  # a short deadline, for the test's sake
    url = live.slack.response_url()
    live.slack.fail_next(url.removeprefix(live.slack.base + "/"), 500, times=50)
    before = counter(LOST_500)
    with caplog.at_level(logging.WARNING, logger="bot.slack.respond"):
        pick_a_version_in_a_slash_reply(live, url)
    assert 3 <= len(live.slack.responses(url)) <= 4  # 0.2 s, then 0.4 s apart, until 0.8 s
    assert counter(LOST_500) - before == 1
    assert "reply to response_url lost: HTTP 500" in caplog.text


def test_a_storm_of_500s_on_the_response_url_is_outlasted(live: LiveBot):
    url = live.slack.response_url()
    live.slack.fail_next(url.removeprefix(live.slack.base + "/"), 500, times=4)
    pick_a_version_in_a_slash_reply(live, url)
    posts = live.slack.responses(url)
    assert len(posts) == 5 and posts[-1]["text"]


def test_a_dropped_connection_to_the_response_url_is_retried(live: LiveBot):
    url = live.slack.response_url()
    live.slack.drop(url.removeprefix(live.slack.base + "/"), times=2)
    pick_a_version_in_a_slash_reply(live, url)
    posts = live.slack.responses(url)
    assert len(posts) == 3 and posts[-1]["text"]


class _KeepAlive(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Slack's hooks.slack.com
    connections: ClassVar[list[int]] = []
    lock = threading.Lock()

    def setup(self) -> None:
        super().setup()
        with self.lock:
            self.connections.append(id(self.connection))

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
        if self.path == "/close":  # a server that drops idle connections
            self.close_connection = True

    def log_message(self, *args: Any) -> None:
        pass


def test_connections_are_kept_alive_and_a_dropped_one_is_reopened():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _KeepAlive)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    respond = RetryingRespond(response_url=f"{base}/r", pool=ConnectionPool())
    try:
        for _ in range(3):
            assert respond(text="hi").status_code == 200
        assert len(_KeepAlive.connections) == 1  # bolt's respond() opened one per reply
        closing = RetryingRespond(response_url=f"{base}/close", pool=respond.pool)
        assert closing(text="bye").status_code == 200  # the server closes it after this
        assert respond(text="again").status_code == 200  # a new connection, no error
        assert len(_KeepAlive.connections) == 2
    finally:
        server.shutdown()
        server.server_close()


def test_retry_waits_double_from_half_a_second_up_to_five() -> None:
    """Production's series (SLACK_RETRY_BACKOFF unset), for 5xx and dropped connections."""
    waits: list[float] = []

    class Pool(ConnectionPool):
        answers: ClassVar[list[int]] = [500, 502, 0, 503, 500, 0, 200]

        def post(self, url: str, body: bytes) -> tuple[int, dict[str, str], str]:
            status = self.answers.pop(0)
            if not status:
                raise ConnectionResetError("dropped")
            return status, {}, "ok"

    respond = RetryingRespond(response_url="http://x/r", pool=Pool(), sleep=waits.append)
    assert respond(text="hi").status_code == 200 and waits == [0.5, 1, 2, 4, 5, 5]


def test_retry_after_is_capped():
    waits: list[float] = []

    class Pool(ConnectionPool):
        answers: ClassVar[list[tuple[int, dict[str, str], str]]] = [
            (429, {"Retry-After": "3600"}, ""),
            (200, {}, "ok"),
        ]

        def post(self, url: str, body: bytes) -> tuple[int, dict[str, str], str]:
            return self.answers.pop(0)

    respond = RetryingRespond(response_url="http://x/r", pool=Pool(), sleep=waits.append)
    assert respond(text="hi").status_code == 200 and waits == [30.0]
