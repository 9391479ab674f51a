"""Signed but hostile or odd payloads (issue 21, points 7-10), through the real WSGI app
and the fake Web API: validated at the gate, cleaned where text enters, replays ignored."""

from __future__ import annotations

import json

import pytest

from tests.e2e.test_workflow_step import function_executed
from tests.support import payloads as P
from tests.support.http_harness import LiveBot

FORM = "application/x-www-form-urlencoded"
ON_TOPIC = "Times Opened stays at 0 for every email to Outlook 2010 users"


def test_block_actions_with_an_empty_action_is_a_clear_400(live: LiveBot, caplog):
    payload = {"type": "block_actions", "user": {"id": "U0AGENT"}, "team": {"id": P.TEAM},
               "actions": [{}], "trigger_id": "1.2.3"}  # fmt: skip
    response = live.send(P.interactive_form(payload), FORM)
    assert (response.status, json.loads(response.body)) == (
        400, {"error": "actions[] without action_id"}
    )  # fmt: skip
    assert "Traceback" not in caplog.text and "KeyError" not in caplog.text


@pytest.mark.parametrize("inputs", [None, [], "missing"])
def test_a_workflow_step_with_bad_inputs_is_failed_not_left_hanging(live: LiveBot, inputs):
    event = function_executed({})
    if inputs == "missing":
        del event["inputs"]
    else:
        event["inputs"] = inputs
    live.event(event)
    [failed] = live.slack.calls("functions.completeError")  # before: AttributeError, no call
    assert "question input is empty" in failed["error"]
    assert live.slack.calls("functions.completeSuccess") == []


def test_a_lone_surrogate_in_a_message_is_cleaned_and_answered(live: LiveBot):
    live.event(P.message(ON_TOPIC + " \ud800"))  # json.dumps writes it as \\ud800
    [reply] = live.slack.calls("chat.postMessage")  # before: UnicodeEncodeError, no reply
    assert "Outlook 2010" in reply["text"]
    assert live.engine.store.inbox.undone() == 0


def test_a_replayed_slash_command_makes_one_case(live: LiveBot):
    body = P.slash_form("outlook 2010 times opened stays at zero",
                        response_url=live.slack.response_url())  # fmt: skip
    statuses = [live.send(body, FORM).status for _ in range(5)]
    assert statuses == [200] * 5
    assert live.engine.store.cases.count() == 1  # before: 5 cases


def test_a_replayed_shortcut_posts_once(live: LiveBot):
    payload = P.message_shortcut(ON_TOPIC, response_url=live.slack.response_url())
    assert live.send(P.interactive_form(payload), FORM).status == 200
    first = live.slack.methods()
    assert first and live.engine.store.cases.count() == 1
    for _ in range(4):
        assert live.send(P.interactive_form(payload), FORM).status == 200
    assert live.slack.methods() == first  # before: every copy posted again
    assert live.engine.store.cases.count() == 1
