"""End to end over HTTP: channel messages, DMs, @mentions, retries and everything ignored."""

from __future__ import annotations

import json

import pytest

from tests.slack.conftest import SUGGESTING
from tests.support import payloads as P
from tests.support.blockkit import action_ids, all_text, assert_valid
from tests.support.http_harness import LiveBot, live_with

ON_2010 = "Times Opened never moves past 0 for our rep's emails; recipients run Outlook 2010."
NO_VERSION = "HTML Email Status never changes after the contact reads it in Outlook. Why?"
ON_MAC = "Times Opened stays at 0 for recipients on Outlook for Mac, why?"
SUGGEST = "emails to one customer are never marked as opened in salesforce"
OFF_TOPIC = "How do I look up why an email to a lead bounced?"


def replies(bot: LiveBot) -> list[dict]:
    posted = bot.slack.calls("chat.postMessage")
    for payload in posted:
        assert_valid(payload)
    return posted


def test_channel_question_is_answered_in_its_thread(live: LiveBot):
    event = P.message(ON_2010)
    response = live.event(event)
    assert response.body == ""  # acked at once, replied from a listener thread
    [reply] = replies(live)
    assert reply["channel"] == event["channel"] and reply["thread_ts"] == event["ts"]
    text = all_text(reply)
    assert "*Why:*" in text and "Steps for Outlook 2010" in text and "000385822" in text
    assert action_ids(reply) == [
        "case_resolved", "case_unresolved", "case_customer_text", "case_escalate",
    ]  # fmt: skip


def test_other_outlook_gets_the_closest_steps_clearly_labelled(live: LiveBot):
    live.event(P.message(ON_MAC))
    [reply] = replies(live)
    assert "not covered by the article" in all_text(reply) and "closest steps" in all_text(reply)


def test_unknown_version_gets_the_picker(live: LiveBot):
    live.event(P.message(NO_VERSION))
    [reply] = replies(live)
    assert action_ids(reply)[:4] == ["pick_version"] * 4
    assert "How to tell which Outlook you have" in all_text(reply)


def test_suggestion_yes_answers_and_no_deletes(live_settings, slack, knowledge):
    bot = live_with(live_settings, slack, knowledge, **SUGGESTING)
    try:
        first, second = P.message(SUGGEST), P.message(SUGGEST)
        bot.event(first)
        bot.event(second)
        one, two = replies(bot)
        assert one["text"].startswith("Is this about") and one["thread_ts"] == first["ts"]
        bot.click(one, "suggest_yes", ts="1770000000.000101")
        [update] = slack.calls("chat.update")
        assert update["ts"] == "1770000000.000101" and "pick_version" in action_ids(update)
        bot.click(two, "suggest_no", ts="1770000000.000102")
        [deleted] = slack.calls("chat.delete")
        assert deleted["ts"] == "1770000000.000102"
    finally:
        bot.close()


def test_suggestions_switched_off_per_channel(live_settings, slack, knowledge):
    quiet = live_with(
        live_settings, slack, knowledge, suggestions_off_channels={"C0QUIET"}, **SUGGESTING
    )
    try:
        quiet.event(P.message(SUGGEST, channel="C0QUIET"))
        assert slack.calls("chat.postMessage") == []
        quiet.event(P.message(SUGGEST, channel="C0LOUD"))
        assert len(slack.calls("chat.postMessage")) == 1
    finally:
        quiet.close()


def test_silent_in_channel_brief_help_in_dm_and_mention(live: LiveBot):
    live.event(P.message(OFF_TOPIC))
    assert replies(live) == []
    live.event(P.message(OFF_TOPIC, channel="D0DM", channel_type="im"))
    live.event(P.mention(OFF_TOPIC))
    assert [("I can help with one thing" in all_text(r)) for r in replies(live)] == [True, True]


def test_mention_with_a_question_is_answered(live: LiveBot):
    event = P.mention(ON_2010)
    live.event(event)
    [reply] = replies(live)
    assert reply["thread_ts"] == event["ts"] and "Steps for Outlook 2010" in all_text(reply)


def test_one_answer_per_thread_and_a_follow_up_version(live: LiveBot):
    event = P.message(NO_VERSION)
    live.event(event)
    live.event(P.message(ON_2010, thread_ts=event["ts"]))  # 2010 is news: its steps
    live.event(P.message(NO_VERSION, thread_ts=event["ts"]))  # a repeat: nothing
    _, steps = replies(live)
    assert steps["thread_ts"] == event["ts"] and "Steps for Outlook 2010" in all_text(steps)
    live.event(P.message("we're on 2007 actually", thread_ts=event["ts"]))
    assert "Steps for Outlook 2007" in all_text(replies(live)[-1])


def test_retried_event_gets_no_second_reply(live: LiveBot):
    event = P.message(ON_2010)
    live.event(event, event_id="Ev0E2ERETRY")
    retry = live.event(
        event,
        event_id="Ev0E2ERETRY",
        **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert retry.status == 200
    assert len(replies(live)) == 1


def test_retried_event_is_dropped_by_its_event_id(live: LiveBot):
    # Not a message, so only the event_id guard (not the (channel, ts) one) can stop it.
    live.event(P.home_opened(), event_id="Ev0E2EHOME")
    live.event(P.home_opened(), event_id="Ev0E2EHOME", **{"X-Slack-Retry-Num": "2"})
    assert len(live.slack.calls("views.publish")) == 1


def test_message_and_app_mention_for_one_post_give_one_reply(live: LiveBot):
    event = P.message(f"<@{P.BOT_USER}> {ON_2010}")
    live.event(event)
    live.event(dict(event, type="app_mention"))
    assert len(replies(live)) == 1


def test_another_bots_on_topic_message_gets_no_reply(live: LiveBot):
    live.event(P.bot_message(ON_2010))
    live.event(P.message(ON_2010, bot_id="B0OTHER", subtype="bot_message"))
    assert replies(live) == []


def test_channel_ping_is_not_echoed_live(live: LiveBot):
    live.event(P.message(f"<!channel> {ON_2010}"))
    [reply] = replies(live)
    assert "<!channel>" not in json.dumps(reply)
    assert "link_names" not in reply and "parse" not in reply


@pytest.mark.parametrize(
    "event",
    [P.edited(), P.deleted(), P.joined(), {"type": "member_joined_channel", "user": "U1"},
     {"type": "reaction_added", "user": "U1", "reaction": "eyes"}],
    ids=["edit", "delete", "join", "member-joined", "reaction"],
)  # fmt: skip
def test_edits_deletions_and_joins_are_acked_without_a_reply(live: LiveBot, event):
    response = live.event(event)
    assert response.status == 200
    assert replies(live) == []
