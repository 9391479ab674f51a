"""The HTTP runtime (serve.create_wsgi_app) over real HTTP: signatures, health, retries."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import replace

import pytest

from bot.config import Settings
from tests.support import payloads as P
from tests.support import slack_requests as R
from tests.support.http_harness import LiveBot
from tests.support.signing import sign

ON_TOPIC = "Times Opened stays at 0 for every email to Outlook 2010 users"


@pytest.fixture
def live_settings(live_settings: Settings) -> Settings:
    """A 5xx is retried after 5 ms here (SLACK_RETRY_BACKOFF), not production's 0.5 s."""
    return replace(live_settings, slack_retry_backoff=0.005)


def get(bot: LiveBot, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(bot.base + path, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_a_bad_signature_is_rejected(live: LiveBot):
    body = json.dumps(P.event_body(P.message(ON_TOPIC)))
    forged = sign(body, secret="not-the-secret")
    response = live.send(body, "application/json", **forged)
    assert response.status == 401
    assert live.slack.calls("chat.postMessage") == []


def test_a_stale_timestamp_is_rejected(live: LiveBot):
    body = json.dumps(P.event_body(P.message(ON_TOPIC)))
    six_minutes_ago = int(time.time()) - 6 * 60
    response = live.send(body, "application/json", **sign(body, timestamp=six_minutes_ago))
    assert response.status == 401
    assert live.slack.calls("chat.postMessage") == []


def test_url_verification_gets_its_challenge_back(live: LiveBot):
    body = json.dumps({"token": "x", "challenge": "abc123", "type": "url_verification"})
    response = live.send(body, "application/json")
    assert response.status == 200 and "abc123" in response.body


def test_a_rate_limited_reply_is_retried_and_arrives(live: LiveBot):
    live.slack.rate_limit("chat.postMessage", times=1, retry_after=1)
    live.event(P.message(ON_TOPIC))
    posts = live.slack.calls("chat.postMessage")
    assert len(posts) == 2  # the 429, then the retry after Retry-After
    assert posts[0] == posts[1] and "Outlook 2010" in posts[1]["text"]
    first, retry = live.slack.requests("chat.postMessage")
    assert retry.at - first.at >= 1.0  # Retry-After: 1 was honoured
    _, metrics = get(live, "/metrics")
    assert 'emailstatus_slack_api_retries_total{reason="rate_limited"}' in metrics


def test_healthz_reports_ok_with_a_small_json_status(live: LiveBot):
    status, body = get(live, "/healthz")
    assert status == 200
    assert json.loads(body) == {"status": "ok", "articles": 3, "problems": []}


def test_unknown_paths_and_wrong_methods(live: LiveBot):
    assert get(live, "/nope")[0] == 404
    assert get(live, "/slack/events")[0] == 405


def test_metrics_count_questions_and_dedupe_hits(live: LiveBot):
    def value(text: str, sample: str) -> float:
        line = next((x for x in text.splitlines() if x.startswith(sample + " ")), None)
        return float(line.split()[-1]) if line else 0.0

    answered = 'emailstatus_questions_total{level="answer"}'
    dedupe = "emailstatus_event_dedupe_hits_total"
    before = get(live, "/metrics")[1]
    live.event(P.message(ON_TOPIC), event_id="EvMetrics1")
    live.event(P.message(ON_TOPIC), event_id="EvMetrics1", **{"X-Slack-Retry-Num": "1"})
    after = get(live, "/metrics")[1]
    assert value(after, answered) == value(before, answered) + 1
    assert value(after, dedupe) == value(before, dedupe) + 1


def test_a_slack_server_error_is_retried_and_the_reply_arrives(live: LiveBot):
    live.slack.fail_next("chat.postMessage", 500)
    live.event(P.message(ON_TOPIC))
    first, retry = live.slack.calls("chat.postMessage")
    assert first == retry and "Outlook 2010" in retry["text"]


def test_an_api_error_is_not_retried_and_the_server_keeps_serving(live: LiveBot):
    live.slack.fail_next("chat.postMessage", error="not_in_channel")
    live.event(P.message(ON_TOPIC))
    assert len(live.slack.calls("chat.postMessage")) == 1  # an error body is final
    live.event(P.message(ON_TOPIC))
    assert len(live.slack.calls("chat.postMessage")) == 2


SIGNED = {
    "command": (lambda url: R.command_request("2010", response_url=url), 200),
    "wrong secret": (lambda url: R.command_request("2010", response_url=url, secret="x"), 401),
    "1970 timestamp": (lambda url: R.command_request("2010", response_url=url, timestamp=1), 401),
    "shortcut": (lambda url: R.shortcut_request(ON_TOPIC, response_url=url), 200),
    # A first delivery that Slack labels a retry (our ack was lost) is still answered.
    "retried dm": (lambda url: R.event_request(R.dm(ON_TOPIC), retry_num=1), 200),
}


@pytest.mark.parametrize("kind", sorted(SIGNED))
def test_every_kind_of_signed_request_is_verified(live: LiveBot, kind: str):
    # Signed with slack_sdk's own SignatureVerifier (tests.support.slack_requests).
    build, expected = SIGNED[kind]
    url = live.slack.response_url()
    response = build(url).post(live.url)
    assert response.status == expected
    live.executor.drain()
    replied = live.slack.responses(url) + live.slack.calls("chat.postMessage")
    in_ack = expected == 200 and bool(response.body)  # a slash command's reply is its ack
    assert len(replied) + in_ack == (1 if expected == 200 else 0)


def test_a_slash_command_is_answered_while_every_listener_thread_is_busy(live: LiveBot):
    """Slash commands run on the request thread (serve's command App), not on bolt's
    listener pool: a pool busy with slow Slack calls does not delay their answer."""
    release = threading.Event()
    busy = [live.executor.submit(release.wait, 10) for _ in range(live.executor._max_workers)]
    try:
        started = time.monotonic()
        url = live.slack.response_url()
        response = R.command_request("2010", response_url=url).post(live.url)
        assert response.status == 200 and "Outlook 2010" in response.body
        assert time.monotonic() - started < 1.0  # bolt would wait 3 s for a free thread
    finally:
        release.set()
        for each in busy:
            each.result(5)
