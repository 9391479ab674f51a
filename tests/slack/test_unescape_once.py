"""Slack text is unescaped once where it arrives, stored raw and escaped once when shown:
``&amp;`` never turns into ``&amp;amp;`` in App Home or the summary, and ``<!channel>``
never pings anyone."""

from __future__ import annotations

from bot.slack.listeners.messages import incoming
from tests.slack.conftest import Bot
from tests.support import payloads as P
from tests.support.blockkit import all_text, assert_valid

# As Slack delivers what a person typed: "R&D <3 ..." arrives &-escaped; <!channel> is a token.
ON_TOPIC = "R&amp;D &lt;3 <!channel> Times Opened stays at 0 for Outlook 2010 recipients"
OFF_TOPIC = "Q&amp;A &lt;b&gt; <!channel> where is the stapler"


def test_message_text_is_unescaped_once_where_it_arrives():
    event = P.message(ON_TOPIC)
    message = incoming(event, "U0BOT", team="T1", mention=False)
    assert message is not None and message.text.startswith("R&D <3 <!channel> Times")


def test_stored_questions_are_raw_and_shown_escaped_once_in_app_home(bot: Bot):
    bot.event(P.message(ON_TOPIC, user="U0AGENT"))
    case = bot.engine.store.cases.get(1)
    assert case.question is not None and case.question.startswith("R&D <3 <!channel>")
    bot.event(P.home_opened(user="U0AGENT"))
    (home,) = bot.slack.calls("views.publish")
    assert_valid(home["view"], "home")
    text = all_text(home["view"])
    assert "R&amp;D &lt;3 &lt;!channel&gt;" in text
    assert "&amp;amp;" not in text and "<!channel>" not in text


def test_the_summary_shows_a_gap_question_escaped_once(bot: Bot):
    bot.event(P.message(OFF_TOPIC, channel="D0DM", channel_type="im"))
    (gap,) = bot.engine.store.db["gaps"].rows
    assert gap["question"] == "Q&A <b> <!channel> where is the stapler"
    reply = bot.command("summary current")
    assert_valid(reply)
    text = all_text(reply)
    assert "Q&amp;A &lt;b&gt; &lt;!channel&gt; where is the stapler" in text
    assert "&amp;amp;" not in text and "<!channel>" not in text
