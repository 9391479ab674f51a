"""The console conversation: the same engine as Slack, with text instead of blocks."""

from __future__ import annotations

from bot.console import Console
from bot.matching import Matcher, Thresholds
from tests.support.engines import make_engine


def test_unknown_version_then_follow_up_with_the_version(engine):
    console = Console(engine)
    first = console.reply("times opened stuck at zero for a customer")
    assert "Which Outlook does the recipient use?" in first
    second = console.reply("we're on 2010")
    assert second.count("Outlook 2010:") == 1 and "Outlook 2007:" not in second
    assert engine.store.cases.get(1).chosen_version == "2010"


def test_slash_commands_in_the_console(engine):
    console = Console(engine)
    assert "Outlook 2013 and later (including Microsoft 365):" in console.reply("/emailstatus o365")
    assert "/emailstatus help — this help" in console.reply("/emailstatus help")
    unknown = console.reply("/emailstatus halp")
    assert "I don't know `halp`. Did you mean `/emailstatus help`?" in unknown
    assert "the closest steps" in console.reply("/emailstatus mac")


def test_off_topic_gets_what_i_can_help_with_and_a_gap(engine):
    reply = Console(engine).reply("where is the stapler")
    assert reply.startswith("I couldn't match that to an article.")
    gaps = list(engine.store.db["gaps"].rows)
    assert [g["reason"] for g in gaps] == ["no article matched"]


def cautious(knowledge, text: str) -> Matcher:
    """A matcher whose answer threshold sits just above the text's score: it suggests."""
    score = Matcher(knowledge).match(text).score
    return Matcher(knowledge, Thresholds(answer=min(100.0, score + 0.1), suggest=1.0))


def test_suggestion_can_be_declined(knowledge, case_log):
    text = "emails not being marked as opened in salesforce"
    console = Console(make_engine(knowledge, case_log, matcher=cautious(knowledge, text)))
    reply = console.reply(text)
    assert reply.endswith("(yes/no)")
    assert console.reply("no") == "OK, I'll stay out of it."
    assert [g["reason"] for g in case_log.db["gaps"].rows] == ["suggestion rejected"]


def test_suggestion_accepted_shows_the_answer(knowledge, case_log):
    text = "emails not being marked as opened in salesforce, outlook 2007"
    console = Console(make_engine(knowledge, case_log, matcher=cautious(knowledge, text)))
    console.reply(text)
    assert "Outlook 2007:\n1. On the Tools menu, click Options." in console.reply("yes")


def test_blank_lines_are_ignored(engine):
    assert Console(engine).reply("   ") == ""
