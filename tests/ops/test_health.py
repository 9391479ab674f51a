"""/healthz tells the truth: 503 exactly when the bot cannot do its work, with short reasons.

Each case is made for real, in ways that stop root too (tests run as root, which ignores
file modes): a full filesystem (a small tmpfs, filled), read-only database files and a
read-only folder (the immutable flag), a token Slack rejects (the fake Web API answers
``invalid_auth``). Bodies never carry a filesystem path.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from shutil import which

import pytest

from bot.engine import Engine, Where
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.matching import Matcher
from bot.slack.app import build_client
from bot.slack.auth import AuthMonitor
from bot.slack.serve import health
from bot.store import Store
from bot.store.sqlite import space_problem
from tests.support.fake_slack import FakeSlackApi

QUESTION = "times opened stays at 0 for a prospect on outlook 2016"


@pytest.fixture
def make_engine(tmp_path: Path, knowledge: KnowledgeBase) -> Iterator[Callable[..., Engine]]:
    made: list[Engine] = []

    def make(kb: KnowledgeBase = knowledge, folder: Path = tmp_path / "data") -> Engine:
        folder.mkdir(parents=True, exist_ok=True)
        engine = Engine(kb, Store(str(folder / "bot.db")), Matcher(kb))
        engine.ask("warm-up: the WAL and shm files exist", Where(source="console"))
        made.append(engine)
        return engine

    yield make
    for engine in made:
        with suppress(Exception):
            engine.store.close()


def assert_no_paths(status: dict, *folders: Path) -> None:
    body = json.dumps(status)
    assert "/" not in body.replace("true/false", ""), body
    for folder in folders:
        assert str(folder) not in body


@contextmanager
def immutable(*paths: Path) -> Iterator[None]:
    if which("chattr") is None:
        pytest.skip("needs chattr to stop root writing")
    done = []
    try:
        for path in paths:
            if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
                pytest.skip("this filesystem has no immutable flag")
            done.append(path)
        yield
    finally:
        for path in done:
            subprocess.run(["chattr", "-i", str(path)], check=True)


def test_ok(make_engine, knowledge):
    articles = len(knowledge.articles)
    assert health(make_engine()) == (200, {"status": "ok", "articles": articles, "problems": []})


def test_read_only_database_files(make_engine, tmp_path):
    # Before: 200, while every write failed with "attempt to write a readonly database".
    engine = make_engine()
    db = Path(engine.store.path)
    # Not the -shm file: SQLite maps it into memory, and a write to a mapping of an
    # immutable file is a SIGBUS, not an error (for this test process as for the bot).
    with immutable(db, db.with_name("bot.db-wal")):
        code, status = health(engine)
    assert code == 503
    [problem] = status["problems"]
    assert problem.startswith("database not writable (") and "readonly" in problem
    assert_no_paths(status, tmp_path)


def test_read_only_folder_with_writable_files(make_engine):
    # Before: 503 (it probed by creating a file in the folder) while the bot answered.
    engine = make_engine()
    with immutable(Path(engine.store.path).parent):
        code, status = health(engine)
        outcome = engine.ask(QUESTION, Where(source="console"))  # the bot really writes
    assert (code, status["problems"]) == (200, [])
    assert outcome.case is not None and engine.store.cases.get(outcome.case.id) is not None


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_full_disk(make_engine, small_disk, tmp_path):
    # Before: 200, while every new case failed with "database or disk is full".
    engine = make_engine(folder=small_disk)
    assert health(engine)[0] == 200
    with open(small_disk / "filler", "wb") as filler, suppress(OSError):
        while True:
            filler.write(b"\0" * (1 << 20))
    code, status = health(engine)
    assert code == 503
    [problem] = status["problems"]
    assert problem.startswith("disk almost full (")
    assert_no_paths(status, tmp_path)
    with pytest.raises(Exception, match="full"):  # and the bot really cannot write
        for n in range(200):
            engine.ask(f"{QUESTION} #{n} " + "x" * 3000, Where(source="console"))


def test_floor_is_configurable(tmp_path):
    (tmp_path / "bot.db").write_bytes(b"")
    assert space_problem(tmp_path / "bot.db", min_free_bytes=1 << 62)
    assert space_problem(tmp_path / "bot.db", min_free_bytes=0) is None


def test_database_locked_by_another_writer(make_engine):
    engine = make_engine()
    other = sqlite3.connect(engine.store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holding the write lock
    try:
        code, status = health(engine)
    finally:
        other.close()
    assert code == 503 and status["problems"] == ["database not writable (database is locked)"]


def test_no_knowledge_loaded(make_engine, tmp_path):
    (tmp_path / "empty").mkdir()
    code, status = health(make_engine(load_knowledge(tmp_path / "empty")))
    assert (code, status["problems"], status["articles"]) == (
        503, ["no knowledge articles loaded"], 0,
    )  # fmt: skip


# -- Slack's side: auth.test at start, cached, refreshed --------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as api:
        yield api


def monitor(slack: FakeSlackApi, clock: Clock) -> AuthMonitor:
    from bot.config import Settings

    client = build_client(Settings(slack_bot_token="xoxb-1-2-test", slack_api_url=slack.url))
    return AuthMonitor(client, refresh=300, retry=30, clock=clock)


def test_a_token_slack_rejects(make_engine, slack):
    # Before: 200 with a revoked token, while every reply failed with invalid_auth.
    slack.fail("auth.test", "invalid_auth")
    auth = monitor(slack, Clock())
    assert auth.check_now().rejected
    code, status = health(make_engine(), auth)
    assert (code, status["problems"]) == (503, ["Slack rejected the bot token (invalid_auth)"])


def test_health_never_calls_slack_and_refreshes_in_the_background(make_engine, slack):
    clock, engine = Clock(), make_engine()
    auth = monitor(slack, clock)
    auth.check_now()
    for _ in range(5):
        assert health(engine, auth)[0] == 200
    assert len(slack.calls("auth.test")) == 1  # cached: /healthz is polled often
    slack.fail("auth.test", "token_revoked")
    clock.now += 301  # stale: this answer is still the cached one, a refresh starts
    assert health(engine, auth)[0] == 200
    auth.wait()
    assert health(engine, auth)[1]["problems"] == ["Slack rejected the bot token (token_revoked)"]
    clock.now += 31  # after a failure it looks again sooner
    health(engine, auth)
    auth.wait()
    assert health(engine, auth)[0] == 200 and len(slack.calls("auth.test")) == 3


def test_slack_unreachable(make_engine, monkeypatch):
    from bot.config import Settings
    from bot.slack import auth as auth_check

    # Retried for 0.3 s (0.02 s, 0.04, ...), not production's 3 s (0.5 s, then 1 s).
    monkeypatch.setattr(auth_check, "CHECK_BUDGET", 0.3)
    settings = Settings(
        slack_bot_token="xoxb-1", slack_api_url="http://127.0.0.1:9/", slack_retry_backoff=0.02
    )
    auth = AuthMonitor(build_client(settings))
    assert auth.check_now().problem == "Slack API unreachable (URLError)"
    assert health(make_engine(), auth)[0] == 503


def corrupt_an_index(path: str) -> None:
    """Overwrite one index's root page with junk, as a bad disk or a torn copy would."""
    with sqlite3.connect(path) as db:
        db.execute("pragma wal_checkpoint(TRUNCATE)")
        page_size = db.execute("pragma page_size").fetchone()[0]
        root = db.execute(
            "select rootpage from sqlite_master where type = 'index' and tbl_name = 'cases'"
            " and sql is not null order by name limit 1"
        ).fetchone()[0]
    with open(path, "r+b") as file:
        file.seek((root - 1) * page_size + 8)
        file.write(b"\xff" * 64)


def test_a_corrupt_index_is_unavailable_and_config_check_says_so(make_engine):
    """It was "ok" while every event failed with 'database disk image is malformed'."""
    from bot.config import Settings
    from bot.configcheck import problems
    from bot.slack.serve import IntegrityCheck

    engine = make_engine()
    for n in range(30):
        engine.ask(f"{QUESTION} #{n}", Where(source="console"))
    assert IntegrityCheck(engine.store).problem() is None
    corrupt_an_index(engine.store.path)
    code, status = health(engine, integrity=IntegrityCheck(engine.store))
    assert code == 503
    [problem] = status["problems"]
    assert problem.startswith("database damaged (")
    assert engine.store.path not in problem  # /healthz may be public
    found = problems(Settings(db_path=engine.store.path))
    assert any("is damaged (quick_check:" in line for line in found), found
