"""/metrics over real HTTP: each series moves when, and only when, its event happens.

The counters live in this process's registry and other tests move them too, so every
check is a difference between two scrapes around the action.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from slack_sdk.http_retry.response import HttpResponse

from bot.slack.app import api_failure
from tests.support import payloads as P
from tests.support.drivers import SUGGEST, suggesting
from tests.support.http_harness import LiveBot, live_with

ON_2010 = "Times Opened never moves past 0 for our rep's emails; recipients run Outlook 2010."
ON_MAC = "Times Opened stays at 0 for recipients on Outlook for Mac, why?"
OFF_TOPIC = "How do I look up why an email to a lead bounced?"
REPLY_TS = "1770000000.000900"


def scrape(bot: LiveBot, path: str = "/metrics") -> str:
    try:
        with urllib.request.urlopen(bot.base + path, timeout=5) as answer:
            return answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.read().decode()


def value(text: str, sample: str) -> float:
    """One sample's value, e.g. 'emailstatus_questions_total{level="answer"}'; 0 if absent."""
    found = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def delta(bot: LiveBot, samples: list[str], action: Callable[[], Any]) -> list[float]:
    before = scrape(bot)
    action()
    bot.executor.drain()
    after = scrape(bot)
    return [value(after, s) - value(before, s) for s in samples]


def test_every_series_is_exposed_before_it_moves(live: LiveBot):
    text = scrape(live)
    for name in (
        "emailstatus_questions_total",
        "emailstatus_answers_total",
        "emailstatus_feedback_total",
        "emailstatus_slack_api_errors_total",
        "emailstatus_slack_api_retries_total",
        "emailstatus_event_dedupe_hits_total",
        "emailstatus_request_seconds",
    ):
        assert f"# HELP {name} " in text, name
    assert "python_gc_" not in text  # our own registry: the bot's series and nothing else


QUESTIONS = [
    ("answer with a version", ON_2010, "answer", "2010"),
    ("answer for a version the article lacks", ON_MAC, "answer", "other"),
    ("off topic", OFF_TOPIC, "silent", None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "level", "version"), [q[1:] for q in QUESTIONS],
                         ids=[q[0] for q in QUESTIONS])  # fmt: skip
def test_questions_by_level_and_answers_by_version(live: LiveBot, text, level, version):
    levels = ["answer", "suggest", "silent"]
    samples = [f'emailstatus_questions_total{{level="{x}"}}' for x in levels]
    answers = 'emailstatus_answers_total{version="%s"}' % (version or "")
    moved = delta(live, [*samples, answers], lambda: live.event(P.message(text)))
    assert moved[:3] == [1.0 if x == level else 0.0 for x in levels]
    assert moved[3] == (1.0 if version else 0.0)


def total(text: str, name: str) -> float:
    """The sum of every sample of one counter, whatever its labels."""
    return sum(float(v) for v in re.findall(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M))


def test_a_suggestion_is_counted_as_suggest_and_not_as_an_answer(live_settings, slack, knowledge):
    bot = live_with(live_settings, slack, knowledge, **suggesting(knowledge))
    try:
        before = scrape(bot)
        bot.event(P.message(SUGGEST))
        after = scrape(bot)
    finally:
        bot.close()
    suggest = 'emailstatus_questions_total{level="suggest"}'
    assert value(after, suggest) - value(before, suggest) == 1.0
    answers = "emailstatus_answers_total"
    assert total(after, answers) == total(before, answers)


def answered(bot: LiveBot) -> tuple[dict[str, Any], dict[str, Any]]:
    event = P.message(ON_2010)
    bot.event(event)
    [reply] = bot.slack.calls("chat.postMessage")
    bot.slack.clear()
    return event, reply


@pytest.mark.parametrize(
    ("action_id", "outcome"),
    [("case_resolved", "resolved"), ("case_unresolved", "unresolved")],
)
def test_feedback_by_outcome_counts_each_case_once(live: LiveBot, action_id, outcome):
    event, reply = answered(live)

    def triple_click() -> None:
        for _ in range(3):
            live.click(reply, action_id, user="U0LEAD", ts=REPLY_TS, thread_ts=event["ts"])

    [moved] = delta(live, [f'emailstatus_feedback_total{{outcome="{outcome}"}}'], triple_click)
    assert moved == 1.0


def test_an_api_error_a_listener_works_around_is_still_counted(live: LiveBot):
    # chat.update fails; the listener falls back to response_url, so @app.error never
    # sees it. The client-level counter does.
    event, reply = answered(live)
    live.slack.fail("chat.update", "message_not_found")
    sample = 'emailstatus_slack_api_errors_total{error="message_not_found"}'

    def click() -> None:
        url = live.click(reply, "case_resolved", user="U0LEAD", ts=REPLY_TS, thread_ts=event["ts"])
        live.executor.drain()
        assert live.slack.responses(url), "the fallback reply went through response_url"

    assert delta(live, [sample], click) == [1.0]


def test_request_latency_histogram_by_path(live: LiveBot):
    samples = [
        'emailstatus_request_seconds_count{path="/slack/events"}',
        'emailstatus_request_seconds_count{path="other"}',
    ]

    def requests() -> None:
        live.event(P.message(OFF_TOPIC))
        scrape(live, "/wp-login.php")  # scanners share one label: no label per path

    assert delta(live, samples, requests) == [1.0, 1.0]
    assert 'path="/wp-login.php"' not in scrape(live)


def response(status: int, body: dict[str, Any] | None = None) -> HttpResponse:
    return HttpResponse(status_code=status, headers={}, body=body)


FAILURES = [
    ("ok", response(200, {"ok": True}), None, None),
    ("api error", response(200, {"ok": False, "error": "not_in_channel"}), None, "not_in_channel"),
    ("api error without a code", response(200, {"ok": False}), None, "unknown"),
    ("rate limited", response(429), None, "http_429"),
    ("server error", response(503), None, "http_503"),
    ("no answer at all", None, TimeoutError("timed out"), "TimeoutError"),
    ("non-JSON 200", response(200, None), None, None),
]  # fmt: skip


@pytest.mark.parametrize(("answer", "error", "label"), [f[1:] for f in FAILURES],
                         ids=[f[0] for f in FAILURES])  # fmt: skip
def test_api_failure_labels(answer, error, label):
    assert api_failure(answer, error) == label


def test_a_scrape_while_a_worker_creates_its_file_still_answers(tmp_path, monkeypatch):
    """A worker creates its metrics file, then sizes it; a scrape in between raised
    struct.error and /metrics answered 500 (prometheus/client_python#1199)."""
    from prometheus_client import values
    from prometheus_client.mmap_dict import MmapedDict

    from bot import metrics

    sized = MmapedDict(str(tmp_path / "counter_101.db"))  # a worker's file, one value in it
    sized.write_value(values.mmap_key("emailstatus_x", "emailstatus_x_total", [], [], ""), 3, 0)
    sized.close()
    (tmp_path / "counter_102.db").write_bytes(b"")  # another worker's, not sized yet
    monkeypatch.setenv(metrics.MULTIPROC_ENV, str(tmp_path))
    body, _ = metrics.exposition()
    assert b"emailstatus_x_total 3.0" in body  # the sized worker's series still there
