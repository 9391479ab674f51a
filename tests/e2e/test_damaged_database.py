"""A damaged case log is said plainly (issue 21, point 15).

Before: with a corrupt index /healthz said "ok" while every event failed with "database
disk image is malformed"; with corrupt table pages `config check` said "ok", then `serve`
died with 100 lines of traceback and exit 3. Here the index is damaged under the real
WSGI app while it serves (its quick_check timer shortened), and the table pages of a file
that `config check` and `serve` are then pointed at (real processes).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import urllib.request
from pathlib import Path

import pytest

from bot.config import Settings
from bot.knowledge import KnowledgeBase
from bot.slack import serve
from bot.store import Store
from tests.ops.serving import EXE
from tests.ops.test_health import corrupt_an_index
from tests.support import payloads as P
from tests.support.fake_slack import FakeSlackApi
from tests.support.http_harness import LiveBot
from tests.support.signing import SECRET

QUESTION = "Times Opened stays at 0 for every email to Outlook 2010 users"


def healthz(bot: LiveBot) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(bot.base + "/healthz", timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_corrupt_index_turns_healthz_unavailable_and_says_why(
    live_settings: Settings, slack: FakeSlackApi, knowledge: KnowledgeBase, monkeypatch
):
    monkeypatch.setattr(serve, "INTEGRITY_EVERY", 0.0)  # the timer, every request here
    bot = LiveBot(live_settings, slack, knowledge)
    try:
        for n in range(20):
            bot.event(P.message(f"{QUESTION} (#{n})"))
        assert healthz(bot) == (200, {"status": "ok", "articles": 3, "problems": []})
        corrupt_an_index(live_settings.db_path)
        code, status = healthz(bot)  # before: 200 "ok"
        assert (code, status["status"]) == (503, "unavailable")
        [problem] = status["problems"]
        assert problem.startswith("database damaged (") and "/" not in problem  # no path
    finally:
        bot.close()


def corrupt_a_table(path: Path) -> None:
    """Junk over the cases table's pages past its root, as a torn copy leaves them."""
    with sqlite3.connect(path) as db:
        db.execute("pragma wal_checkpoint(TRUNCATE)")
        page_size = db.execute("pragma page_size").fetchone()[0]
        pages = db.execute("pragma page_count").fetchone()[0]
        root = db.execute("select rootpage from sqlite_master where name = 'cases'").fetchone()[0]
    assert pages > root + 2, "too few pages to damage"
    with open(path, "r+b") as file:
        for page in range(root, pages):  # every page after the root (0-based: root + 1 on)
            file.seek(page * page_size)
            file.write(b"\x0d" + b"\xee" * 40)  # a leaf page header with impossible counts


@pytest.fixture(scope="module")
def damaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("damaged") / "bot.db"
    store = Store(str(path))
    for n in range(300):
        store.cases.open(source="dm", level="answer", question=f"{QUESTION} #{n} " + "x" * 200)
    store.close()
    corrupt_a_table(path)
    return path


def run(args: list[str], db: Path) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env |= {"EMAILSTATUS_DB": str(db), "SLACK_BOT_TOKEN": "xoxb-1-2-damaged",
            "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": "http://127.0.0.1:9/api/"}  # fmt: skip
    done = subprocess.run(
        [str(EXE), *args], env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=60
    )
    return done.returncode, (done.stdout + done.stderr).decode(errors="replace")


def test_config_check_says_a_damaged_file_is_damaged(damaged: Path):
    code, output = run(["config", "check"], damaged)
    assert code == 1, output  # before: "ok"
    [line] = [x for x in output.splitlines() if "is damaged (quick_check:" in x]
    assert "cases backup" in line and "Traceback" not in output


def test_serve_refuses_a_damaged_file_in_one_line(damaged: Path):
    code, output = run(["serve", "--port", "9"], damaged)
    assert code == 2, output  # before: exit 3 after 100 lines of traceback
    assert "Traceback" not in output
    [line] = output.strip().splitlines()
    assert line.startswith("configuration error: EMAILSTATUS_DB ") and "is damaged" in line
