"""The start-up re-run of acked events that a killed process left unanswered.

Each test leaves the inbox the way a worker killed at one point of a reply leaves it,
then runs the ``InboxRerun`` against the fake Slack Web API.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot.config import Settings
from bot.engine import Where
from bot.slack.inbox_rerun import POST_LANDING, InboxRerun, inbox_payload
from bot.slack.listeners.messages import RETRY_SOON
from bot.store import iso, utc_now
from bot.store.inbox import Pending
from tests.support import payloads as P
from tests.support.drivers import InProcessBot as Bot

QUESTION = "Times Opened never moves past 0 for our rep's emails; recipients run Outlook 2010."
GONE = "elsewhere:4242:1"


def acked(bot: Bot, event: dict[str, Any], event_id: str) -> None:
    """The row the dedupe middleware writes before the ack, owned by a dead worker."""
    body = P.event_body(event, event_id)
    assert bot.engine.store.inbox.first_delivery(event_id, inbox_payload(body))
    bot.engine.store.db.execute("update slack_events set boot = ? where event_id = ?",
                                [GONE, event_id])  # fmt: skip


def began(
    bot: Bot, event: dict[str, Any], event_id: str, *, case: bool = True, posting: bool = False
) -> None:
    """Killed after the listener claimed the post (and, with ``case``, opened its case;
    with ``posting``, started to send the reply)."""
    acked(bot, event, event_id)
    assert bot.engine.store.inbox.claim_message(event["channel"], event["ts"], event_id)
    if case:
        where = Where("channel", P.TEAM, event["channel"], event["ts"], event["user"])
        assert bot.engine.ask(event["text"], where).case is not None
    if posting:  # long enough ago for a post that reached Slack to be in the thread
        bot.engine.store.inbox.posting(event_id)
        started = iso(utc_now() - POST_LANDING)
        bot.engine.store.db.execute("update slack_events set posting_at = ? where event_id = ?",
                                    [started, event_id])  # fmt: skip


def replay(bot: Bot, settings: Settings) -> Counter[str]:
    return InboxRerun(bot.engine, settings, bot.app.client).run()


def cases(bot: Bot) -> list[dict[str, Any]]:
    return list(bot.engine.store.db["cases"].rows)


def test_an_event_never_started_is_answered_once(bot: Bot, settings: Settings):
    event = P.message(QUESTION)
    acked(bot, event, "EvNever")
    assert replay(bot, settings)["replayed"] == 1
    [reply] = bot.slack.calls("chat.postMessage")
    assert reply["thread_ts"] == event["ts"] and "Steps for Outlook 2010" in reply[
        "text"
    ] + json.dumps(reply)
    [case] = cases(bot)
    assert case["reply_ts"] and case["thread_ts"] == event["ts"]
    row = bot.engine.store.db.table("slack_events").get("EvNever")
    assert row["done_at"] and row["payload"] is None and row["replayed_at"]
    assert sum(replay(bot, settings).values()) == 0  # a second start-up finds nothing
    assert len(bot.slack.calls("chat.postMessage")) == 1


def test_a_reply_already_in_the_thread_is_not_sent_again(bot: Bot, settings: Settings):
    event = P.message(QUESTION)
    began(bot, event, "EvPosted", posting=True)
    posted = bot.app.client.chat_postMessage(channel=event["channel"], thread_ts=event["ts"],
                                             text="the answer")  # fmt: skip
    counts = replay(bot, settings)
    assert counts["already_replied"] == 1 and counts["replayed"] == 0
    assert len(bot.slack.calls("chat.postMessage")) == 1  # only the one sent before the kill
    [case] = cases(bot)
    assert case["reply_ts"] == posted["ts"]  # the case now knows its reply


def test_a_case_opened_without_a_reply_is_redone_as_one_case(bot: Bot, settings: Settings):
    event = P.message(QUESTION)
    began(bot, event, "EvOrphan")
    assert replay(bot, settings)["replayed"] == 1
    assert bot.slack.calls("conversations.replies") == []  # never posted: no need to ask
    assert len(bot.slack.calls("chat.postMessage")) == 1
    [case] = cases(bot)
    assert case["reply_ts"]


def test_a_reply_that_never_reached_slack_is_sent(bot: Bot, settings: Settings):
    event = P.message(QUESTION)
    began(bot, event, "EvLostPost", posting=True)  # killed as the post went out
    assert replay(bot, settings)["replayed"] == 1
    [lookup] = bot.slack.calls("conversations.replies")
    assert (lookup["channel"], lookup["ts"]) == (event["channel"], event["ts"])
    assert len(bot.slack.calls("chat.postMessage")) == 1 and len(cases(bot)) == 1


def test_a_post_that_may_still_be_on_its_way_is_read_back_again_later(bot: Bot, settings: Settings):
    """Killed just as its post went out: the post may not be in the thread yet. Re-run at
    once, it was answered twice (a replica killed mid-burst)."""
    event = P.message(QUESTION)
    began(bot, event, "EvInFlight")
    bot.engine.store.inbox.posting("EvInFlight")  # a moment ago
    assert replay(bot, settings)["retry_later"] == 1
    assert bot.slack.calls("chat.postMessage") == []
    assert "EvInFlight" in RETRY_SOON.pending()  # the next sweep reads it back again
    RETRY_SOON.forget(["EvInFlight"])
    row = bot.engine.store.db.table("slack_events").get("EvInFlight")
    assert row["payload"] and not row["done_at"]  # still owed


def test_when_slack_cannot_say_the_event_is_not_rerun(bot: Bot, settings: Settings):
    event = P.message(QUESTION)
    began(bot, event, "EvUnknown", case=False, posting=True)
    bot.slack.fail("conversations.replies", "missing_scope")
    assert replay(bot, settings)["uncertain"] == 1
    assert bot.slack.calls("chat.postMessage") == []
    assert bot.engine.store.db.table("slack_events").get("EvUnknown")["payload"] is None


def test_the_other_event_for_the_same_post_answers_it(bot: Bot, settings: Settings):
    event = P.message(f"<@{P.BOT_USER}> {QUESTION}")
    acked(bot, event, "EvMessage")
    bot.engine.store.inbox.claim_message(event["channel"], event["ts"], "EvMention")
    assert replay(bot, settings)["skipped"] == 1
    assert bot.slack.calls("chat.postMessage") == []


def test_a_live_event_is_done_and_keeps_no_payload(bot: Bot):
    bot.event(P.message(QUESTION), event_id="EvLive")
    row = bot.engine.store.db.table("slack_events").get("EvLive")
    assert row["done_at"] and row["payload"] is None
    assert bot.engine.store.inbox.undone() == 0


def test_only_events_the_bot_may_answer_are_kept_for_a_rerun():
    assert inbox_payload(P.event_body(P.message(QUESTION)))
    assert inbox_payload(P.event_body(P.mention(QUESTION)))
    for event in (P.bot_message(QUESTION), P.edited(), P.home_opened(), P.joined()):
        assert inbox_payload(P.event_body(event)) is None
    assert inbox_payload({"type": "event_callback", "event": None}) is None


def test_events_older_than_the_setting_are_not_rerun(bot: Bot, settings: Settings):
    assert Settings.from_env({}).inbox_replay_max_age == 600  # 10 minutes by default
    assert Settings.from_env({"INBOX_REPLAY_MAX_AGE": "60"}).inbox_replay_max_age == 60
    acked(bot, P.message(QUESTION), "EvStale")
    two_minutes_ago = iso(utc_now() - timedelta(minutes=2))
    bot.engine.store.db.execute("update slack_events set seen_at = ?", [two_minutes_ago])
    counts = replay(bot, replace(settings, inbox_replay_max_age=60))
    assert counts["expired"] == 1 and counts["replayed"] == 0
    assert bot.slack.calls("chat.postMessage") == []
    assert bot.engine.store.db.table("slack_events").get("EvStale")["payload"] is None


def test_the_counts_are_logged_and_exported(bot: Bot, settings: Settings, caplog):
    from bot import metrics

    acked(bot, P.message(QUESTION), "EvCounted")
    before = metrics.exposition()[0].decode()
    with caplog.at_level("INFO", logger="bot.slack.inbox_rerun"):
        replay(bot, settings)
    assert "inbox replay: 1 replayed, 0 already_replied" in caplog.text
    after = metrics.exposition()[0].decode()
    assert replayed_count(after) == replayed_count(before) + 1


def replayed_count(exposition: str) -> float:
    series = 'emailstatus_inbox_replayed_total{outcome="replayed"}'
    # No series yet when no re-run has reported in this process (the test ran alone).
    line = next((x for x in exposition.splitlines() if x.startswith(series)), f"{series} 0")
    return float(line.split()[-1])


def test_a_reply_that_failed_stays_owed(bot: Bot):
    bot.slack.fail("chat.postMessage", "fatal_error")
    body = json.dumps(P.event_body(P.message(QUESTION), "EvFailed"))
    bot.send(body, "application/json")
    assert len(bot.slack.calls("chat.postMessage")) == 1  # tried, and failed
    row = bot.engine.store.db.table("slack_events").get("EvFailed")
    assert row["done_at"] is None and row["payload"] and row["posting_at"]


def test_a_follow_up_naming_a_version_is_rerun_with_its_steps(bot: Bot, settings: Settings):
    first = P.message("HTML Email Status never changes after the contact reads it in Outlook.")
    bot.event(first)
    follow_up = P.message("we're on 2010", thread_ts=first["ts"])
    acked(bot, follow_up, "EvFollowUp")
    assert replay(bot, settings)["replayed"] == 1
    steps = bot.slack.calls("chat.postMessage")[-1]
    assert steps["thread_ts"] == first["ts"] and "Steps for Outlook 2010" in json.dumps(steps)
    [case] = cases(bot)
    assert case["chosen_version"] == "2010"


def test_a_shutdown_during_the_replay_stops_it_quietly(bot: Bot, settings: Settings, caplog):
    class ClosedMidway(InboxRerun):
        def replay(self, pending: Pending, landing: bool = True) -> str:
            bot.engine.store.close()  # as Bot.close does on SIGTERM
            return super().replay(pending, landing)

    acked(bot, P.message(QUESTION), "EvA")
    acked(bot, P.message(QUESTION + " again"), "EvB")
    counts = ClosedMidway(bot.engine, settings, bot.app.client).run()
    assert sum(counts.values()) == 0 and "inbox replay stopped" in caplog.text
    assert bot.slack.calls("chat.postMessage") == []


def test_a_rerun_that_fails_is_counted_and_not_tried_again(bot: Bot, settings: Settings):
    acked(bot, P.message(QUESTION), "EvBroken")
    bot.slack.fail("chat.postMessage", "fatal_error")
    assert replay(bot, settings)["failed"] == 1
    assert bot.engine.store.db.table("slack_events").get("EvBroken")["payload"] is None
    assert sum(replay(bot, settings).values()) == 0
