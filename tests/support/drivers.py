"""One scenario, several drivers: the same Slack requests in-process, over HTTP, over Socket Mode.

A scenario test asks for ``driver`` (or ``make`` to change settings) and runs once per
transport:

- ``in-process``: signed ``BoltRequest``s dispatched into the App, listeners run before
  ``dispatch`` returns (``process_before_response=True``).
- ``http``: signed requests over real HTTP to the WSGI app (``LiveBot``), acked at once,
  replies from bolt's listener threads (drained before the test looks).
- ``socket``: unsigned Socket Mode envelopes through bolt's ``SocketModeHandler`` and
  slack_sdk's own listener dispatch; only the WebSocket is a recording stand-in.

Every driver talks to the same fake Slack Web API and builds its engine with
``tests.support.engines.engine_for``. Loaded by ``pytest_plugins`` in tests/conftest.py.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl

import pytest
from slack_bolt import App, BoltResponse
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.request import BoltRequest
from slack_sdk.socket_mode.client import BaseSocketModeClient

from bot.config import Settings
from bot.engine import Engine
from bot.knowledge import KnowledgeBase
from bot.slack.app import build_app
from tests.support import slack_requests as R
from tests.support.engines import engine_for, shared_matcher
from tests.support.fake_slack import FakeSlackApi
from tests.support.http_harness import DrainableExecutor, LiveBot, Response
from tests.support.signing import sign
from tests.support.slack_driver import SlackDriver

DRIVERS = ("in-process", "http", "socket")
# A weakly on-topic question: the bot should offer the article rather than answer.
SUGGEST = "not sure if it's related but opens look low for outlook folks"
CLEAR = "Times Opened never moves past 0 for our rep's emails; recipients run Outlook 2010."


def suggesting(knowledge: KnowledgeBase) -> dict[str, float]:
    """Thresholds that put SUGGEST in the suggest band while CLEAR still answers.

    Scores move as the matcher learns, so the band is set from today's scores.
    """
    matcher = shared_matcher(knowledge)
    weak, clear = matcher.match(SUGGEST).score, matcher.match(CLEAR).score
    assert weak < clear, (weak, clear)  # else the scenario cannot be staged
    return {"answer_threshold": (weak + clear) / 2, "suggest_threshold": 1.0}


class InProcessBot(SlackDriver):
    """Dispatches signed requests straight into the App, the way bolt's adapters do."""

    def __init__(self, settings: Settings, slack: FakeSlackApi, knowledge: KnowledgeBase):
        self.settings, self.slack = settings, slack
        self.engine: Engine = engine_for(settings, knowledge)
        self.app = build_app(settings, self.engine, process_before_response=True)

    def send(self, body: str, content_type: str, **headers: str) -> BoltResponse:
        all_headers: dict[str, str | Sequence[str]] = {
            "content-type": content_type,
            **sign(body),
            **headers,
        }
        return self.app.dispatch(BoltRequest(body=body, headers=all_headers))

    def close(self) -> None:
        self.engine.store.close()


class RecordingSocket(BaseSocketModeClient):
    """The WebSocket side of Socket Mode: envelopes in, acks recorded, no network.

    ``deliver`` runs slack_sdk's own ``run_message_listeners`` (envelope ->
    SocketModeRequest -> bolt's handler -> ack), as the real client does for each frame.
    """

    def __init__(self, handler_client: BaseSocketModeClient) -> None:
        self.logger = logging.getLogger("tests.socket_mode")
        self.web_client = handler_client.web_client
        self.app_token = handler_client.app_token
        self.message_listeners = []
        self.socket_mode_request_listeners = list(handler_client.socket_mode_request_listeners)
        self.closed = False
        self.acks: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def send_message(self, message: str) -> None:
        with self._lock:
            self.acks.append(json.loads(message))

    def disconnect(self) -> None:
        pass

    def deliver(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """Send one envelope; returns the ack the handler sent for it."""
        self.run_message_listeners(envelope, json.dumps(envelope))
        [ack] = [a for a in self.acks if a["envelope_id"] == envelope["envelope_id"]]
        return ack


def close_quickly(client: BaseSocketModeClient) -> None:
    """Stop the real client's threads without waiting out its 1 s queue poll."""
    client.closed = True
    client.message_queue.put(None)  # wakes the processor, which then sees ``closed``
    client.close()


def recording_socket(app: App, app_token: str) -> RecordingSocket:
    handler = SocketModeHandler(app, app_token)
    close_quickly(handler.client)
    socket = RecordingSocket(handler.client)
    handler.client = socket  # type: ignore[assignment]
    return socket


class SocketBot(SlackDriver):
    """Turns each request into the envelope Slack would send over the WebSocket."""

    def __init__(self, settings: Settings, slack: FakeSlackApi, knowledge: KnowledgeBase):
        self.settings, self.slack = settings, slack
        self.engine = engine_for(settings, knowledge)
        self.executor = DrainableExecutor()
        self.app = build_app(settings, self.engine, listener_executor=self.executor)
        self.socket = recording_socket(self.app, settings.slack_app_token)

    def send(self, body: str, content_type: str, **headers: str) -> Response:
        retry = {k.lower(): v for k, v in headers.items()}.get("x-slack-retry-num", "0")
        ack = self.socket.deliver(envelope_for(body, content_type, int(retry)))
        self.executor.drain()
        payload = ack.get("payload")
        return Response(200, json.dumps(payload) if payload else "")

    def close(self) -> None:
        self.executor.drain()
        self.executor.shutdown()
        self.engine.store.close()


def envelope_for(body: str, content_type: str, retry: int = 0) -> dict[str, Any]:
    """What an HTTP request body arrives as over Socket Mode."""
    if "json" in content_type:
        return R.envelope("events_api", json.loads(body), retry_attempt=retry)
    fields = dict(parse_qsl(body))
    if "payload" in fields:
        return R.envelope("interactive", json.loads(fields["payload"]))
    return R.envelope("slash_commands", fields)


KINDS: dict[str, Callable[[Settings, FakeSlackApi, KnowledgeBase], Any]] = {
    "in-process": InProcessBot,
    "http": LiveBot,
    "socket": SocketBot,
}


@pytest.fixture
def settings(live_settings: Settings) -> Settings:
    """What every driver runs with (Socket Mode needs the app-level token too)."""
    return replace(live_settings, slack_app_token="xapp-1-test")


@pytest.fixture(params=DRIVERS)
def driver_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make(
    driver_kind: str, settings: Settings, slack: FakeSlackApi, knowledge: KnowledgeBase
) -> Iterator[Callable[..., Any]]:
    """Build a driver of this test's kind, with settings changed; all closed at the end."""
    made: list[Any] = []

    def build(**changes: Any) -> Any:
        made.append(KINDS[driver_kind](replace(settings, **changes), slack, knowledge))
        return made[-1]

    yield build
    for each in made:
        each.close()


@pytest.fixture
def driver(make: Callable[..., Any]) -> Any:
    return make()
