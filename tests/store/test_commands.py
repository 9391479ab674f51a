"""`summary`, `learn` and `config check` on both backends, through the real CLI.

The case log is written through the store, then each command opens it the way an
operator would: ``EMAILSTATUS_DB`` for SQLite, ``DATABASE_URL`` for PostgreSQL.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from bot.cli import main
from bot.settings_registry import SETTINGS
from bot.store import Action, Store, is_database_url
from tests.cases.support import Clock
from tests.conftest import KNOWLEDGE_DIR
from tests.store.conftest import OpenStore

ARTICLE = "000385822"
FIXED = "opens never show for the buyer on outlook, sorted by the safe senders steps"
REJECTED = "our newsletter tool shows opens but salesforce reports look odd"
PASSWORD = "hunter2-not-shown"


@pytest.fixture
def cli(location: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run the CLI against this test's database (and nothing from the caller's environment)."""
    for declared in SETTINGS:
        monkeypatch.delenv(declared.name, raising=False)
    env = {"KNOWLEDGE_DIR": str(KNOWLEDGE_DIR), "EMAILSTATUS_DB": location}
    if is_database_url(location):  # the SQLite path is then ignored, and must stay untouched
        env = {**env, "DATABASE_URL": location, "EMAILSTATUS_DB": str(tmp_path / "unused.db")}

    def run(*args: str, **more: str) -> Result:
        return CliRunner().invoke(main, list(args), env={**env, **more})

    return run


def a_week_of_cases(store: Store, clock: Clock) -> None:
    fixed = store.cases.open(source="channel", level="answer", question=FIXED, article_id=ARTICLE,
                             channel="C1", detected_version="2010")  # fmt: skip
    store.cases.record_click(fixed.id, "U1", Action.RESOLVED)
    clock.advance(hours=1)
    rejected = store.cases.open(source="dm", level="suggest", question=REJECTED,
                                article_id=ARTICLE, channel="D1")  # fmt: skip
    store.cases.record_click(rejected.id, "U2", Action.SUGGESTION_REJECTED)
    store.cases.open(source="slash", level="answer", question="q", channel="C2")
    store.gaps.record(source="dm", reason="no article matched", question="reset my password")


def test_summary_reads_the_week_on_either_backend(cli, open_store: OpenStore, clock) -> None:
    a_week_of_cases(open_store(), clock)  # Wednesday 18 November 2026: ISO week 47
    result = cli("summary", "--week", "2026-W47", "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    headline = figures  # the headline figures are at the top level
    assert (headline["cases"], headline["resolved"], headline["rejected"]) == (3, 1, 1)
    assert (headline["answered"], headline["gaps"]) == (1, 1)
    assert figures["by_article"] == {ARTICLE: 2, "none": 1}
    assert figures["by_source"] == {"channel": 1, "dm": 1, "slash": 1}
    assert sum(day["resolved"] for day in figures["days"]) == 1
    empty = json.loads(cli("summary", "--week", "2026-W48", "--json").output)
    assert empty["cases"] == 0 and empty["previous_week"]["cases"] == 3


def test_learn_offers_the_settled_cases_on_either_backend(
    cli, open_store: OpenStore, clock, tmp_path: Path
) -> None:
    a_week_of_cases(open_store(), clock)
    out = tmp_path / "candidates.yaml"
    result = cli("learn", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = yaml.safe_load(out.read_text())["candidates"]
    assert [(r["case"], r["gap"], r["label"], r["text"]) for r in rows] == [
        (1, None, "positive", FIXED),
        (2, None, "negative", REJECTED),
        (None, 1, "review", "reset my password"),
    ]
    later = cli("learn", "--out", str(tmp_path / "none.yaml"), "--since", "2026-11-19")
    assert later.exit_code == 0 and "0 candidate(s)" in later.output


def test_learn_says_when_no_text_was_kept_on_either_backend(cli, open_store: OpenStore) -> None:
    store = open_store(store_question_text=False)
    store.cases.open(source="dm", level="answer", question=FIXED, article_id=ARTICLE)
    result = cli("learn", "--out", "unused.yaml")
    assert result.exit_code == 1 and "the case log has no question text" in result.output


def test_config_check_names_the_database_its_version_and_migration_level(
    cli, open_store: OpenStore, location: str
) -> None:
    open_store().close()  # migrated
    url = location.replace("postgres@", f"postgres:{PASSWORD}@")  # trust auth ignores it
    result = cli("config", "check", **({"DATABASE_URL": url} if is_database_url(url) else {}))
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("database: ")]
    about = open_store().describe()
    kind = "postgresql" if is_database_url(location) else "sqlite"
    assert line.startswith(f"database: {kind} ")
    assert f"(server {about.server_version}, migration {about.migration_level})" in line
    assert about.migration_level.startswith("m00") and about.server_version[:1].isdigit()
    assert PASSWORD not in result.output


def test_config_check_on_a_new_sqlite_file_creates_nothing(tmp_path: Path, monkeypatch) -> None:
    for declared in SETTINGS:
        monkeypatch.delenv(declared.name, raising=False)
    db = tmp_path / "data" / "cases.db"
    result = CliRunner().invoke(main, ["config", "check"], env={"EMAILSTATUS_DB": str(db)})
    assert result.exit_code == 0, result.output
    assert f"database: sqlite {db} (server " in result.output
    assert "migration none, " in result.output and " pending)" in result.output
    assert list(db.parent.iterdir()) == []  # a check creates nothing


def test_config_check_on_a_fresh_postgres_database(pg_server, monkeypatch) -> None:
    for declared in SETTINGS:
        monkeypatch.delenv(declared.name, raising=False)
    url = pg_server.fresh_database()
    try:
        result = CliRunner().invoke(main, ["config", "check"], env={"DATABASE_URL": url})
        assert result.exit_code == 0, result.output
        assert "database: postgresql " in result.output and "migration none, " in result.output
        Store(url).close()  # a check migrated nothing: the store still finds all pending
        result = CliRunner().invoke(main, ["config", "check"], env={"DATABASE_URL": url})
        assert "migration none" not in result.output and " pending)" not in result.output
    finally:
        pg_server.drop_database(url)


def test_config_check_names_an_unreachable_server_without_its_password(cli, tmp_path) -> None:
    url = f"postgresql://bot:{PASSWORD}@/nowhere?host={tmp_path}&connect_timeout=1"
    result = cli("config", "check", DATABASE_URL=url)
    assert result.exit_code == 1
    [problem] = [line for line in result.output.splitlines() if line.startswith("problem: ")]
    assert problem.startswith("problem: DATABASE_URL postgresql://bot:***@/nowhere")
    assert "cannot be reached" in problem and PASSWORD not in result.output
