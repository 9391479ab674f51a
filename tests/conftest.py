"""Shared fixtures: the real knowledge folder, a real SQLite case log, the engine.

The Slack fixtures (fake Web API, HTTP harness, the parametrised ``driver``) load as
plugins, so any test module can ask for them by name without importing them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.matching import Matcher
from bot.store import Store
from tests.support.engines import make_engine

pytest_plugins = ["tests.support.http_harness", "tests.support.drivers"]

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = ROOT / "knowledge"
EVAL_SET = ROOT.parent / "shared" / "eval" / "questions-dev.jsonl"

# One model cache for the run, inherited by the bot processes tests start: each loads the
# fitted model (keyed by a hash of what it learned) instead of training it again.
os.environ.setdefault(
    "MODEL_CACHE_DIR", str(Path(tempfile.gettempdir()) / "emailstatus-bot-test-models")
)


@pytest.fixture(scope="session")
def knowledge() -> KnowledgeBase:
    kb = load_knowledge(KNOWLEDGE_DIR)
    assert kb.ok, kb.problems
    return kb


@pytest.fixture(scope="session")
def matcher(knowledge: KnowledgeBase) -> Matcher:
    return Matcher(knowledge)


@pytest.fixture
def case_log(tmp_path: Path) -> Iterator[Store]:
    log = Store(tmp_path / "cases.db")
    yield log
    log.close()


@pytest.fixture
def engine(knowledge: KnowledgeBase, matcher: Matcher, case_log: Store) -> Engine:
    return make_engine(knowledge, case_log, matcher=matcher)
