"""Every Slack scenario, written once and run by each driver: in-process, HTTP, Socket Mode.

Requests go in the way Slack sends them (signed, or as Socket Mode envelopes); the
assertions are on the Web API calls the fake Slack recorded.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.commands import usage_lines
from bot.render.blocks import Ref
from tests.support import payloads as P
from tests.support.blockkit import action_ids, all_text, assert_valid
from tests.support.drivers import SUGGEST
from tests.support.drivers import suggesting as suggesting_thresholds
from tests.support.slack_driver import SlackDriver as Bot

ON_2010 = "Times Opened never moves past 0 for our rep's emails; recipients run Outlook 2010."
NO_VERSION = "HTML Email Status never changes after the contact reads it in Outlook. Why?"
ON_MAC = "Times Opened stays at 0 for recipients on Outlook for Mac, why?"
OFF_TOPIC = "How do I look up why an email to a lead bounced?"
FEEDBACK = ["case_resolved", "case_unresolved", "case_customer_text", "case_escalate"]


@pytest.fixture
def bot(driver: Bot) -> Bot:
    """This module's scenarios run once per driver (``driver_kind``)."""
    return driver


@pytest.fixture
def suggesting(make, knowledge) -> Bot:
    return make(**suggesting_thresholds(knowledge))


def only(calls: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(calls) == 1, calls
    assert_valid(calls[0])
    return calls[0]


def clicks(bot: Bot, case_id: int) -> list[tuple[str, str]]:
    rows = bot.engine.store.db["case_clicks"].rows_where("case_id = ?", [case_id])
    return [(r["user"], r["action"]) for r in rows]


def gaps(bot: Bot) -> list[str]:
    return [r["reason"] for r in bot.engine.store.db["gaps"].rows]


# -- messages ------------------------------------------------------------------------------


def test_channel_answer_goes_in_the_thread_with_steps_and_buttons(bot: Bot):
    event = P.message(ON_2010)
    assert bot.event(event).body == ""  # acked with an empty 200; the reply comes apart
    reply = only(bot.slack.calls("chat.postMessage"))
    assert reply["channel"] == event["channel"] and reply["thread_ts"] == event["ts"]
    text = all_text(reply)
    assert "*Why:*" in text and "Steps for Outlook 2010" in text and "000385822" in text
    assert action_ids(reply) == FEEDBACK
    case = bot.engine.store.cases.for_thread(event["channel"], event["ts"])
    assert case is not None and case.reply_ts and case.source == "channel"


def test_thread_reply_question_is_answered_in_that_thread(bot: Bot):
    event = P.message(ON_2010, thread_ts="1759999999.000100")
    bot.event(event)
    assert only(bot.slack.calls("chat.postMessage"))["thread_ts"] == "1759999999.000100"


def test_unknown_version_picker_then_click_updates_in_place(bot: Bot):
    event = P.message(NO_VERSION)
    bot.event(event)
    picker = only(bot.slack.calls("chat.postMessage"))
    assert action_ids(picker)[:4] == ["pick_version"] * 4
    case = bot.engine.store.cases.for_thread(event["channel"], event["ts"])
    bot.click(picker, "pick_version", value="2013+", ts="1770000000.000001")
    update = only(bot.slack.calls("chat.update"))
    assert update["ts"] == "1770000000.000001" and update["channel"] == event["channel"]
    assert "Steps for Outlook 2013 and later" in all_text(update)
    assert action_ids(update) == FEEDBACK
    assert bot.engine.store.cases.get(case.id).chosen_version == "2013+"
    assert len(bot.slack.calls("chat.postMessage")) == 1  # updated in place, not reposted


def test_other_version_says_what_is_covered_and_records_a_gap(bot: Bot):
    bot.event(P.message(ON_MAC))
    reply = only(bot.slack.calls("chat.postMessage"))
    assert "not covered by the article" in all_text(reply)
    assert "closest steps" in all_text(reply)
    assert "Outlook version not covered by the article" in gaps(bot)


def test_suggestion_yes_turns_into_the_answer(suggesting: Bot):
    bot = suggesting
    event = P.message(SUGGEST)
    bot.event(event)
    suggestion = only(bot.slack.calls("chat.postMessage"))
    assert suggestion["thread_ts"] == event["ts"]
    assert action_ids(suggestion) == ["suggest_yes", "suggest_no"]
    bot.click(suggestion, "suggest_yes")
    update = only(bot.slack.calls("chat.update"))
    assert "pick_version" in action_ids(update)  # no version named: the picker
    bot.click(suggestion, "suggest_yes")  # a double click changes nothing
    assert len(bot.slack.calls("chat.update")) == 1


def test_suggestion_no_deletes_it_and_records_the_rejection(suggesting: Bot):
    bot = suggesting
    event = P.message(SUGGEST)
    bot.event(event)
    suggestion = only(bot.slack.calls("chat.postMessage"))
    case = bot.engine.store.cases.for_thread(event["channel"], event["ts"])
    bot.click(suggestion, "suggest_no", ts="1770000000.000009", user="U0OTHER")
    deleted = only_call(bot, "chat.delete")
    assert (deleted["channel"], deleted["ts"]) == (event["channel"], "1770000000.000009")
    assert ("U0OTHER", "suggestion_rejected") in clicks(bot, case.id)
    assert "suggestion rejected" in gaps(bot)
    # The thread is left alone afterwards, even when someone names a version.
    bot.event(P.message("we're on 2010", thread_ts=event["ts"]))
    assert len(bot.slack.calls("chat.postMessage")) == 1


def only_call(bot: Bot, method: str) -> dict[str, Any]:
    calls = bot.slack.calls(method)
    assert len(calls) == 1, calls
    return calls[0]


@pytest.mark.parametrize(
    "changes",
    [{"suggestions_enabled": False}, {"suggestions_off_channels": frozenset({"C0QUIET"})}],
    ids=["globally", "per-channel"],
)
def test_suggestions_can_be_switched_off(make, knowledge, changes):
    bot = make(**suggesting_thresholds(knowledge), **changes)
    quiet = P.message(SUGGEST, channel="C0QUIET")
    bot.event(quiet)
    assert bot.slack.calls("chat.postMessage") == []
    assert bot.engine.store.cases.for_thread("C0QUIET", quiet["ts"]) is None
    assert list(bot.engine.store.db["cases"].rows) == []  # no case for a reply never sent
    bot.event(P.message(ON_2010, channel="C0QUIET"))  # answers still go out
    assert len(bot.slack.calls("chat.postMessage")) == 1


def test_silent_in_channels_but_helpful_in_dms_and_mentions(bot: Bot):
    bot.event(P.message(OFF_TOPIC))
    assert bot.slack.calls("chat.postMessage") == []
    bot.event(P.message(OFF_TOPIC, channel="D0DM", channel_type="im"))
    bot.event(P.mention(OFF_TOPIC))
    replies = bot.slack.calls("chat.postMessage")
    assert len(replies) == 2
    for reply in replies:
        assert_valid(reply)
        assert "I can help with one thing" in all_text(reply)


def test_suggest_level_in_a_dm_answers_with_a_caveat(suggesting: Bot):
    bot = suggesting
    bot.event(P.message(SUGGEST, channel="D0DM", channel_type="im"))
    reply = only(bot.slack.calls("chat.postMessage"))
    assert reply["text"].startswith("I think this is about")
    assert "suggest_yes" not in action_ids(reply)


def test_one_answer_per_thread_but_a_named_version_gets_its_steps(bot: Bot):
    event = P.message(NO_VERSION)
    bot.event(event)
    bot.event(P.message(NO_VERSION, thread_ts=event["ts"]))  # the same question again
    assert len(bot.slack.calls("chat.postMessage")) == 1
    bot.event(P.message("we're on 2010", thread_ts=event["ts"]))
    replies = bot.slack.calls("chat.postMessage")
    assert len(replies) == 2 and replies[1]["thread_ts"] == event["ts"]
    assert "Steps for Outlook 2010" in all_text(replies[1])
    case = bot.engine.store.cases.for_thread(event["channel"], event["ts"])
    assert case.chosen_version == "2010"
    bot.event(P.message("yes, 2010 as I said", thread_ts=event["ts"]))  # no repeat
    assert len(bot.slack.calls("chat.postMessage")) == 2


def test_mention_with_a_question_is_answered(bot: Bot):
    event = P.mention(ON_2010)
    bot.event(event)
    reply = only(bot.slack.calls("chat.postMessage"))
    assert reply["thread_ts"] == event["ts"] and "Steps for Outlook 2010" in all_text(reply)


def test_mention_in_an_answered_thread_points_to_the_answer(bot: Bot):
    event = P.message(ON_2010)
    bot.event(event)
    bot.event(P.mention("can you help here?", thread_ts=event["ts"]))
    replies = bot.slack.calls("chat.postMessage")
    assert len(replies) == 2 and "I answered this thread above" in replies[1]["text"]


def test_message_and_app_mention_for_one_post_give_one_reply(bot: Bot):
    event = P.message(f"<@{P.BOT_USER}> {ON_2010}")
    as_mention = dict(event, type="app_mention")
    bot.event(as_mention)
    bot.event(event)
    reply = only(bot.slack.calls("chat.postMessage"))
    case = bot.engine.store.cases.for_thread(event["channel"], event["ts"])
    assert case.source == "mention" and reply["thread_ts"] == event["ts"]


def test_retried_event_gives_no_second_reply_even_after_a_restart(make, slack):
    first = make()
    event = P.message(ON_2010)
    first.event(event, event_id="Ev0RETRY")
    first.close()
    restarted = make()  # same SQLite file, new process state
    restarted.event(event, event_id="Ev0RETRY", **{"x-slack-retry-num": "1"})
    assert len(slack.calls("chat.postMessage")) == 1


def test_retried_event_is_dropped_by_event_id_before_any_listener(make, slack):
    first = make()
    first.event(P.home_opened(), event_id="Ev0HOME")
    first.close()
    restarted = make()
    restarted.event(P.home_opened(), event_id="Ev0HOME", **{"x-slack-retry-num": "1"})
    restarted.event(P.home_opened(), event_id="Ev0HOME2")  # a new event still works
    assert len(slack.calls("views.publish")) == 2


@pytest.mark.parametrize(
    "event",
    [P.bot_message(ON_2010), P.edited(), P.deleted(), P.joined(),
     P.message(ON_2010, user=P.BOT_USER), P.message(ON_2010, bot_id="B0OTHER"),
     P.message(ON_2010, subtype="channel_topic")],
    ids=["other-bot", "edit", "delete", "join", "self", "bot_id", "topic"],
)  # fmt: skip
def test_ignored_messages_are_acked_without_a_reply(bot: Bot, event):
    response = bot.event(event)
    assert response.status == 200
    assert bot.slack.calls("chat.postMessage") == []


def test_unhandled_event_types_are_acked(bot: Bot):
    assert bot.event({"type": "member_joined_channel", "user": "U1", "channel": "C1"}).status == 200
    assert bot.event({"type": "reaction_added", "user": "U1", "reaction": "eyes"}).status == 200


def test_channel_ping_in_a_question_is_never_echoed_live(bot: Bot):
    event = P.message(f"<!channel> <!here> {ON_2010}")
    bot.event(event)
    reply = only(bot.slack.calls("chat.postMessage"))
    assert "<!channel>" not in json.dumps(reply) and "<!here>" not in json.dumps(reply)
    assert "link_names" not in reply and reply.get("parse") != "full"
    # The escalation post quotes the question: escaped there too.
    bot.click(reply, "case_escalate", ts="1770000000.000077")
    post = only(bot.slack.calls("chat.postMessage")[1:])
    assert "<!channel>" not in json.dumps(post) and "&lt;!channel&gt;" in all_text(post)


# -- buttons -------------------------------------------------------------------------------


def answered(bot: Bot) -> tuple[dict[str, Any], dict[str, Any], int]:
    event = P.message(ON_2010)
    bot.event(event)
    reply = bot.slack.calls("chat.postMessage")[0]
    case = bot.engine.store.cases.for_thread(event["channel"], event["ts"])
    bot.slack.clear()
    return event, reply, case.id


@pytest.mark.parametrize(
    ("action_id", "status", "words"),
    [("case_resolved", "resolved", "marked this fixed"),
     ("case_unresolved", "unresolved", "said it is still not updating")],
)  # fmt: skip
def test_feedback_marks_the_message_and_the_case_once(bot: Bot, action_id, status, words):
    event, reply, case_id = answered(bot)
    bot.click(reply, action_id, user="U0LEAD", ts="1770000000.000005", thread_ts=event["ts"])
    update = only(bot.slack.calls("chat.update"))
    status_line = update["blocks"][-1]["elements"][0]["text"]
    assert f"<@U0LEAD> {words}" in status_line and "<!date^" in status_line
    assert bot.engine.store.cases.get(case_id).status == status
    bot.click(reply, action_id, user="U0LEAD", ts="1770000000.000005")  # a double click
    bot.click(reply, action_id, user="U0LEAD", ts="1770000000.000005")  # and a triple
    assert len(bot.slack.calls("chat.update")) == 1 and status_line.count("<@U0LEAD>") == 1
    assert clicks(bot, case_id).count(("U0LEAD", action_id)) == 1


def test_customer_ready_steps_go_only_to_the_clicker_once(bot: Bot):
    event, reply, _ = answered(bot)
    bot.click(reply, "case_customer_text", user="U0LEAD", thread_ts=event["ts"])
    private = only(bot.slack.calls("chat.postEphemeral"))
    assert private["user"] == "U0LEAD" and private["thread_ts"] == event["ts"]
    assert "```Hello," in all_text(private) and "Outlook 2010:" in all_text(private)
    assert "@salesforce.com" in all_text(private)  # the Safe Senders entry to paste
    bot.click(reply, "case_customer_text", user="U0LEAD", thread_ts=event["ts"])
    assert len(bot.slack.calls("chat.postEphemeral")) == 1
    assert bot.slack.calls("chat.postMessage") == []


def test_ask_a_human_posts_permalink_and_case_id_once(bot: Bot):
    event, reply, case_id = answered(bot)
    bot.click(reply, "case_escalate", user="U0LEAD", ts="1770000000.000042", thread_ts=event["ts"])
    link = only_call(bot, "chat.getPermalink")
    assert (link["channel"], link["message_ts"]) == (event["channel"], event["ts"])
    post = only(bot.slack.calls("chat.postMessage"))
    assert post["channel"] == "C0ESCALATE"
    text = all_text(post)
    permalink = (
        f"https://acme.slack.com/archives/{event['channel']}/p{event['ts'].replace('.', '')}"
    )
    assert f"Case #{case_id}" in text and permalink in text
    assert bot.engine.store.cases.get(case_id).status == "escalated"
    assert "asked a human" in all_text(only(bot.slack.calls("chat.update")))
    assert "C0ESCALATE" in all_text(only(bot.slack.calls("chat.postEphemeral")))
    bot.click(reply, "case_escalate", user="U0LEAD", ts="1770000000.000042")
    assert len(bot.slack.calls("chat.postMessage")) == 1


def test_ask_a_human_without_an_escalation_channel_says_so(make):
    bot = make(escalation_channel="")
    _, reply, case_id = answered(bot)
    bot.click(reply, "case_escalate", user="U0LEAD")
    assert "ESCALATION_CHANNEL" in all_text(only(bot.slack.calls("chat.postEphemeral")))
    assert bot.slack.calls("chat.postMessage") == []
    assert bot.engine.store.cases.get(case_id).status == "answered"


@pytest.mark.parametrize("action_id", ["case_resolved", "case_unresolved", "case_escalate"])
def test_a_click_on_a_purged_case_tells_the_clicker(bot: Bot, action_id: str):
    """It was acked and did nothing: no escalation, no word to the person who clicked."""
    _, reply, case_id = answered(bot)
    bot.engine.store.purge_before("9999-12-31T00:00:00+00:00")  # `cases purge` took it
    assert bot.engine.store.cases.get(case_id) is None
    bot.click(reply, action_id, user="U0LEAD")
    told = all_text(only(bot.slack.calls("chat.postEphemeral")))
    assert "removed from the case log" in told
    assert bot.slack.calls("chat.postMessage") == []


# -- /emailstatus ----------------------------------------------------------------------------


def test_slash_without_text_gives_help_and_the_picker(bot: Bot):
    reply = bot.command("")
    assert_valid(reply)
    assert reply["response_type"] == "ephemeral"
    assert action_ids(reply) == ["pick_version"] * 4 + ["share_in_channel"]
    url = bot.click(reply, "pick_version", value="2007", ephemeral=True)
    replaced = only(bot.slack.responses(url))
    assert replaced["replace_original"] is True
    assert "Steps for Outlook 2007" in all_text(replaced)


@pytest.mark.parametrize(
    ("text", "label"),
    [("2010", "Outlook 2010"), ("outlook2010", "Outlook 2010"), ("o365", "Outlook 2013 and later"),
     ("365", "Outlook 2013 and later"), ("2007", "Outlook 2007"), ("mac", "closest steps"),
     ("2013", "Outlook 2013 and later"), ("Outlook 2007", "Outlook 2007")],
)  # fmt: skip
def test_slash_version_in_any_spelling(bot: Bot, text, label):
    reply = bot.command(text)
    assert_valid(reply)
    assert label in all_text(reply)
    assert action_ids(reply) == ["case_customer_text", "share_in_channel"]


def test_slash_help_uses_the_shared_usage_text(bot: Bot):
    reply = bot.command("help")
    assert all(line.split(" — ")[1] in all_text(reply) for line in usage_lines())


def test_slash_question_is_matched_like_a_channel_question(bot: Bot):
    reply = bot.command(ON_2010, channel="C0SUPPORT")
    assert "Steps for Outlook 2010" in all_text(reply)
    assert action_ids(reply) == [*FEEDBACK, "share_in_channel"]
    case_id = Ref.decode(reply["blocks"][-1]["elements"][0]["value"]).case_id
    assert case_id is not None and bot.engine.store.cases.get(case_id).source == "slash"


def test_slash_reply_that_fails_is_an_apology_in_the_ack_not_an_error(bot: Bot, monkeypatch):
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("the case log is gone")

    monkeypatch.setattr(bot.engine, "ask", broken)
    reply = bot.command(ON_2010)  # still a 200 whose body is the reply (see SlackDriver)
    assert "something went wrong on my side" in all_text(reply)
    assert "the case log is gone" not in json.dumps(reply)  # the error is logged, not shown


def test_slash_question_that_matches_nothing_says_so_with_help(bot: Bot):
    reply = bot.command("where are bounce details for a lead")
    text = all_text(reply)
    assert "couldn't match" in text and "/emailstatus help" in text


def test_slash_unknown_word_gets_did_you_mean_and_is_escaped(bot: Bot):
    reply = bot.command("hepl")
    assert "Did you mean `/emailstatus help`?" in all_text(reply)
    assert "Did you mean `/emailstatus summary`?" in all_text(bot.command("sumary"))
    ping = bot.command("<!channel>")
    assert "<!channel>" not in json.dumps(ping) and "&lt;!channel&gt;" in all_text(ping)


def test_share_in_channel_reposts_for_everyone(bot: Bot):
    reply = bot.command("2010")
    url = bot.click(reply, "share_in_channel", ephemeral=True, user="U0LEAD")
    posted, removed = bot.slack.responses(url)
    assert posted["response_type"] == "in_channel" and posted["replace_original"] is False
    assert_valid(posted)
    assert "Steps for Outlook 2010" in all_text(posted) and "Shared by <@U0LEAD>" in all_text(
        posted
    )
    assert "share_in_channel" not in action_ids(posted)
    assert removed["delete_original"] is True


def test_slash_summary_replies(bot: Bot):
    reply = bot.command("summary")
    assert_valid(reply)
    assert reply["response_type"] == "ephemeral"


# -- shortcut and App Home -------------------------------------------------------------------


def test_find_fix_answers_in_the_messages_thread(bot: Bot):
    url = bot.slack.response_url()
    shortcut = P.message_shortcut(ON_2010, response_url=url, thread_ts="1759999999.000200")
    bot.interact(shortcut)
    reply = only(bot.slack.calls("chat.postMessage"))
    assert reply["thread_ts"] == "1759999999.000200"
    assert "Steps for Outlook 2010" in all_text(reply)
    case = bot.engine.store.cases.for_thread("C0SUPPORT", "1759999999.000200")
    assert case.source == "shortcut"


def test_find_fix_falls_back_to_a_private_reply_when_not_in_the_channel(bot: Bot):
    bot.slack.fail("chat.postMessage", "not_in_channel")
    url = bot.slack.response_url()
    bot.interact(P.message_shortcut(ON_2010, response_url=url))
    private = only(bot.slack.responses(url))
    assert private["response_type"] == "ephemeral"
    assert "not in this channel" in all_text(private)
    assert "Steps for Outlook 2010" in all_text(private)  # the answer, privately


def test_find_fix_with_no_match_tells_the_clicker(bot: Bot):
    url = bot.slack.response_url()
    bot.interact(P.message_shortcut(OFF_TOPIC, response_url=url))
    assert bot.slack.calls("chat.postMessage") == []
    assert "couldn't find a fix" in all_text(only(bot.slack.responses(url)))


def test_app_home_publishes_the_quick_reference(bot: Bot):
    bot.event(P.home_opened(user="U0LEAD"))
    published = only_call(bot, "views.publish")
    assert published["user_id"] == "U0LEAD"
    assert_valid(published["view"], "home")
    assert len(published["view"]["blocks"]) <= 100
    for label in ("Outlook 2007", "Outlook 2010", "Outlook 2013 and later"):
        assert label in all_text(published["view"])
    bot.event(P.home_opened(tab="messages"))
    assert len(bot.slack.calls("views.publish")) == 1
