"""Structured logs: request context on every line, no tokens or secrets ever."""

from __future__ import annotations

import io
import json
import logging
import threading
from concurrent.futures import wait
from dataclasses import replace

import pytest

from bot.config import Settings
from bot.logs import (
    BackgroundWriter,
    ContextExecutor,
    annotate,
    configure_logging,
    request_context,
)
from tests.support import payloads as P
from tests.support.http_harness import live_with
from tests.support.signing import sign

SECRET = "sign1ng-secret-value"


@pytest.fixture
def captured():
    stream = io.StringIO()
    settings = Settings(slack_signing_secret=SECRET, log_format="json", log_level="DEBUG")
    handler = configure_logging(settings, stream)
    yield stream
    logging.getLogger().removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_tokens_and_the_signing_secret_are_removed(captured):
    log = logging.getLogger("test.redaction")
    log.info("token %s and app %s", "xoxb-123-456-abcDEF", "xapp-1-A0-999-xyz")
    log.warning(f"secret is {SECRET}")
    try:
        raise RuntimeError("failed with xoxp-9-9-9 in the error")
    except RuntimeError:
        log.exception("oops")
    text = captured.getvalue()
    for leaked in ("xoxb-123", "xapp-1-A0", SECRET, "xoxp-9"):
        assert leaked not in text
    assert text.count("[redacted]") == 5  # the traceback shows the raising line too


def test_lines_carry_the_request_context_across_threads(captured):
    log = logging.getLogger("test.context")
    with ContextExecutor(max_workers=2) as pool, request_context(event_id="Ev123"):
        annotate(trigger_id=None)  # None values are not added
        futures = [pool.submit(lambda: (annotate(case_id=42), log.info("in listener")))]
        wait(futures)
        log.info("in request")
    listener, request = lines(captured)
    assert listener["event_id"] == "Ev123" and listener["case_id"] == 42
    assert request["event_id"] == "Ev123" and "trigger_id" not in request
    assert isinstance(listener["elapsed_ms"], float)


def test_outside_a_request_there_is_no_context(captured):
    logging.getLogger("test.plain").info("hello")
    (line,) = lines(captured)
    assert line["message"] == "hello" and "event_id" not in line and "elapsed_ms" not in line


def test_private_mode_silences_payload_debug_logging():
    stream = io.StringIO()
    settings = Settings(log_level="DEBUG", store_question_text=False)
    handler = configure_logging(settings, stream)
    try:
        logging.getLogger("slack_sdk.web.base_client").debug("payload: the question text")
        logging.getLogger("bot.engine").info("question from channel: answer")
    finally:
        logging.getLogger().removeHandler(handler)
        for name in ("slack_bolt", "slack_sdk"):
            logging.getLogger(name).setLevel(logging.NOTSET)
    assert "the question text" not in stream.getvalue()
    assert "question from channel" in stream.getvalue()


def test_configured_tokens_are_removed_even_when_they_look_like_nothing_known():
    stream = io.StringIO()
    odd = "corp-proxy-token-123456"  # e.g. a token a proxy issues, not xoxb-
    handler = configure_logging(Settings(slack_bot_token=odd, log_format="text"), stream)
    try:
        logging.getLogger("test.odd").warning("calling with %s and xoxe.xoxp-1-abc", odd)
    finally:
        logging.getLogger().removeHandler(handler)
    assert odd not in stream.getvalue() and "xoxp-1" not in stream.getvalue()


PRIVATE_QUESTION = "Acme Widgets opens stay at zero for our prospect on Outlook 2010"


@pytest.mark.parametrize("store_question_text", [False, True])
def test_a_whole_body_printed_by_bolt_never_shows_private_question_text(
    live_settings, slack, knowledge, store_question_text
):
    """bolt warns with ``req.body`` when a middleware neither calls next() nor answers."""
    settings = replace(live_settings, store_question_text=store_question_text, log_format="json")
    stream = io.StringIO()
    handler = configure_logging(settings, stream)
    bot = live_with(settings, slack, knowledge)

    @bot.app.middleware
    def swallow(next):  # the misbehaving middleware: bolt then logs the whole body
        return None

    try:
        body = json.dumps(P.event_body(P.message(PRIVATE_QUESTION), "EvPrivate"))
        bot.send(body, "application/json")
    finally:
        bot.close()
        logging.getLogger().removeHandler(handler)
    warned = [x for x in lines(stream) if "without providing a response" in x["message"]]
    assert warned and warned[0]["event_id"] == "EvPrivate"
    shown = "Acme Widgets" in stream.getvalue()
    assert shown is store_question_text  # hidden exactly when the text is private
    if not store_question_text:
        assert "[question text]" in warned[0]["message"]


def test_each_slack_request_gets_one_line_with_its_status(live_settings, slack, knowledge):
    stream = io.StringIO()
    handler = configure_logging(
        replace(live_settings, log_format="json", log_level="DEBUG"), stream
    )
    bot = live_with(live_settings, slack, knowledge)
    try:
        good = json.dumps(P.event_body(P.message("lunch, anyone?"), "EvGood"))
        bot.send(good, "application/json")
        forged = json.dumps(P.event_body(P.message("lunch, anyone?"), "EvForged"))
        bot.send(forged, "application/json", **sign(forged, secret="not-the-secret"))
    finally:
        bot.close()
        logging.getLogger().removeHandler(handler)
    answered = [x for x in lines(stream) if x["message"].startswith("slack request ")]
    assert [(x["message"].split()[3].strip(":"), x["level"]) for x in answered] == [
        ("200", "debug"),  # INFO has a line per question; /metrics counts every request
        ("401", "warning"),  # a wrong secret, or a proxy that rewrote the body
    ]
    assert answered[1]["message"].startswith("slack request rejected 401: invalid signature")
    assert answered[0]["event_id"] == "EvGood" and answered[0]["elapsed_ms"] >= 0


def test_the_background_writer_writes_every_line_before_flush_returns():
    """serve's writer: lines from many threads, each thread's in order, none lost."""
    stream = io.StringIO()
    writer = BackgroundWriter(stream)
    writer.setFormatter(logging.Formatter("%(message)s"))
    log = logging.Logger("writer-test")
    log.addHandler(writer)

    def talk(thread: int) -> None:
        for line in range(200):
            log.warning("%d %d", thread, line)

    threads = [threading.Thread(target=talk, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.flush()
    lines = [tuple(map(int, x.split())) for x in stream.getvalue().splitlines()]
    assert len(lines) == 1200
    for thread in range(6):
        assert [n for t, n in lines if t == thread] == list(range(200))
