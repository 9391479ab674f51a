"""End to end over HTTP: /emailstatus, every kind of reply, and Share in channel."""

from __future__ import annotations

import json

import pytest

from bot.commands import usage_lines
from tests.support.blockkit import action_ids, all_text, assert_valid
from tests.support.http_harness import LiveBot


def test_empty_command_gives_help_and_the_picker(live: LiveBot):
    reply = live.command("")
    assert_valid(reply)
    assert reply["response_type"] == "ephemeral"
    assert action_ids(reply) == ["pick_version"] * 4 + ["share_in_channel"]
    url = live.click(reply, "pick_version", value="2010", ephemeral=True)
    [replaced] = live.slack.responses(url)
    assert replaced["replace_original"] is True and "Steps for Outlook 2010" in all_text(replaced)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("outlook2010", "Steps for Outlook 2010"), ("2013", "Steps for Outlook 2013 and later"),
     ("o365", "Steps for Outlook 2013 and later"), ("Outlook 2007", "Steps for Outlook 2007"),
     ("mac", "not covered by the article")],
)  # fmt: skip
def test_version_in_any_spelling(live: LiveBot, text, expected):
    reply = live.command(text)
    assert_valid(reply)
    assert expected in all_text(reply) and "share_in_channel" in action_ids(reply)


def test_help_comes_from_the_shared_usage_text(live: LiveBot):
    reply = live.command("help")
    assert_valid(reply)
    for line in usage_lines():
        assert line.split(" — ")[1] in all_text(reply)


def test_question_is_matched_like_a_channel_question(live: LiveBot):
    reply = live.command("Opens never tracked for our Outlook 2016 recipients in HTML Email Status")
    assert_valid(reply)
    assert "Steps for Outlook 2013 and later" in all_text(reply)
    assert "case_escalate" in action_ids(reply)


def test_question_with_no_match_says_so(live: LiveBot):
    reply = live.command("how do I reset my salesforce password")
    assert "couldn't match" in all_text(reply)


def test_unknown_subcommand_gets_did_you_mean(live: LiveBot):
    reply = live.command("sumary")
    assert "Did you mean `/emailstatus summary`?" in all_text(reply)


def test_escaped_text_is_escaped_again_when_echoed(live: LiveBot):
    reply = live.command("<!channel>")
    assert "<!channel>" not in json.dumps(reply) and "&lt;!channel&gt;" in all_text(reply)


def test_share_in_channel_reposts_for_everyone(live: LiveBot):
    reply = live.command("2010")
    url = live.click(reply, "share_in_channel", ephemeral=True, user="U0LEAD")
    shared, removed = live.slack.responses(url)
    assert_valid(shared)
    assert shared["response_type"] == "in_channel" and shared["replace_original"] is False
    assert "Steps for Outlook 2010" in all_text(shared) and "Shared by <@U0LEAD>" in all_text(
        shared
    )
    assert removed["delete_original"] is True


def test_summary_replies_privately(live: LiveBot):
    reply = live.command("summary")
    assert_valid(reply)
    assert reply["response_type"] == "ephemeral"
