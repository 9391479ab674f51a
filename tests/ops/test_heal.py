"""A short read-only moment does not break the bot for good (issue 21, point 2).

SQLite opens a connection read-only when the file is read-only at that moment, and the
connection stays read-only after the file is writable again. Made for real with the
immutable flag (tests run as root, which ignores file modes).
"""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.engine import Engine, Where
from bot.knowledge import KnowledgeBase
from bot.matching import Matcher
from bot.slack.serve import health
from bot.store import Store
from tests.ops.test_health import immutable
from tests.support import payloads as P
from tests.support.fake_slack import FakeSlackApi
from tests.support.http_harness import LiveBot

QUESTION = "Times Opened stays at 0 for every email to Outlook 2010 users"


def files(db: Path) -> list[Path]:
    # Not the -shm file: a write to a mapping of an immutable file is a SIGBUS.
    return [db, db.with_name(db.name + "-wal")]


def test_a_bot_started_during_a_read_only_moment_answers_once_it_ends(
    live_settings, slack: FakeSlackApi, knowledge: KnowledgeBase
):
    LiveBot(live_settings, slack, knowledge).close()  # the database exists
    db = Path(live_settings.db_path)
    reader = sqlite3.connect(db)  # another process reading: the WAL file stays
    reader.execute("select count(*) from cases").fetchone()
    with immutable(*files(db)):
        bot = LiveBot(live_settings, slack, knowledge)  # a restart while it is read-only
        code, status = health(bot.engine)
        assert code == 503 and "readonly" in status["problems"][0]
    try:
        assert health(bot.engine)[0] == 200
        for n in range(3):
            bot.event(P.message(f"{QUESTION} ({n})"))  # before: 500, "readonly", for ever
        assert len(slack.calls("chat.postMessage")) == 3
        assert bot.engine.store.inbox.undone() == 0
    finally:
        bot.close()
        reader.close()


def test_a_threads_insert_connection_opened_while_read_only_is_reopened(
    tmp_path: Path, knowledge: KnowledgeBase, matcher: Matcher
):
    store = Store(str(tmp_path / "bot.db"))
    ask = Engine(knowledge, store, matcher).ask
    ask("warm-up: the WAL exists", Where(source="console"))
    one_thread = ThreadPoolExecutor(max_workers=1)  # the same thread, as a listener's
    try:
        with immutable(*files(Path(store.path))), pytest.raises(sqlite3.OperationalError):
            one_thread.submit(ask, QUESTION, Where(source="console")).result()
        outcome = one_thread.submit(ask, QUESTION, Where(source="console")).result()
        assert outcome.case is not None and store.cases.get(outcome.case.id) is not None
    finally:
        one_thread.shutdown()
        store.close()
