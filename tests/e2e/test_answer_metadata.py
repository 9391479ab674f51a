"""Every answer carries Slack message metadata (event_type ``emailstatus_answer``) with its
case, article and version, so another app in the workspace can see what the bot answered.
"""

from __future__ import annotations

from tests.support.http_harness import LiveBot

ON_2010 = "Times Opened stays at zero for every rep email; the recipients use Outlook 2010."
NO_VERSION = "HTML Email Status never changes after the contact reads it in Outlook. Why?"


def test_a_thread_answer_carries_its_case_article_and_version(live: LiveBot):
    _, reply, case = live.ask_in_channel(ON_2010)
    assert reply["metadata"] == {
        "event_type": "emailstatus_answer",
        "event_payload": {"case_id": case.id, "article_id": "000385822", "version": "2010"},
    }


def test_the_version_picked_later_updates_the_metadata(live: LiveBot):
    event, picker, case = live.ask_in_channel(NO_VERSION)
    assert picker["metadata"]["event_payload"]["version"] == ""
    live.click(picker, "pick_version", value="2007", thread_ts=event["ts"])
    [update] = live.slack.calls("chat.update")
    assert update["metadata"]["event_payload"] == {
        "case_id": case.id, "article_id": "000385822", "version": "2007"}  # fmt: skip


def test_a_slash_answer_carries_it_too(live: LiveBot):
    reply = live.command(ON_2010)
    assert reply["metadata"]["event_type"] == "emailstatus_answer"
    case_id = reply["metadata"]["event_payload"]["case_id"]
    assert live.engine.store.cases.get(case_id).source == "slash"
