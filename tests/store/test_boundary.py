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
