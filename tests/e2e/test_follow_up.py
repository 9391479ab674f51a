"""FOLLOW_UP_AFTER=2s (1s, the shortest, where the delay itself is not checked) end to
end: the real app over HTTP, the real scheduler thread, the fake Slack Web API. An
unclicked answer gets exactly one "did it fix it?" in its thread, a clicked one none, and
a restart between the answer and the follow-up changes nothing. "Still only one" is
checked by ticking the schedulers a few more times, not by sleeping through their ticks.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest

from bot.config import Settings
from bot.knowledge import KnowledgeBase
from bot.render.blocks import CASE_RESOLVED
from bot.slack.weekly import Background, follow_up_poster, start_scheduler
from bot.store import Store
from tests.ops.test_metrics import scrape, value
from tests.support.fake_slack import FakeSlackApi
from tests.support.http_harness import LiveBot

ON_2010 = "Times Opened stays at zero for every rep email; the recipients use Outlook 2010."
FOLLOW_UP_TEXT = "Did the steps above fix it?"
TICK = 0.1


def after(duration: str, live_settings: Settings) -> Settings:
    return replace(live_settings, follow_up_after=Settings.from_env(
        {"FOLLOW_UP_AFTER": duration}).follow_up_after)  # fmt: skip


@pytest.fixture
def settings(live_settings: Settings) -> Settings:
    return after("2s", live_settings)


@pytest.fixture
def quick(live_settings: Settings) -> Settings:
    """The shortest FOLLOW_UP_AFTER, for tests that do not time the delay itself."""
    return after("1s", live_settings)


def follow_ups(slack: FakeSlackApi) -> list[dict[str, Any]]:
    return [c for c in slack.calls("chat.postMessage") if c.get("text") == FOLLOW_UP_TEXT]


def run_schedulers(bot: LiveBot, settings: Settings, store: Store | None = None) -> Background:
    """What serve starts in each worker, ticking often enough for a 2 s delay."""
    return start_scheduler(
        bot.app.client, store or bot.engine.store, settings, follow_up_interval=TICK
    )


def wait_until(check: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def settled(bot: LiveBot, case_id: int) -> bool:
    row = bot.engine.store.follow_ups.get(case_id) or {}
    return bool(row.get("sent_at") or row.get("skipped"))


def ticks_ask_nothing_more(*running: Background) -> None:
    """A few more ticks of each scheduler (as its thread would do), and none asks again."""
    for background in running:
        assert background.follow_ups is not None
        for _ in range(3):
            assert background.follow_ups.tick() == []


def test_an_unclicked_answer_gets_exactly_one_follow_up_in_its_thread(
    settings: Settings, slack: FakeSlackApi, knowledge: KnowledgeBase
):
    bot = LiveBot(settings, slack, knowledge)
    background = run_schedulers(bot, settings)
    series = ['emailstatus_follow_ups_total{event="sent"}',
              'emailstatus_follow_ups_total{event="resolved"}']  # fmt: skip
    before = scrape(bot)
    try:
        asked_at = time.monotonic()  # before the answer: it is stored later than this
        event, _, case = bot.ask_in_channel(ON_2010)
        [posted] = slack.wait_for("chat.postMessage", 1, timeout=10)
        # Not before FOLLOW_UP_AFTER (the case log keeps whole seconds: up to 1 s early).
        # (Timed from after the answer, this failed now and then: an answer stored at
        # x.95 s is due at x+2 s, maybe less than 1 s after ask_in_channel returned.)
        assert time.monotonic() - asked_at >= 1.0
        wait_until(lambda: settled(bot, case.id))  # recorded as sent, just after the post
        ticks_ask_nothing_more(background)  # several more ticks: still one
        [follow_up] = follow_ups(slack)
        assert follow_up is posted
        assert follow_up["channel"] == event["channel"] and follow_up["thread_ts"] == event["ts"]
        assert follow_up["blocks"][0]["text"]["text"].startswith(f"<@{event['user']}> ")
        buttons = [e["text"]["text"] for e in follow_up["blocks"][1]["elements"]]
        assert buttons == ["That fixed it", "Still not updating", "Ask a human"]

        # Its button settles the case like the answer's own, and re-renders the follow-up.
        slack.clear()
        bot.click(follow_up, CASE_RESOLVED, thread_ts=event["ts"])
        assert bot.engine.store.cases.get(case.id).status == "resolved"
        [update] = slack.calls("chat.update")
        assert update["text"] == FOLLOW_UP_TEXT and "marked this fixed" in str(update["blocks"])
        after = scrape(bot)  # /metrics counts the follow-up and what it turned into
        assert [value(after, s) - value(before, s) for s in series] == [1.0, 1.0]
    finally:
        background.stop()
        bot.close()


def test_a_clicked_answer_gets_none(quick: Settings, slack: FakeSlackApi, knowledge: KnowledgeBase):
    bot = LiveBot(quick, slack, knowledge)
    try:
        _, reply, case = bot.ask_in_channel(ON_2010)
        bot.click(reply, CASE_RESOLVED)
        # Started after the click: with the shortest delay an answer may be due at once.
        background = run_schedulers(bot, quick)
        try:
            wait_until(lambda: settled(bot, case.id))
            ticks_ask_nothing_more(background)
        finally:
            background.stop()
        assert follow_ups(slack) == []
        assert bot.engine.store.follow_ups.get(case.id)["skipped"] == "case resolved"
    finally:
        bot.close()


def test_a_restart_between_answer_and_follow_up_still_gives_exactly_one(
    settings: Settings, slack: FakeSlackApi, knowledge: KnowledgeBase
):
    first = LiveBot(settings, slack, knowledge)
    background = run_schedulers(first, settings)
    event, _, case = first.ask_in_channel(ON_2010)
    background.stop()  # the process stops before the follow-up is due
    first.close()
    assert follow_ups(slack) == []

    # The new process runs two workers on the same file, as gunicorn would.
    second = LiveBot(settings, slack, knowledge)
    other_worker = Store(settings.db_path)
    workers = [run_schedulers(second, settings), run_schedulers(second, settings, other_worker)]
    try:
        wait_until(lambda: settled(second, case.id))
        ticks_ask_nothing_more(*workers)
        [follow_up] = follow_ups(slack)
        assert follow_up["thread_ts"] == event["ts"]
    finally:
        for background in workers:
            background.stop()
        other_worker.close()
        second.close()


def test_a_follow_up_posted_by_a_process_killed_before_recording_it_is_not_asked_again(
    quick: Settings, slack: FakeSlackApi, knowledge: KnowledgeBase
):
    bot = LiveBot(quick, slack, knowledge)
    try:
        _, _, case = bot.ask_in_channel(ON_2010)
        store = bot.engine.store
        [pending] = store.follow_ups.due(store.conn.now())
        assert store.follow_ups.claim(case.id, "dead-worker")
        follow_up_poster(bot.app.client)(pending)  # posted... then kill -9: never recorded
        store.db.execute("update follow_ups set claimed_at = '2000-01-01T00:00:00+00:00'")
        background = run_schedulers(bot, quick)  # the stale claim is taken over, once due
        try:
            wait_until(lambda: settled(bot, case.id))
            ticks_ask_nothing_more(background)
        finally:
            background.stop()
        assert len(follow_ups(slack)) == 1  # before: asked twice
        assert slack.calls("conversations.replies")  # the thread was read back
    finally:
        bot.close()
