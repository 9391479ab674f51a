"""A real bolt App from ``build_app``, fed Slack-signed ``BoltRequest``s, talking to a
fake Slack Web API on 127.0.0.1 that records every call (response_url posts too).

Listeners run before ``dispatch`` returns (``process_before_response=True``), so a test
can assert on the recorded calls at once, including that nothing was sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import App, BoltResponse
from slack_bolt.request import BoltRequest

from bot.config import Settings
from bot.engine import Engine
from bot.knowledge import KnowledgeBase
from bot.matching import Matcher, Thresholds
from bot.slack.app import build_app
from bot.store import Store
from tests.support.driver import SlackDriver
from tests.support.fake_slack import FakeSlackApi
from tests.support.http_harness import slack, slack_server
from tests.support.signing import SECRET, sign

__all__ = ["slack", "slack_server"]


class Bot(SlackDriver):
    """Sends signed requests to the app the way Slack would."""

    def __init__(self, app: App, slack: FakeSlackApi, engine: Engine) -> None:
        self.app = app
        self.slack = slack
        self.engine = engine

    def send(self, body: str, content_type: str, **headers: str) -> BoltResponse:
        all_headers = {"content-type": content_type, **sign(body), **headers}
        return self.app.dispatch(BoltRequest(body=body, headers=all_headers))


@pytest.fixture
def settings(slack: FakeSlackApi, tmp_path: Path) -> Settings:
    return Settings(
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=slack.url,
        db_path=str(tmp_path / "bot.db"),
        escalation_channel="C0ESCALATE",
    )


def make_bot(settings: Settings, slack: FakeSlackApi, knowledge: KnowledgeBase, **changes: Any):
    settings = replace(settings, **changes)
    log = Store(settings.db_path)
    thresholds = Thresholds.from_config(settings.answer_threshold, settings.suggest_threshold)
    engine = Engine(knowledge, log, Matcher(knowledge, thresholds))
    return Bot(build_app(settings, engine, process_before_response=True), slack, engine)


@pytest.fixture
def bot(settings: Settings, slack: FakeSlackApi, knowledge: KnowledgeBase) -> Iterator[Bot]:
    made = make_bot(settings, slack, knowledge)
    yield made
    made.engine.store.close()


# Scores move as the matcher learns; these thresholds keep a less certain on-topic
# question at the suggest level (1 <= score < 99) while the clearest questions answer.
SUGGESTING = {"answer_threshold": 99.0, "suggest_threshold": 1.0}


@pytest.fixture
def suggesting(settings: Settings, slack: FakeSlackApi, knowledge: KnowledgeBase) -> Iterator[Bot]:
    made = make_bot(settings, slack, knowledge, **SUGGESTING)
    yield made
    made.engine.store.close()
