"""Private mode with LOG_LEVEL=DEBUG: the Slack libraries' debug lines never quote a
request (issue 21, point 17). Silencing the ``slack_bolt`` logger is not enough: a child
logger with a level of its own (bolt gives its App logger one when an app is built with
``logger=``) still emitted its lines, body included."""

from __future__ import annotations

import io
import logging

import pytest

from bot.config import Settings
from bot.logs import configure_logging

PRIVATE_QUESTION = "Globex prospect opens stay at zero on Outlook 2013 since Monday"


@pytest.mark.parametrize("store_question_text", [False, True])
def test_library_debug_lines_hide_request_bodies_in_private_mode(store_question_text):
    stream = io.StringIO()
    settings = Settings(log_level="DEBUG", store_question_text=store_question_text)
    handler = configure_logging(settings, stream)
    app_logger = logging.getLogger("slack_bolt.App")
    app_logger.setLevel(logging.DEBUG)
    try:
        app_logger.debug("Unhandled request body: command=/x&text=%s", PRIVATE_QUESTION)
        logging.getLogger("bot.engine").info("question from channel: answer")
    finally:
        app_logger.setLevel(logging.NOTSET)
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(logging.WARNING)
        for name in ("slack_bolt", "slack_sdk"):
            logging.getLogger(name).setLevel(logging.NOTSET)
    assert ("Globex" in stream.getvalue()) is store_question_text  # before: always shown
    assert "question from channel" in stream.getvalue()
