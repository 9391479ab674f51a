"""Transient faults from Slack lose nothing: resets, 5xx and 429 storms are retried until
a deadline (``bot.slack.deadline``), through the real WSGI app and the fake Web API."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import metrics
from bot.config import Settings
from bot.slack import deadline
from bot.slack.app import CountsApiErrors
from bot.slack.deadline import CappedBackoff, retry_handlers, within
from bot.slack.inbox_rerun import InboxRerun, OwedSweeper
from tests.support import payloads as P
from tests.support.fake_slack import FakeSlackApi
from tests.support.http_harness import LiveBot, live_with

ON_TOPIC = "Times Opened stays at 0 for every email to Outlook 2010 users"
# SLACK_RETRY_BACKOFF for these tests: the same doubling series, a hundred times faster
# (0.5 s, 1, 2, 4 in production: a storm of four failures waited 7.5 s per test).
QUICK_BACKOFF = 0.005


@pytest.fixture
def live_settings(live_settings: Settings) -> Settings:
    return replace(live_settings, slack_retry_backoff=QUICK_BACKOFF)


def test_the_production_back_off_is_half_a_second_doubling_up_to_five():
    assert Settings().slack_retry_backoff == Settings.from_env({}).slack_retry_backoff == 0.5
    assert [deadline.backoff(attempt) for attempt in range(7)] == [0.5, 1, 2, 4, 5, 5, 5]
    waits = [CappedBackoff().calculate_sleep_duration(attempt) for attempt in range(6)]
    for wait, step in zip(waits, [0.5, 1, 2, 4, 5, 5], strict=True):
        assert step <= wait < step + 0.1  # and a little jitter, so workers spread out
    assert [deadline.backoff(n, first=0.01) for n in (0, 1, 2, 9)] == [0.01, 0.02, 0.04, 5]


@pytest.mark.parametrize(
    ("value", "seconds", "problem"),
    [
        ("0.5", 0.5, None),
        ("0.05", 0.05, None),
        ("5", 5.0, None),
        ("0", 0.5, "SLACK_RETRY_BACKOFF '0' must be seconds from 0.01 to 5; using 0.5."),
        ("60", 0.5, "SLACK_RETRY_BACKOFF '60' must be seconds from 0.01 to 5; using 0.5."),
        ("nan", 0.5, "SLACK_RETRY_BACKOFF 'nan' must be seconds from 0.01 to 5; using 0.5."),
        ("-1", 0.5, "SLACK_RETRY_BACKOFF '-1' must be seconds from 0.01 to 5; using 0.5."),
        ("soon", 0.5, "SLACK_RETRY_BACKOFF 'soon' is not a number; using 0.5."),
    ],
)
def test_slack_retry_backoff_is_checked(value: str, seconds: float, problem: str | None):
    settings = Settings.from_env({"SLACK_RETRY_BACKOFF": value})
    assert settings.slack_retry_backoff == seconds
    assert settings.parse_problems == (() if problem is None else (problem,))


def test_the_setting_reaches_both_web_api_calls_and_response_url_replies(live: LiveBot):
    calculators = [getattr(h, "interval_calculator", None) for h in live.app.client.retry_handlers]
    backoffs = [c.first for c in calculators if isinstance(c, CappedBackoff)]
    assert backoffs == [QUICK_BACKOFF, QUICK_BACKOFF]  # connection errors and 5xx
    url = live.slack.response_url()
    live.slack.fail_next(url.removeprefix(live.slack.base + "/"), 500, times=3)
    started = time.monotonic()
    live.send(P.interactive_form(P.block_actions(
        live.command(""), "pick_version", value="2010", response_url=url, ephemeral=True
    )), "application/x-www-form-urlencoded")  # fmt: skip
    assert len(live.slack.responses(url)) == 4
    assert time.monotonic() - started < 3.0  # production waits 0.5 + 1 + 2 = 3.5 s


def test_a_connection_reset_on_the_reply_is_retried_and_the_reply_arrives(live: LiveBot):
    live.slack.drop("chat.postMessage")
    live.event(P.message(ON_TOPIC))
    posts = live.slack.calls("chat.postMessage")
    assert len(posts) == 2 and posts[0] == posts[1]  # the reset, then the retry
    assert "Outlook 2010" in posts[1]["text"]
    assert live.engine.store.inbox.undone() == 0  # nothing is still owed


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_a_storm_of_four_failures_in_a_row_still_delivers_the_reply(live: LiveBot, status: int):
    live.slack.fail_next("chat.postMessage", status, times=4, retry_after=0, error="x")
    live.event(P.message(ON_TOPIC))
    posts = live.slack.calls("chat.postMessage")
    assert len(posts) == 5 and "Outlook 2010" in posts[-1]["text"]
    assert live.engine.store.inbox.undone() == 0


def client_for(slack: FakeSlackApi) -> WebClient:
    handlers = [CountsApiErrors(), *retry_handlers(QUICK_BACKOFF)]
    return WebClient(token="xoxb-test", base_url=slack.url, retry_handlers=handlers)


def retries(reason: str) -> float:
    body = metrics.exposition()[0].decode()
    line = f'emailstatus_slack_api_retries_total{{reason="{reason}"}}'
    found = [row for row in body.splitlines() if row.startswith(line)]
    return float(found[0].split()[-1]) if found else 0.0


def test_retries_stop_at_the_deadline_and_say_so(slack: FakeSlackApi):
    slack.rate_limit("chat.postMessage", times=50, retry_after=1)
    before = retries("deadline_passed")
    started = time.monotonic()
    with within(2.0), pytest.raises(SlackApiError):
        client_for(slack).chat_postMessage(channel="C1", text="hi")
    took = time.monotonic() - started
    assert 1.0 <= took < 2.5  # waited out Retry-After once, but not past the deadline
    assert len(slack.calls("chat.postMessage")) == 2
    assert retries("deadline_passed") == before + 1  # counted, not silent


def test_connection_errors_are_retried_with_back_off_until_the_call_budget(slack: FakeSlackApi):
    slack.drop("chat.postMessage", times=3)
    answer = client_for(slack).chat_postMessage(channel="C1", text="hi")
    assert answer["ok"] and len(slack.calls("chat.postMessage")) == 4


def test_a_reply_that_ran_out_of_time_stays_owed_and_the_worker_delivers_it_later(
    live: LiveBot, live_settings: Settings, monkeypatch
):
    monkeypatch.setattr(deadline, "CALL_BUDGET", 1.0)  # Retry-After 1 s no longer fits
    live.slack.rate_limit("chat.postMessage", times=2, retry_after=1)
    live.event(P.message(ON_TOPIC))
    assert len(live.slack.calls("chat.postMessage")) == 1  # gave up at the deadline...
    assert live.engine.store.inbox.undone() == 1  # ...but the reply is still owed
    sweeper = OwedSweeper(InboxRerun(live.engine, live_settings, live.app.client), timedelta(0))
    assert sweeper.sweep()["retry_later"] == 1  # still rate-limited: still owed
    assert live.engine.store.inbox.undone() == 1
    assert sweeper.sweep()["replayed"] == 1
    posts = live.slack.calls("chat.postMessage")
    assert len(posts) == 3 and "Outlook 2010" in posts[-1]["text"]
    assert live.slack.calls("conversations.replies")  # the thread was read back first
    assert live.engine.store.inbox.undone() == 0
    assert sum(sweeper.sweep().values()) == 0  # answered once, never again


def test_an_owed_reply_past_its_deadline_is_logged_and_counted_as_failed(
    live: LiveBot, live_settings: Settings, monkeypatch, caplog
):
    monkeypatch.setattr(deadline, "CALL_BUDGET", 0.5)
    live.slack.rate_limit("chat.postMessage", times=1, retry_after=1)
    live.event(P.message(ON_TOPIC))
    assert live.engine.store.inbox.undone() == 1
    expired = replace(live_settings, inbox_replay_max_age=0.0)
    sweeper = OwedSweeper(InboxRerun(live.engine, expired, live.app.client), timedelta(0))
    next_whole_second()  # stored times have whole seconds
    with caplog.at_level(logging.ERROR, logger="bot.slack.inbox_rerun"):
        sweeper.sweep()
    assert "1 owed replies failed" in caplog.text
    assert 'emailstatus_inbox_replayed_total{outcome="failed"}' in metrics.exposition()[0].decode()
    assert live.engine.store.inbox.undone() == 0


def next_whole_second() -> None:
    """Sleep into the next second of the clock: what was stored until now is older."""
    time.sleep(1.02 - time.time() % 1)


def test_private_mode_empties_the_wal_after_the_question_is_blanked(
    live_settings: Settings, slack: FakeSlackApi, knowledge
):
    settings = replace(live_settings, store_question_text=False)
    bot = live_with(settings, slack, knowledge)
    try:
        question = "Zorblax customer opens stay at zero on Outlook 2010"
        bot.event(P.message(question))
        assert bot.engine.store.inbox.undone() == 0  # answered: the payload was blanked
        wal = Path(settings.db_path + "-wal")
        assert b"Zorblax" in wal.read_bytes()  # ...but its old page is still in the WAL
        OwedSweeper(InboxRerun(bot.engine, settings, bot.app.client)).sweep()
        assert b"Zorblax" not in wal.read_bytes() and wal.stat().st_size == 0
        assert b"Zorblax" not in Path(settings.db_path).read_bytes()
    finally:
        bot.close()
