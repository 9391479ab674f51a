"""Two `serve` replicas (gunicorn, two workers each) on one PostgreSQL database act as one
bot, against the fake Slack Web API: every question gets one reply whichever replica
its deliveries reach, a due follow-up is asked once, and a week is posted once.

Skips, saying why, only when the PostgreSQL server binaries are missing.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bot.render.follow_up_post import FOLLOW_UP_BLOCK_ID
from tests.ops.serving import BOT_TOKEN, EXE, Server, serve_many
from tests.support import payloads as P
from tests.support.fake_slack import FakeSlackApi
from tests.support.postgres import Server as PgServer
from tests.support.signing import SECRET, sign

QUESTION = "Times Opened stays at 0 for our Outlook 2010 recipients"
# Seconds to wait for a duplicate reply (or follow-up), once every thread has its post and
# the database owes nothing: every listener had started before its delivery was acked.
SETTLE = 0.5
SUMMARY_CHANNEL = "C0SUMMARY"


@dataclass
class Replicas:
    a: Server
    b: Server
    slack: FakeSlackApi
    url: str


@pytest.fixture(scope="module")
def replicas(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    url = pg_server.fresh_database()
    root = tmp_path_factory.mktemp("replicas")
    # FOLLOW_UP_AFTER=1s: every worker of both replicas looks for due follow-ups 4 times a second.
    env = {"DATABASE_URL": url, "FOLLOW_UP_AFTER": "1s", "SUMMARY_CHANNEL": ""}
    try:
        with ExitStack() as stack:
            slack = stack.enter_context(
                FakeSlackApi(bot_user=P.BOT_USER, bot_id=P.BOT_ID, team=P.TEAM)
            )
            a, b = stack.enter_context(serve_many(slack, [root / "a", root / "b"], env))
            yield Replicas(a, b, slack, url)
    finally:
        pg_server.drop_database(url)


def deliver(server: Server, event: dict[str, Any], retry: int = 0) -> int:
    body = json.dumps(event)
    headers = {"Content-Type": "application/json", **sign(body)}
    if retry:  # how Slack marks a redelivery
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    return server.request("POST", "/slack/events", body.encode(), headers).status


def deliver_all(deliveries: list[tuple[Server, dict[str, Any], int]]) -> list[int]:
    """Send every delivery at once, as Slack's retries and the two events of a post arrive."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda d: deliver(*d), deliveries))


def is_follow_up(call: dict[str, Any]) -> bool:
    blocks = call.get("blocks") or []
    return any(block.get("block_id") == FOLLOW_UP_BLOCK_ID for block in blocks)


def posts_in(slack: FakeSlackApi, threads: set[str], *, follow_ups: bool = False) -> Counter[str]:
    calls = slack.calls("chat.postMessage")
    return Counter(
        call["thread_ts"] for call in calls
        if call.get("thread_ts") in threads and is_follow_up(call) == follow_ups
    )  # fmt: skip


def owed(url: str, threads: set[str], *, follow_ups: bool = False) -> int:
    """Replies the database still owes (events not done), or these threads' follow-ups
    not yet sent: what could still be posted."""
    if follow_ups:
        sql = (
            "select count(*) from follow_ups f join cases c on c.id = f.case_id"
            " where c.thread_ts = any(%s) and f.sent_at is null and f.skipped is null"
        )
        arguments: list[Any] = [sorted(threads)]
    else:
        sql, arguments = "select count(*) from slack_events where done_at is null", []
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(sql, arguments).fetchone()
    return int(row[0]) if row else 0


def wait_for_posts(
    slack: FakeSlackApi,
    url: str,
    threads: set[str],
    *,
    follow_ups: bool = False,
    seconds: float = 20.0,
) -> Counter[str]:
    """Wait until every thread has a post of the kind and the database owes nothing more,
    then a little longer for duplicates."""
    deadline = time.monotonic() + seconds
    while (len(posts_in(slack, threads, follow_ups=follow_ups)) < len(threads)
           or owed(url, threads, follow_ups=follow_ups)):  # fmt: skip
        assert time.monotonic() < deadline, posts_in(slack, threads, follow_ups=follow_ups)
        time.sleep(0.05)
    time.sleep(SETTLE)
    return posts_in(slack, threads, follow_ups=follow_ups)


def test_retried_deliveries_spread_over_both_replicas_get_one_reply_each(
    replicas: Replicas,
) -> None:
    events = [P.event_body(P.message(f"{QUESTION} (#{n})"), f"EvSpread{n}") for n in range(8)]
    deliveries = []
    for n, event in enumerate(events):  # the first delivery and its two retries, alternating
        first, other = (replicas.a, replicas.b) if n % 2 else (replicas.b, replicas.a)
        deliveries += [(first, event, 0), (other, event, 1), (first, event, 2)]
    assert deliver_all(deliveries) == [200] * len(deliveries)
    threads = {event["event"]["ts"] for event in events}
    assert wait_for_posts(replicas.slack, replicas.url, threads) == Counter(
        dict.fromkeys(threads, 1)
    )


