"""The bot over real HTTP on 127.0.0.1, for the end-to-end surface tests.

The app from ``build_app`` runs exactly as in production (``process_before_response``
False: bolt acks at once and replies from its listener threads), served by bolt's WSGI
adapter on ``POST /slack/events``. Requests are signed like Slack's. The listener pool
is one the test can wait on (``drain``), so "no reply" is checked after the work is
done, without sleeping.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from bot.config import Settings
from bot.knowledge import KnowledgeBase
from bot.slack.app import build_app, build_command_app
from bot.slack.serve import create_wsgi_app
from tests.support import payloads as P
from tests.support.engines import engine_for
from tests.support.fake_slack import FakeSlackApi
from tests.support.signing import SECRET, sign
from tests.support.slack_driver import SlackDriver


class DrainableExecutor(ThreadPoolExecutor):
    """bolt's listener pool, plus a way to wait until every submitted listener is done."""

    def __init__(self) -> None:
        super().__init__(max_workers=5, thread_name_prefix="listener")
        self._futures: set[Future[Any]] = set()
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self._futures.add(future)
        return future

    def forget(self) -> None:
        """Stop tracking what was submitted (a test that cancelled the queue on purpose)."""
        with self._lock:
            self._futures.clear()

    def drain(self, timeout: float = 30.0) -> None:
        with self._lock:
            pending = list(self._futures)
            self._futures.clear()
        _, not_done = wait(pending, timeout=timeout)
        assert not not_done, f"{len(not_done)} listeners still running after {timeout}s"


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@dataclass
class Response:
    status: int
    body: str


class LiveBot(SlackDriver):
    """Sends Slack-signed HTTP requests to the served app and waits for its listeners."""

    def __init__(self, settings: Settings, slack: FakeSlackApi, knowledge: KnowledgeBase):
        self.settings = settings
        self.slack = slack
        self.engine = engine_for(settings, knowledge)
        self.executor = DrainableExecutor()
        self.app = build_app(settings, self.engine, listener_executor=self.executor)
        commands = build_command_app(settings, self.engine, client=self.app.client)
        wsgi = create_wsgi_app(self.app, self.engine, command_app=commands)  # as serve
        self._server = make_server("127.0.0.1", 0, wsgi, _Server, _QuietHandler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        self.base = f"http://127.0.0.1:{self._server.server_port}"
        self.url = f"{self.base}/slack/events"

    def ask_in_channel(self, text: str) -> tuple[dict[str, Any], dict[str, Any], Any]:
        """Post a question in a channel; return (event, the bot's reply, its case)."""
        event = P.message(text)
        self.event(event)
        [reply] = self.slack.calls("chat.postMessage")
        case = self.engine.store.cases.for_thread(event["channel"], event["ts"])
        assert case is not None
        self.slack.clear()
        return event, reply, case

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.executor.drain()
        self.executor.shutdown()
        self.engine.store.close()

    # -- raw requests ----------------------------------------------------------------

    def send(self, body: str, content_type: str, **headers: str) -> Response:
        all_headers = {"Content-Type": content_type, **sign(body), **headers}
        request = urllib.request.Request(self.url, body.encode(), all_headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                result = Response(answer.status, answer.read().decode())
        except urllib.error.HTTPError as error:
            result = Response(error.code, error.read().decode())
        self.executor.drain()  # the reply is sent by a listener thread after the ack
        return result


@pytest.fixture(scope="session")
def slack_server() -> Iterator[FakeSlackApi]:
    with FakeSlackApi(bot_user=P.BOT_USER, bot_id=P.BOT_ID, team=P.TEAM) as api:
        yield api


@pytest.fixture
def slack(slack_server: FakeSlackApi) -> FakeSlackApi:
    slack_server.clear()
    return slack_server


@pytest.fixture
def live_settings(slack: FakeSlackApi, tmp_path: Path) -> Settings:
    return Settings(
        slack_bot_token="xoxb-test", slack_signing_secret=SECRET, slack_api_url=slack.url,
        db_path=str(tmp_path / "bot.db"), escalation_channel="C0ESCALATE",
    )  # fmt: skip


@pytest.fixture
def live(live_settings: Settings, slack: FakeSlackApi, knowledge: KnowledgeBase):
    bot = LiveBot(live_settings, slack, knowledge)
    yield bot
    bot.close()


def live_with(settings: Settings, slack: FakeSlackApi, knowledge: KnowledgeBase, **changes: Any):
    return LiveBot(replace(settings, **changes), slack, knowledge)
