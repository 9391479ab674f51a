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
from tests.support.wheel import Wheel, shared_wheel

pytest_plugins = ["tests.support.http_harness", "tests.support.drivers"]

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = ROOT / "knowledge"
# The labelled dev set, kept in the repository so that every clone runs the gate and the
# overlap guard (tests/data/README.md); ../shared holds the original, when present.
EVAL_SET = ROOT / "tests" / "data" / "questions-dev.jsonl"
SHARED_EVAL_SET = ROOT.parent / "shared" / "eval" / "questions-dev.jsonl"

# One model cache for the run, inherited by xdist's workers and the bot processes tests
# start: each loads the fitted model (keyed by a hash of what it learned) instead of
# training it again.
os.environ.setdefault(
    "MODEL_CACHE_DIR", str(Path(tempfile.gettempdir()) / "emailstatus-bot-test-models")
)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Train the shipped examples' model once, before xdist starts its workers.

    Every worker and every `serve` or CLI process a test starts then loads it from the
    disk cache. Without this, each of them trained the same model at once on a cold cache.
    A collect-only run does not train (`make test` trains beside it, in `make train`).
    """
    controller = not hasattr(session.config, "workerinput")  # or a run without -n
    if controller and not session.config.option.collectonly:
        Matcher(load_knowledge(KNOWLEDGE_DIR))


@pytest.fixture(scope="session")
def knowledge() -> KnowledgeBase:
    kb = load_knowledge(KNOWLEDGE_DIR)
    assert kb.ok, kb.problems
    return kb


@pytest.fixture(scope="session")
def matcher(knowledge: KnowledgeBase) -> Matcher:
    return Matcher(knowledge)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Wheel:
    """The project's wheel, built once for the whole run (see tests/support/wheel.py)."""
    return shared_wheel(tmp_path_factory)


@pytest.fixture
def case_log(tmp_path: Path) -> Iterator[Store]:
    log = Store(tmp_path / "cases.db")
    yield log
    log.close()


@pytest.fixture
def engine(knowledge: KnowledgeBase, matcher: Matcher, case_log: Store) -> Engine:
    return make_engine(knowledge, case_log, matcher=matcher)
