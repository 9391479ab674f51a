"""Structured logs: request context on every line, no tokens or secrets ever."""

from __future__ import annotations

import io
import json
import logging
from concurrent.futures import wait

import pytest

from bot.config import Settings
from bot.logs import ContextExecutor, annotate, configure_logging, request_context

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
