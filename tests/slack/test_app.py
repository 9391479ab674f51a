"""build_app: the client, its retries, the per-request clients bolt makes, verification."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from slack_bolt.request import BoltRequest
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings
from bot.slack.app import DEFAULT_API_URL, CountsApiErrors, build_client
from tests.support import payloads as P
from tests.support.drivers import InProcessBot as Bot
from tests.support.signing import sign


@pytest.mark.parametrize(
    ("configured", "expected"),
    [("", DEFAULT_API_URL), ("http://127.0.0.1:9/api", "http://127.0.0.1:9/api/"),
     ("https://slack-gov.com/api/", "https://slack-gov.com/api/")],
)  # fmt: skip
def test_client_uses_the_configured_api_url(configured, expected):
    client = build_client(Settings(slack_bot_token="xoxb-1", slack_api_url=configured))
    assert client.base_url == expected
    handlers = client.retry_handlers
    assert len(handlers) == 4 and isinstance(handlers[0], CountsApiErrors)  # counts, first
    assert any(isinstance(h, ConnectionErrorRetryHandler) for h in handlers)  # slack_sdk's default
    assert any(isinstance(h, RateLimitErrorRetryHandler) for h in handlers)
    assert any(isinstance(h, ServerErrorRetryHandler) for h in handlers) is False  # 5xx: ours


def test_per_request_clients_keep_base_url_and_retries(bot: Bot):
    seen = {}

    @bot.app.middleware
    def capture(context, next):
        seen["client"] = context.client
        return next()

    bot.event(P.home_opened())
    client = seen["client"]
    assert client is not bot.app.client  # bolt builds a new client per request...
    assert client.base_url == bot.slack.url  # ...copying the base URL (bolt 1.30)
    assert [type(h) for h in client.retry_handlers] == [
        type(h) for h in bot.app.client.retry_handlers
    ]
    assert bot.slack.calls("views.publish")  # and the call really went to the fake API


def test_no_auth_test_at_start_up_and_once_lazily(bot: Bot):
    assert bot.slack.methods() == []  # building the app called nothing
    bot.event(P.home_opened())
    bot.event(P.home_opened())
    assert bot.slack.methods().count("auth.test") == 1


def test_bad_signature_is_rejected_before_any_listener(bot: Bot):
    body = json.dumps(P.event_body(P.message("opens never counted on Outlook 2010")))
    headers: dict[str, str | Sequence[str]] = {
        "content-type": "application/json",
        **sign(body, secret="wrong"),
    }
    response = bot.app.dispatch(BoltRequest(body=body, headers=headers))
    assert response.status == 401
    assert bot.slack.calls("chat.postMessage") == []


def test_listener_errors_are_logged_with_the_traceback(bot: Bot, caplog):
    bot.slack.fail("views.publish", "internal_error")
    body = json.dumps(P.event_body(P.home_opened()))
    with caplog.at_level("ERROR", logger="bot.slack.app"):
        bot.send(body, "application/json")  # 500 here only because tests process first
    record = next(r for r in caplog.records if r.name == "bot.slack.app")
    assert record.exc_info is not None and "internal_error" in record.getMessage()


def test_socket_mode_requests_skip_signing_but_reach_the_listeners(bot: Bot):
    # Socket Mode payloads arrive unsigned over the app-token WebSocket; bolt marks them.
    body = P.event_body(P.message("Times Opened stays at 0 for our Outlook 2010 users"))
    response = bot.app.dispatch(BoltRequest(body=body, mode="socket_mode"))
    assert response.status == 200
    assert len(bot.slack.calls("chat.postMessage")) == 1
