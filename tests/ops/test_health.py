"""/healthz: 200 when the database takes writes and knowledge is loaded, else 503 and why.

Tests run as root, which ignores file modes, so "cannot write" is made in ways that stop
root too: the database folder replaced by a file while the bot runs (new files in it,
such as SQLite's journal, then fail with ENOTDIR), or the folder made immutable
(test_serve_process, with chattr).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.matching import Matcher
from bot.slack.serve import health
from bot.store import Store


@pytest.fixture
def make_engine(tmp_path: Path, knowledge: KnowledgeBase) -> Iterator[Callable[..., Engine]]:
    made: list[Engine] = []

    def make(kb: KnowledgeBase = knowledge) -> Engine:
        engine = Engine(kb, Store(str(tmp_path / "data" / "bot.db")), Matcher(kb))
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.store.close()


def block_database_folder(engine: Engine) -> None:
    folder = Path(engine.store.path).parent
    folder.rename(folder.with_name("moved"))  # the open connection follows the inode
    folder.write_text("not a folder any more")


def test_ok(make_engine):
    assert health(make_engine()) == (200, {"status": "ok", "articles": 3, "problems": []})


def test_database_folder_that_cannot_take_files(make_engine):
    engine = make_engine()
    block_database_folder(engine)
    code, status = health(engine)
    assert code == 503 and status["status"] == "unavailable"
    [problem] = status["problems"]
    assert problem.startswith("database not writable:") and "Not a directory" in problem


def test_no_knowledge_loaded(make_engine, tmp_path):
    (tmp_path / "empty").mkdir()
    code, status = health(make_engine(load_knowledge(tmp_path / "empty")))
    assert (code, status["problems"], status["articles"]) == (
        503, ["no knowledge articles loaded"], 0,
    )  # fmt: skip


def test_both_problems_are_reported(make_engine, tmp_path):
    (tmp_path / "empty").mkdir()
    engine = make_engine(load_knowledge(tmp_path / "empty"))
    block_database_folder(engine)
    assert len(health(engine)[1]["problems"]) == 2
