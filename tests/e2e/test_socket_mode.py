"""Socket Mode end to end: the runner's own bot and SocketModeHandler, fed envelopes.

``serve.build_bot`` and ``serve.socket_mode_handler`` are what ``emailstatus-bot run``
uses. Only the WebSocket side is replaced: a recording stand-in for slack_sdk's client
receives envelopes as Slack would send them (unsigned JSON) and keeps the acks the
handler sends back. Replies go to the fake Web API over real HTTP.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.socket_mode.client import BaseSocketModeClient

from bot.config import Settings
from bot.slack.serve import Bot, build_bot, socket_mode_handler
from tests.support import payloads as P
from tests.support import slack_requests as R
from tests.support.blockkit import action_ids, all_text
from tests.support.fake_slack import FakeSlackApi

ON_2010 = "Times Opened never moves past 0 for our rep's emails; recipients run Outlook 2010."
NO_VERSION = "HTML Email Status never changes after the contact reads it in Outlook. Why?"


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


class SocketBot:
    def __init__(self, bot: Bot, socket: RecordingSocket, slack: FakeSlackApi) -> None:
        self.bot, self.socket, self.slack = bot, socket, slack

    def finish(self) -> None:
        """Wait for every listener in flight (bounded), as the runner does on exit."""
        self.bot.close()


def close_quickly(client: BaseSocketModeClient) -> None:
    """Stop the real client's threads without waiting out its 1 s queue poll."""
    client.closed = True
    client.message_queue.put(None)  # wakes the processor, which then sees ``closed``
    client.close()


@pytest.fixture
def socket_bot(slack: FakeSlackApi, tmp_path: Path) -> Iterator[SocketBot]:
    settings = Settings(
        slack_bot_token="xoxb-test",
        slack_app_token="xapp-1-test",
        slack_api_url=slack.url,
        db_path=str(tmp_path / "bot.db"),
    )
    assert settings.runtime_mode() == "socket"
    bot = build_bot(settings, listener_threads=4)
    handler = socket_mode_handler(bot)
    close_quickly(handler.client)  # the stand-in replaces it
    socket = RecordingSocket(handler.client)
    handler.client = socket  # type: ignore[assignment]
    made = SocketBot(bot, socket, slack)
    yield made
    made.finish()


def test_a_channel_question_is_acked_and_answered_in_its_thread(socket_bot: SocketBot):
    event = R.channel_question(ON_2010)
    message = R.event_envelope(event)
    ack = socket_bot.socket.deliver(message)
    assert ack == {"envelope_id": message["envelope_id"]}  # empty ack: reply comes later
    [reply] = socket_bot.slack.wait_for("chat.postMessage")
    assert reply["channel"] == event["channel"] and reply["thread_ts"] == event["ts"]
    assert "Steps for Outlook 2010" in all_text(reply)


def test_a_redelivered_event_gets_no_second_reply(socket_bot: SocketBot):
    event = R.channel_question(ON_2010)
    socket_bot.socket.deliver(R.event_envelope(event, event_id="EvSocket1"))
    retry = R.event_envelope(event, event_id="EvSocket1", retry_attempt=1)
    assert socket_bot.socket.deliver(retry) == {"envelope_id": retry["envelope_id"]}
    socket_bot.finish()
    assert len(socket_bot.slack.calls("chat.postMessage")) == 1


def test_the_slash_command_replies_to_its_response_url(socket_bot: SocketBot):
    url = socket_bot.slack.response_url()
    socket_bot.socket.deliver(R.command_envelope("2010", response_url=url))
    socket_bot.finish()
    [reply] = socket_bot.slack.responses(url)
    assert reply["response_type"] == "ephemeral"
    assert "Steps for Outlook 2010" in all_text(reply)


def test_the_version_picker_click_updates_the_answer(socket_bot: SocketBot):
    event = R.channel_question(NO_VERSION)
    socket_bot.socket.deliver(R.event_envelope(event))
    [picker] = socket_bot.slack.wait_for("chat.postMessage")
    assert "pick_version" in action_ids(picker)
    url = socket_bot.slack.response_url()
    click = R.action_envelope(
        picker, "pick_version", value="2013+", response_url=url, thread_ts=event["ts"]
    )
    socket_bot.socket.deliver(click)
    socket_bot.finish()
    updated = socket_bot.slack.calls("chat.update") + socket_bot.slack.responses(url)
    assert any("Outlook 2013" in all_text(u) for u in updated), updated


def test_the_message_shortcut_answers_in_the_messages_thread(socket_bot: SocketBot):
    url = socket_bot.slack.response_url()
    shortcut = R.shortcut_envelope(ON_2010, response_url=url, ts="1760000000.000777")
    socket_bot.socket.deliver(shortcut)
    socket_bot.finish()
    [reply] = socket_bot.slack.calls("chat.postMessage")
    assert reply["thread_ts"] == "1760000000.000777"
    assert "Steps for Outlook 2010" in all_text(reply)


def test_app_home_is_published(socket_bot: SocketBot):
    socket_bot.socket.deliver(R.event_envelope(P.home_opened(user="U0AGENT")))
    [published] = socket_bot.slack.wait_for("views.publish")
    assert published["user_id"] == "U0AGENT" and published["view"]["type"] == "home"
