"""A real bolt App from ``build_app``, fed Slack-signed ``BoltRequest``s, talking to a
fake Slack Web API on 127.0.0.1 that records every call (response_url posts too).

Listeners run before ``dispatch`` returns (``process_before_response=True``), so a test
can assert on the recorded calls at once, including that nothing was sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import App, BoltResponse
from slack_bolt.request import BoltRequest

from bot.cases import CaseLog
from bot.config import Settings
from bot.engine import Engine
from bot.knowledge import KnowledgeBase
from bot.matching import Matcher, Thresholds
from bot.slack.app import build_app
from tests.support import payloads as P
from tests.support.fake_slack import FakeSlackApi
from tests.support.signing import SECRET, sign


class Bot:
    """Sends signed requests to the app the way Slack would."""

    def __init__(self, app: App, slack: FakeSlackApi, engine: Engine) -> None:
        self.app = app
        self.slack = slack
        self.engine = engine

    def send(self, body: str, content_type: str, **headers: str) -> BoltResponse:
        all_headers = {"content-type": content_type, **sign(body), **headers}
        return self.app.dispatch(BoltRequest(body=body, headers=all_headers))

    def event(self, event: dict[str, Any], event_id: str | None = None, **headers: str):
        body = json.dumps(P.event_body(event, event_id))
        response = self.send(body, "application/json", **headers)
        assert response.status == 200, response.body
        return response

    def command(self, text: str, **kwargs: Any) -> dict[str, Any]:
        """Run /emailstatus and return the reply it sent to the response_url."""
        url = self.slack.response_url()
        body = P.slash_form(text, response_url=url, **kwargs)
        response = self.send(body, "application/x-www-form-urlencoded")
        assert response.status == 200, response.body
        replies = self.slack.responses(url)
        assert len(replies) == 1, replies
        return replies[0]

    def interact(self, payload: dict[str, Any]) -> BoltResponse:
        body = P.interactive_form(payload)
        response = self.send(body, "application/x-www-form-urlencoded")
        assert response.status == 200, response.body
        return response

    def click(self, posted: dict[str, Any], action_id: str, **kwargs: Any) -> str:
        """Click a button in ``posted``; returns the click's response_url."""
        url = self.slack.response_url()
        self.interact(P.block_actions(posted, action_id, response_url=url, **kwargs))
        return url


@pytest.fixture(scope="session")
def slack_server() -> Iterator[FakeSlackApi]:
    with FakeSlackApi(bot_user=P.BOT_USER, bot_id=P.BOT_ID, team=P.TEAM) as api:
        yield api


@pytest.fixture
def slack(slack_server: FakeSlackApi) -> FakeSlackApi:
    """One server for the session (shutting one down takes 0.5 s); a clean log per test."""
    slack_server.clear()
    return slack_server


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
    log = CaseLog(settings.db_path)
    thresholds = Thresholds(settings.answer_threshold, settings.suggest_threshold)
    engine = Engine(knowledge, log, Matcher(knowledge, thresholds))
    return Bot(build_app(settings, engine, process_before_response=True), slack, engine)


@pytest.fixture
def bot(settings: Settings, slack: FakeSlackApi, knowledge: KnowledgeBase) -> Iterator[Bot]:
    made = make_bot(settings, slack, knowledge)
    yield made
    made.engine.cases.close()


# Scores move as the knowledge base is tuned; these thresholds keep a weakly on-topic
# question at the suggest level (1 <= score < 100) while full questions (100) answer.
SUGGESTING = {"answer_threshold": 100.0, "suggest_threshold": 1.0}


@pytest.fixture
def suggesting(settings: Settings, slack: FakeSlackApi, knowledge: KnowledgeBase) -> Iterator[Bot]:
    made = make_bot(settings, slack, knowledge, **SUGGESTING)
    yield made
    made.engine.cases.close()