def test_message_and_app_mention_of_one_post_on_two_replicas_get_one_reply(
    replicas: Replicas,
) -> None:
    deliveries, threads = [], set()
    for n in range(6):
        ts, text = P.next_ts(), f"<@{P.BOT_USER}> {QUESTION} (mention #{n})"
        message = P.event_body(P.message(text, ts=ts), f"EvPostMessage{n}")
        mention = P.event_body(P.mention(f"{QUESTION} (mention #{n})", ts=ts), f"EvPostMention{n}")
        first, other = (replicas.a, replicas.b) if n % 2 else (replicas.b, replicas.a)
        deliveries += [(first, message, 0), (other, mention, 0)]
        threads.add(ts)
    assert deliver_all(deliveries) == [200] * len(deliveries)
    assert wait_for_posts(replicas.slack, replicas.url, threads) == Counter(
        dict.fromkeys(threads, 1)
    )


def test_a_due_follow_up_is_asked_once_by_four_workers_on_two_replicas(
    replicas: Replicas,
) -> None:
    events = [P.event_body(P.message(f"{QUESTION} (due #{n})"), f"EvDue{n}") for n in range(4)]
    servers = [replicas.a, replicas.b]
    assert deliver_all([(servers[n % 2], e, 0) for n, e in enumerate(events)]) == [200] * 4
    threads = {event["event"]["ts"] for event in events}
    assert wait_for_posts(replicas.slack, replicas.url, threads) == Counter(
        dict.fromkeys(threads, 1)
    )
    asked = wait_for_posts(replicas.slack, replicas.url, threads, follow_ups=True, seconds=30)
    assert asked == Counter({ts: 1 for ts in threads})


def test_two_summary_posts_at_once_post_the_week_once(replicas: Replicas, tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": replicas.url, "SLACK_BOT_TOKEN": BOT_TOKEN,
           "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": replicas.slack.url,
           "SUMMARY_CHANNEL": SUMMARY_CHANNEL,
           "EMAILSTATUS_DB": str(tmp_path / "unused.db")}  # fmt: skip
    command = [str(EXE), "summary", "--week", "current", "--post"]
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    runs = [subprocess.Popen(command, env=env, **pipes) for _ in range(2)]  # type: ignore[call-overload]
    results = [(run.wait(60), *run.communicate()) for run in runs]
    assert [code for code, _, _ in results] == [0, 0], results
    said = sorted(err.strip().splitlines()[-1].split(" ")[0] for _, _, err in results)
    assert said == ["Posted", "Week"]  # "Posted week …" and "Week … was already posted"
    posts = [c for c in replicas.slack.calls("chat.postMessage") if c["channel"] == SUMMARY_CHANNEL]
    assert len(posts) == 1
    assert not (tmp_path / "unused.db").exists()


def test_a_sigkilled_replicas_acked_events_are_answered_once_by_the_other(
    pg_server: PgServer, tmp_path: Path
) -> None:
    """Acked by replica a, which dies mid-burst: replica b answers each one, once, without
    waiting for a to restart (a dead process on this host is gone at once; on another host
    its heartbeat lease runs out first)."""
    url = pg_server.fresh_database()
    # b takes a's work over at its owed-reply sweeps; an event whose post a had begun only
    # after POST_LANDING (a post still on its way, in the fake's 0.5 s, would otherwise be
    # missed by the read-back and the event answered a second time: seen before the fix).
    env = {"DATABASE_URL": url, "FOLLOW_UP_AFTER": "off", "INBOX_SWEEP_EVERY": "0.5"}
    try:
        with ExitStack() as stack:
            slack = stack.enter_context(
                FakeSlackApi(bot_user=P.BOT_USER, bot_id=P.BOT_ID, team=P.TEAM)
            )
            a, _ = stack.enter_context(serve_many(slack, [tmp_path / "a", tmp_path / "b"], env))
            slack.slow("chat.postMessage", 0.5)  # replies lag the acks, as under load
            events = [P.event_body(P.message(f"{QUESTION} (#{n})")) for n in range(12)]
            assert deliver_all([(a, event, 0) for event in events]) == [200] * len(events)
            os.killpg(a.process.pid, signal.SIGKILL)  # master and workers at once
            a.process.wait()
            killed = time.monotonic()
            slack.slow("chat.postMessage", 0)
            threads = {event["event"]["ts"] for event in events}
            answered_by_a = len(posts_in(slack, threads))
            assert answered_by_a < len(threads), "the kill came too late to leave work owed"
            replies = wait_for_posts(slack, url, threads, seconds=45)
            took_over = time.monotonic() - killed - SETTLE
            assert set(replies.values()) == {1}, replies  # every acked event, exactly once
            print(f"takeover after SIGKILL: {took_over:.1f} s "
                  f"({len(threads) - answered_by_a} of {len(threads)} taken over)")  # fmt: skip
    finally:
        pg_server.drop_database(url)
