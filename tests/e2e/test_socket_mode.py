"""Socket Mode end to end: the runner's own bot and SocketModeHandler, fed envelopes.

Every scenario also runs over Socket Mode through the ``socket`` driver
(tests/slack/test_listeners.py); this module checks the runner's own wiring.

``serve.build_bot`` and ``serve.socket_mode_handler`` are what ``emailstatus-bot run``
uses. Only the WebSocket side is replaced: a recording stand-in for slack_sdk's client
receives envelopes as Slack would send them (unsigned JSON) and keeps the acks the
handler sends back. Replies go to the fake Web API over real HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.slack.serve import Bot, build_bot, socket_mode_handler
from tests.support import slack_requests as R
from tests.support.blockkit import all_text
from tests.support.drivers import RecordingSocket, close_quickly
from tests.support.fake_slack import FakeSlackApi

ON_2010 = "Times Opened never moves past 0 for our rep's emails; recipients run Outlook 2010."


class SocketBot:
    def __init__(self, bot: Bot, socket: RecordingSocket, slack: FakeSlackApi) -> None:
        self.bot, self.socket, self.slack = bot, socket, slack

    def finish(self) -> None:
        """Wait for every listener in flight (bounded), as the runner does on exit."""
        self.bot.close()


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
