"""The weekly post over real HTTP: blocks by chat.postMessage, chart by files_upload_v2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient

from bot.config import Settings
from bot.scheduler import Schedule, WeeklyScheduler
from bot.slack.weekly import post_summary, start_scheduler, weekly_poster
from bot.store import Store
from bot.summary import IsoWeek, summarise
from tests.cases.support import Clock, Row, build
from tests.support.fake_slack import FakeSlackApi

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def api() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as fake:
        yield fake


def client_for(api: FakeSlackApi) -> WebClient:
    return WebClient(token="xoxb-test", base_url=api.url)


def filled_week(log: Store, clock: Clock) -> None:
    at = datetime(2026, 11, 17, 10, tzinfo=UTC)
    build(log, clock, [Row(at, action="case_resolved"), Row(at, version="2007")])


def test_post_summary_posts_blocks_then_the_chart_in_its_thread(
    api: FakeSlackApi, log: Store, clock: Clock
) -> None:
    filled_week(log, clock)
    summary = summarise(log, IsoWeek(2026, 47), ZoneInfo("UTC"))
    posted = post_summary(client_for(api), "#support-leads", summary)

    assert api.methods() == [
        "chat.postMessage", "files.getUploadURLExternal", "upload/F0CHART",
        "files.completeUploadExternal",
    ]  # fmt: skip
    message = api.calls("chat.postMessage")[0]
    assert message["channel"] == "#support-leads"
    assert message["text"].startswith("Email status cases: week 2026-W47: 2 cases")
    blocks = (
        message["blocks"] if isinstance(message["blocks"], list) else json.loads(message["blocks"])
    )
    assert blocks[0]["text"]["text"] == "Email status cases: week 2026-W47"
    assert api.raw("upload/F0CHART")[0].startswith(PNG_SIGNATURE)
    complete = api.calls("files.completeUploadExternal")[0]
    # The channel ID from chat.postMessage, not the configured name; under the summary.
    assert complete["channel_id"] == "C0SUPPORTLEADS" and complete["thread_ts"] == posted.ts
    assert posted.channel == "C0SUPPORTLEADS"


def test_a_failed_chart_upload_does_not_fail_the_post(
    api: FakeSlackApi, log: Store, clock: Clock
) -> None:
    filled_week(log, clock)
    api.fail("files.completeUploadExternal", "not_in_channel")
    summary = summarise(log, IsoWeek(2026, 47), ZoneInfo("UTC"))
    assert post_summary(client_for(api), "C0SUMMARY", summary).ts is not None


def test_an_empty_week_posts_no_chart(api: FakeSlackApi, log: Store) -> None:
    post_summary(client_for(api), "C0SUMMARY", summarise(log, IsoWeek(2026, 47), ZoneInfo("UTC")))
    assert api.methods() == ["chat.postMessage"]


def test_two_workers_post_the_week_once_over_http(
    api: FakeSlackApi, db_path: Path, log: Store, clock: Clock
) -> None:
    filled_week(log, clock)
    settings = Settings.from_env({"SUMMARY_CHANNEL": "C0SUMMARY", "SUMMARY_TZ": "Europe/Paris"})
    clock.set(datetime(2026, 11, 23, 8, 0, 30, tzinfo=UTC))  # Monday 09:00:30 in Paris
    workers = []
    for name in ("worker-1", "worker-2"):
        worker_log = Store(db_path, clock=clock)
        poster = weekly_poster(client_for(api), worker_log, settings)
        workers.append(
            WeeklyScheduler(worker_log, Schedule(0, 9, 0), ZoneInfo("Europe/Paris"), poster,
                            clock=clock, name=name)
        )  # fmt: skip
    for _ in range(3):
        for worker in workers:
            worker.tick()
        clock.advance(minutes=1)
    assert len(api.calls("chat.postMessage")) == 1
    assert len(api.calls("files.completeUploadExternal")) == 1
    claim = workers[0].store.claims.get("2026-W47")
    assert claim is not None and claim["channel"] == "C0SUMMARY" and claim["message_ts"]


def test_no_summary_channel_no_scheduler(api: FakeSlackApi, log: Store) -> None:
    off = Settings.from_env({"FOLLOW_UP_AFTER": "off"})
    nothing = start_scheduler(client_for(api), log, off)
    assert nothing.weekly is None and nothing.follow_ups is None
    settings = Settings.from_env({"SUMMARY_CHANNEL": "C0SUMMARY"})
    wednesday = datetime(2026, 11, 18, tzinfo=UTC)  # nothing due: the threads only wait
    running = start_scheduler(client_for(api), log, settings, clock=lambda: wednesday)
    assert running.weekly is not None and running.weekly.running
    assert running.follow_ups is not None and running.follow_ups.running  # 24h by default
    running.stop()
    assert not running.weekly.running and not running.follow_ups.running
    assert api.methods() == []
