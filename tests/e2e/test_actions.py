"""End to end over HTTP: the version picker and the four answer buttons."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.blockkit import action_ids, all_text, assert_valid
from tests.support.http_harness import LiveBot, live_with

ON_2010 = "Times Opened never moves past 0 for our rep's emails; recipients run Outlook 2010."
NO_VERSION = "HTML Email Status never changes after the contact reads it in Outlook. Why?"
REPLY_TS = "1770000000.000500"


def answered(bot: LiveBot, text: str = ON_2010) -> tuple[dict[str, Any], dict[str, Any], int]:
    event, reply, case = bot.ask_in_channel(text)
    return event, reply, case.id


def test_picker_click_updates_the_message_in_place(live: LiveBot):
    event, picker, case_id = answered(live, NO_VERSION)
    live.click(picker, "pick_version", value="2007", ts=REPLY_TS, thread_ts=event["ts"])
    [update] = live.slack.calls("chat.update")
    assert_valid(update)
    assert (update["channel"], update["ts"]) == (event["channel"], REPLY_TS)
    assert "Steps for Outlook 2007" in all_text(update)
    assert "case_resolved" in action_ids(update)
    assert live.engine.store.cases.get(case_id).chosen_version == "2007"
    assert live.slack.calls("chat.postMessage") == []


@pytest.mark.parametrize(
    ("action_id", "status"),
    [("case_resolved", "resolved"), ("case_unresolved", "unresolved")],
)
def test_feedback_shows_who_and_when_and_is_idempotent(live: LiveBot, action_id, status):
    event, reply, case_id = answered(live)
    for _ in range(3):  # a triple click
        live.click(reply, action_id, user="U0LEAD", ts=REPLY_TS, thread_ts=event["ts"])
    [update] = live.slack.calls("chat.update")
    assert_valid(update)
    line = update["blocks"][-1]["elements"][0]["text"]
    assert line.count("<@U0LEAD>") == 1 and "<!date^" in line
    assert live.engine.store.cases.get(case_id).status == status


def test_customer_ready_steps_are_private_paste_ready_text(live: LiveBot):
    event, reply, _ = answered(live)
    live.click(reply, "case_customer_text", user="U0LEAD", ts=REPLY_TS, thread_ts=event["ts"])
    live.click(reply, "case_customer_text", user="U0LEAD", ts=REPLY_TS, thread_ts=event["ts"])
    [private] = live.slack.calls("chat.postEphemeral")
    assert_valid(private)
    assert private["user"] == "U0LEAD" and private["thread_ts"] == event["ts"]
    assert "```Hello," in all_text(private) and "@salesforce.com" in all_text(private)


def test_ask_a_human_posts_permalink_and_case_id(live: LiveBot):
    event, reply, case_id = answered(live)
    live.click(reply, "case_escalate", user="U0LEAD", ts=REPLY_TS, thread_ts=event["ts"])
    live.click(reply, "case_escalate", user="U0LEAD", ts=REPLY_TS, thread_ts=event["ts"])
    [post] = live.slack.calls("chat.postMessage")
    assert_valid(post)
    assert post["channel"] == "C0ESCALATE"
    permalink = (
        f"https://acme.slack.com/archives/{event['channel']}/p{event['ts'].replace('.', '')}"
    )
    assert permalink in all_text(post) and f"Case #{case_id}" in all_text(post)
    assert live.engine.store.cases.get(case_id).status == "escalated"
    [update] = live.slack.calls("chat.update")
    assert "asked a human" in all_text(update)


def test_ask_a_human_with_no_escalation_channel_tells_the_user(live_settings, slack, knowledge):
    bot = live_with(live_settings, slack, knowledge, escalation_channel="")
    try:
        _, reply, case_id = answered(bot)
        bot.click(reply, "case_escalate", user="U0LEAD", ts=REPLY_TS)
        [private] = slack.calls("chat.postEphemeral")
        assert "ESCALATION_CHANNEL" in all_text(private)
        assert slack.calls("chat.postMessage") == []
        assert bot.engine.store.cases.get(case_id).status == "answered"
    finally:
        bot.close()
