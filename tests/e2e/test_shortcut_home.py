"""End to end over HTTP: the "Find email-status fix" message shortcut and App Home."""

from __future__ import annotations

from tests.support import payloads as P
from tests.support.blockkit import all_text, assert_valid
from tests.support.http_harness import LiveBot

ON_2010 = "Times Opened never moves past 0 for our rep's emails; recipients run Outlook 2010."


def test_shortcut_on_a_thread_reply_answers_in_that_thread(live: LiveBot):
    url = live.slack.response_url()
    live.interact(P.message_shortcut(ON_2010, response_url=url, thread_ts="1759999999.000300"))
    [reply] = live.slack.calls("chat.postMessage")
    assert_valid(reply)
    assert reply["thread_ts"] == "1759999999.000300"
    assert "Steps for Outlook 2010" in all_text(reply)


def test_shortcut_where_the_bot_is_not_a_member_replies_privately(live: LiveBot):
    live.slack.fail("chat.postMessage", "not_in_channel")
    url = live.slack.response_url()
    live.interact(P.message_shortcut(ON_2010, response_url=url))
    [private] = live.slack.responses(url)
    assert_valid(private)
    assert private["response_type"] == "ephemeral" and "Steps for Outlook 2010" in all_text(private)


def test_shortcut_with_nothing_to_match_tells_the_clicker(live: LiveBot):
    url = live.slack.response_url()
    live.interact(P.message_shortcut("lunch at noon?", response_url=url))
    assert live.slack.calls("chat.postMessage") == []
    assert "couldn't find a fix" in all_text(live.slack.responses(url)[0])


def test_app_home_publishes_the_quick_reference(live: LiveBot):
    live.event(P.home_opened(user="U0LEAD"))
    [published] = live.slack.calls("views.publish")
    assert published["user_id"] == "U0LEAD"
    assert_valid(published["view"], "home")
    assert len(published["view"]["blocks"]) <= 100
    for label in ("Outlook 2007", "Outlook 2010", "Outlook 2013 and later"):
        assert label in all_text(published["view"])
