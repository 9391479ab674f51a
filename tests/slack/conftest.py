"""The in-process bot for the tests of bolt wiring that only make sense in-process.

Scenario tests use the parametrised ``driver`` (tests/support/drivers.py) instead, so
each runs in-process, over HTTP and over Socket Mode.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.config import Settings
from bot.knowledge import KnowledgeBase
from tests.support.drivers import InProcessBot
from tests.support.fake_slack import FakeSlackApi

Bot = InProcessBot


@pytest.fixture
def bot(settings: Settings, slack: FakeSlackApi, knowledge: KnowledgeBase) -> Iterator[Bot]:
    made = InProcessBot(settings, slack, knowledge)
    yield made
    made.close()
