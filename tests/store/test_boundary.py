"""No SQL and no dialect outside bot/store: the modules that still have some are listed.

A new leak fails this test; so does a listed module that no longer leaks (drop it from
the list, so the list only shrinks).
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.store.models import TABLES

BOT = Path(__file__).resolve().parents[2] / "bot"
LEAKS = re.compile(
    r"import sqlite3|sqlite_utils|psycopg|\.conn\.(read|write)\(|\bstore\.db\b|SQLite format"
    rf"|indexed by|\b(from|into|update|join|table)\s+({'|'.join(TABLES)})\b"
)
# Modules allowed to leak: none (a new one needs a reason, and a way back behind bot.store).
STILL_LEAKING: set[str] = set()


def leaking_modules() -> set[str]:
    found = set()
    for path in BOT.rglob("*.py"):
        relative = path.relative_to(BOT).as_posix()
        if not relative.startswith("store/") and LEAKS.search(path.read_text()):
            found.add(relative)
    return found


def test_sql_and_dialects_stay_inside_bot_store() -> None:
    assert leaking_modules() == STILL_LEAKING


def test_the_check_sees_a_leak() -> None:
    assert LEAKS.search('rows = db.execute("select id from cases where x = ?")')
    assert LEAKS.search("import sqlite3")
    assert not LEAKS.search('click.echo("Pick a version from the list of cases")')


# Slack surfaces and the console write and read cases through the conversation core
# (bot/conversation.py, bot/lifecycle.py) and scheduled work through bot/scheduler.py;
# the inbox and the store's operational questions (/healthz) are theirs to ask directly.
DIRECT_STORE = re.compile(r"\.store\.(cases|gaps|follow_ups|claims|runs|db)\b")


def direct_store_calls() -> list[str]:
    surfaces = [*sorted((BOT / "slack").rglob("*.py")), BOT / "console.py"]
    return [
        f"{path.relative_to(BOT).as_posix()}:{number}"
        for path in surfaces
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if DIRECT_STORE.search(line) and not line.lstrip().startswith("#")
    ]


def test_slack_surfaces_and_the_console_go_through_the_core() -> None:
    assert direct_store_calls() == []


def test_the_core_check_sees_a_direct_call() -> None:
    assert DIRECT_STORE.search("if not self.store.claims.claim(key, self.name):")
    assert not DIRECT_STORE.search("self.store.inbox.first_delivery(event_id)")
