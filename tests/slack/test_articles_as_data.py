"""Articles are data: what an article says (or lacks) decides every surface's reply.

An article without variants gets no picker and no Outlook words anywhere; a note can be
the answer; another mail client gets the cause and an honest word about the steps.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from bot.answers import article_lookup, compose
from bot.console import Console
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.render.text import answer_text, customer_ready_text
from tests.conftest import KNOWLEDGE_DIR
from tests.slack.conftest import Bot
from tests.support import payloads as P
from tests.support.blockkit import action_ids, all_text, assert_valid
from tests.support.drivers import InProcessBot

FIXTURE = Path(__file__).parents[1] / "core" / "fixtures" / "second_article.yaml"
RELAY_QUESTION = "Our email relay keeps failing the TLS handshake, any idea?"
SHIPPED = load_knowledge(KNOWLEDGE_DIR)
OUTLOOK_WORDS = ("Outlook", "outlook", "@salesforce.com", "Safe Senders", "pick_version")


@pytest.fixture
def relay_only(tmp_path: Path) -> KnowledgeBase:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    shutil.copy(FIXTURE, folder)
    kb = load_knowledge(folder)
    assert kb.ok and [a.id for a in kb.articles] == ["000999001"]
    return kb


@pytest.fixture
def relay_bot(settings, slack, relay_only) -> Iterator[Bot]:
    made = InProcessBot(settings, slack, relay_only)
    yield made
    made.close()


def no_outlook(text: str) -> None:
    assert not [w for w in OUTLOOK_WORDS if w in text], text


def test_an_article_without_variants_has_no_picker_or_outlook_words_anywhere(relay_bot: Bot):
    # Thread answer.
    event = P.message(RELAY_QUESTION)
    relay_bot.event(event)
    (thread,) = relay_bot.slack.calls("chat.postMessage")
    assert_valid(thread)
    assert "Check the certificate on the relay host." in all_text(thread)
    assert "pick_version" not in action_ids(thread)
    no_outlook(all_text(thread) + str(action_ids(thread)))
    # Customer-ready text, from the article's own template.
    relay_bot.click(thread, "case_customer_text", thread_ts=event["ts"])
    (private,) = relay_bot.slack.calls("chat.postEphemeral")
    assert "Regards" in all_text(private) and "1. Check the certificate" in all_text(private)
    no_outlook(all_text(private))
    # Slash: a question, the bare command, and the article by its alias.
    for text in (RELAY_QUESTION, "", "relay"):
        reply = relay_bot.command(text)
        assert_valid(reply)
        no_outlook(all_text(reply) + str(action_ids(reply)))
    assert "Check the certificate" in all_text(relay_bot.command("relay"))
    # App Home.
    relay_bot.event(P.home_opened(user="U0LEAD"))
    (home,) = relay_bot.slack.calls("views.publish")
    assert_valid(home["view"], "home")
    assert "Email Relay TLS failures" in all_text(home["view"])
    no_outlook(all_text(home["view"]))


def test_an_article_without_variants_in_the_console(relay_only, case_log):
    from bot.engine import Engine
    from bot.matching import Matcher

    console = Console(Engine(relay_only, case_log, Matcher(relay_only)))
    reply = console.reply(RELAY_QUESTION)
    assert "1. Check the certificate on the relay host." in reply
    no_outlook(reply)
    article = relay_only.articles[0]
    text = customer_ready_text(compose(article, None))
    assert text.startswith("Hello,") and text.endswith("Regards")
    no_outlook(text)


# -- notes that change the answer and other mail clients ---------------------------------------

STAY_IN_TOUCH = "Our mass stay-in-touch emails never get HTML Email Status opens in Outlook 2016"
GMAIL = "Times Opened never goes above zero, the contact reads everything in Gmail"


def test_a_stay_in_touch_question_leads_with_expected_behaviour_and_no_fix(bot: Bot):
    event = P.message(STAY_IN_TOUCH)
    bot.event(event)
    (reply,) = bot.slack.calls("chat.postMessage")
    assert_valid(reply)
    first = reply["blocks"][0]["text"]["text"]
    assert first.startswith("Single stay-in-touch requests") and "expected behavior" in first
    text = all_text(reply)
    assert "Steps for" not in text and "Junk E-mail Options" not in text
    assert "pick_version" not in action_ids(reply)
    assert "case_customer_text" not in action_ids(reply)


def test_another_mail_client_gets_the_cause_and_an_honest_word_and_is_a_gap(bot: Bot):
    bot.event(P.message(GMAIL))
    (reply,) = bot.slack.calls("chat.postMessage")
    assert_valid(reply)
    text = all_text(reply)
    assert "*Why:*" in text and "for Microsoft Outlook only" in text
    assert "Steps for" not in text and "pick_version" not in action_ids(reply)
    assert "Which Outlook" not in text
    reasons = [r["reason"] for r in bot.engine.store.db["gaps"].rows]
    assert reasons == ["mail client not covered: gmail"]


def test_gmail_next_to_outlook_is_still_an_outlook_question(bot: Bot):
    bot.event(P.message("Opens are tracked for Gmail users but never for Outlook 2010 users"))
    (reply,) = bot.slack.calls("chat.postMessage")
    assert "Steps for Outlook 2010" in all_text(reply)


# -- the neighbouring articles ----------------------------------------------------------------


def test_alias_lookup_for_an_article_and_a_variant(bot: Bot):
    reply = bot.command("outlook 2007")
    assert "Steps for Outlook 2007" in all_text(reply)
    considerations = bot.command("considerations")
    assert "Considerations for Email Open Tracking" in all_text(considerations)
    assert "Email-to-Case" in all_text(considerations)
    assert "pick_version" not in action_ids(considerations)


def test_the_shipped_folder_answers_the_neighbours_with_their_own_article(tmp_path: Path):
    kb = load_knowledge(KNOWLEDGE_DIR)
    from bot.matching import Matcher

    matcher = Matcher(kb)
    phantom = matcher.match("Mimecast on the customer's side opens every email, so SF says opened")
    assert phantom.article_id == "emailadmin_tracking_considerations"
    where = matcher.match("where can I see the HTML email status report in lightning?")
    assert where.article_id == "000385622"


def test_slash_and_shortcut_answer_with_the_article_they_matched(bot: Bot):
    reply = bot.command("where would I find the HTML Email Status report in Lightning Experience")
    assert_valid(reply)
    assert "Enable HTML email tracking in Salesforce" in all_text(reply)
    assert "Einstein Activity Capture" in all_text(reply)
    assert "pick_version" not in action_ids(reply)
    url = bot.slack.response_url()
    question = "The customer's Mimecast gateway makes every email look opened in Salesforce"
    bot.interact(P.message_shortcut(question, response_url=url))
    (posted,) = bot.slack.calls("chat.postMessage")
    assert_valid(posted)
    assert "Considerations for Email Open Tracking" in all_text(posted)
    assert "Spam filters and mail gateways" in all_text(posted)


def test_the_console_looks_articles_up_by_alias_like_slack(engine):
    console = Console(engine)
    assert "Email-to-Case" in console.reply("/emailstatus considerations")
    assert "Outlook 2010:" in console.reply("/emailstatus outlook 2010")


@examples(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_composing_and_looking_up_never_raise_on_any_text(text):
    for article in SHIPPED.articles:
        answer = compose(article, None, text)
        assert answer_text(answer) and customer_ready_text(answer)
    article_lookup(SHIPPED.articles, text)


@pytest.mark.parametrize(
    ("question", "article_id"),
    [
        ("we told them to enable images in Outlook 2016 and Times Opened is still 0", "000385822"),
        ("turn on automatic picture download in outlook? opens still not tracked", "000385822"),
        ("where do I activate html email tracking in setup, can't find it", "000385622"),
        ("our Proofpoint gateway seems to open every email we send from Salesforce",
         "emailadmin_tracking_considerations"),
    ],
)  # fmt: skip
def test_neighbours_and_000385822_keep_their_own_questions(question, article_id):
    from bot.matching import Level, Matcher

    # Routing: the right article, never another one. (Whether it answers or first asks is
    # the learned threshold's call: matcher v3 suggests the second question at 85 of 89.)
    match = Matcher(SHIPPED).match(question)
    assert match.level is not Level.SILENT and match.article_id == article_id, match
