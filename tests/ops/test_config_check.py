"""`emailstatus-bot config check`: the effective configuration and one line per problem."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config import Settings
from bot.settings_registry import SETTINGS
from tests.conftest import KNOWLEDGE_DIR

GOOD_HTTP = {"SLACK_BOT_TOKEN": "xoxb-1-2-abcdefWXYZ", "SLACK_SIGNING_SECRET": "s3cr3t-value-9876"}


@pytest.fixture
def check(tmp_path, monkeypatch):
    for declared in SETTINGS:
        monkeypatch.delenv(declared.name, raising=False)

    def run(*args: str, **env: str):
        full = {"EMAILSTATUS_DB": str(tmp_path / "data" / "bot.db"), **env}
        return CliRunner().invoke(main, ["config", "check", *args], env=full)

    return run


PROBLEMS = [
    ("missing bot token", ["--mode", "http"], {"SLACK_SIGNING_SECRET": "s3cr3t-value-9876"},
     "SLACK_BOT_TOKEN is missing"),
    ("missing signing secret", ["--mode", "http"], {"SLACK_BOT_TOKEN": "xoxb-1-2-abcdefWXYZ"},
     "SLACK_SIGNING_SECRET is missing"),
    ("missing app token", ["--mode", "socket"], {"SLACK_BOT_TOKEN": "xoxb-1-2-abcdefWXYZ"},
     "SLACK_APP_TOKEN is missing"),
    ("user token as bot token", [], {**GOOD_HTTP, "SLACK_BOT_TOKEN": "xoxp-1-2-3"},
     "SLACK_BOT_TOKEN must be a bot token starting with xoxb-"),
    ("bot token as app token", [], {**GOOD_HTTP, "SLACK_APP_TOKEN": "xoxb-1-2-3"},
     "SLACK_APP_TOKEN must be an app-level token starting with xapp-"),
    ("invalid time zone", [], {**GOOD_HTTP, "SUMMARY_TZ": "Mars/Olympus"},
     "SUMMARY_TZ 'Mars/Olympus' is not a known time zone"),
    ("invalid schedule", [], {**GOOD_HTTP, "SUMMARY_SCHEDULE": "someday 25:00"},
     "SUMMARY_SCHEDULE day 'someday' must be one of"),
    ("threshold not a number", [], {**GOOD_HTTP, "MATCH_ANSWER_THRESHOLD": "high"},
     "MATCH_ANSWER_THRESHOLD 'high' is not a number"),
    ("thresholds out of order", [],
     {**GOOD_HTTP, "MATCH_ANSWER_THRESHOLD": "50", "MATCH_SUGGEST_THRESHOLD": "90"},
     "MATCH_SUGGEST_THRESHOLD must be at most MATCH_ANSWER_THRESHOLD"),
    ("only one threshold", [], {**GOOD_HTTP, "MATCH_SUGGEST_THRESHOLD": "40"},
     "Set both MATCH_ANSWER_THRESHOLD and MATCH_SUGGEST_THRESHOLD, or neither"),
    ("bad log format", [], {**GOOD_HTTP, "LOG_FORMAT": "xml"}, "LOG_FORMAT 'xml' must be json"),
    ("boolean typo", [], {**GOOD_HTTP, "STORE_QUESTION_TEXT": "ture"},
     "STORE_QUESTION_TEXT 'ture' is not a boolean (true/false, 1/0, yes/no, on/off)"),
    ("boolean typo 2", [], {**GOOD_HTTP, "SUGGESTIONS": "of"}, "SUGGESTIONS 'of' is not a boolean"),
    ("api url not a url", [], {**GOOD_HTTP, "SLACK_API_URL": "not-a-url"},
     "SLACK_API_URL 'not-a-url' is not an http(s) URL"),
    ("api url bad port", [], {**GOOD_HTTP, "SLACK_API_URL": "https://slack.com:api/"},
     "SLACK_API_URL 'https://slack.com:api/' is not an http(s) URL"),
    ("bare bot token", [], {**GOOD_HTTP, "SLACK_BOT_TOKEN": "xoxb-"},
     "SLACK_BOT_TOKEN is only the xoxb- prefix"),
    ("placeholder bot token", [], {**GOOD_HTTP, "SLACK_BOT_TOKEN": "xoxb-..."},
     "SLACK_BOT_TOKEN is only the xoxb- prefix"),
    ("bare app token", ["--mode", "socket"], {**GOOD_HTTP, "SLACK_APP_TOKEN": "xapp-"},
     "SLACK_APP_TOKEN is only the xapp- prefix"),
    ("oauth variables", [], {**GOOD_HTTP, "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "x"},
     "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set with SLACK_BOT_TOKEN: choose one"),
]  # fmt: skip


@pytest.mark.parametrize("word", ["true", "FALSE", "1", "0", "yes", "No", "on", " off "])
def test_booleans_take_the_usual_spellings(word):
    settings = Settings.from_env({"STORE_QUESTION_TEXT": word, "SUGGESTIONS": word})
    expected = word.strip().lower() in ("true", "1", "yes", "on")
    assert (settings.store_question_text, settings.suggestions_enabled) == (expected, expected)
    assert settings.parse_problems == ()


@pytest.mark.parametrize(("args", "env", "expected"), [p[1:] for p in PROBLEMS],
                         ids=[p[0] for p in PROBLEMS])  # fmt: skip
def test_each_problem_is_one_line_and_fails(check, args, env, expected):
    result = check(*args, **env)
    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if line.startswith("problem: ")]
    assert len(problems) == 1 and expected in problems[0], result.output


def test_knowledge_that_fails_validation(check, tmp_path):
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, folder)
    (folder / "broken.yaml").write_text("id: x\ntitle: [\n", encoding="utf-8")
    result = check(**GOOD_HTTP, KNOWLEDGE_DIR=str(folder))
    assert result.exit_code == 1
    assert f"problem: knowledge: {folder / 'broken.yaml'}:3: yaml: not valid YAML" in result.output


def test_empty_knowledge_folder(check, tmp_path):
    (tmp_path / "empty").mkdir()
    result = check(**GOOD_HTTP, KNOWLEDGE_DIR=str(tmp_path / "empty"))
    assert "has no valid knowledge articles" in result.output and result.exit_code == 1


@pytest.mark.skipif(shutil.which("chattr") is None, reason="needs chattr")
def test_unwritable_database_folder(check, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    # Root ignores chmod; the immutable flag stops it too.
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
        pytest.skip("no immutable flag on this filesystem")
    try:
        result = check(**GOOD_HTTP, EMAILSTATUS_DB=str(folder / "bot.db"))
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    assert result.exit_code == 1
    assert f"problem: EMAILSTATUS_DB folder {folder} is not writable" in result.output


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda db: db.mkdir(), "is not a file"),
        (lambda db: db.write_text("not a database, just text\n" * 100),
         "is not a SQLite database"),
    ],
    ids=["a folder", "a text file"],
)  # fmt: skip
def test_database_path_that_is_not_a_database(check, tmp_path, make, expected):
    db = tmp_path / "bot.db"
    make(db)
    result = check(**GOOD_HTTP, EMAILSTATUS_DB=str(db))
    assert result.exit_code == 1
    assert f"problem: EMAILSTATUS_DB {db} {expected}" in result.output


def test_an_existing_database_passes_and_is_left_alone(check, tmp_path):
    from bot.store import Store

    db = tmp_path / "bot.db"
    Store(str(db)).close()
    before = db.read_bytes()
    result = check(**GOOD_HTTP, EMAILSTATUS_DB=str(db))
    assert result.exit_code == 0, result.output
    assert db.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["bot.db"]


def test_database_under_a_file_is_unwritable(check, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = check(**GOOD_HTTP, EMAILSTATUS_DB=str(blocker / "bot.db"))
    assert "is not writable" in result.output and result.exit_code == 1


def test_a_good_configuration_shows_secrets_masked(check):
    result = check(**GOOD_HTTP, SUMMARY_TZ="Europe/Paris")
    assert result.exit_code == 0, result.output
    assert "mode: http" in result.output and "ok: no problems found." in result.output
    assert "SLACK_BOT_TOKEN=xoxb-…WXYZ" in result.output
    assert "SLACK_SIGNING_SECRET=…9876" in result.output
    assert "abcdef" not in result.output and "s3cr3t" not in result.output
    assert "  STORE_QUESTION_TEXT=true" in result.output  # as written in the environment


def test_run_refuses_to_start_on_a_problem(tmp_path):
    env = {"EMAILSTATUS_DB": str(tmp_path / "x.db"), "SUMMARY_TZ": "Nowhere/Land"}
    result = CliRunner().invoke(main, ["run"], env=env, input="")
    assert result.exit_code == 2
    assert "configuration error: SUMMARY_TZ 'Nowhere/Land'" in result.output


def test_path_helper_is_not_confused_by_relative_paths(check, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = check(**GOOD_HTTP, EMAILSTATUS_DB="relative/dir/bot.db")
    assert result.exit_code == 0 and Path("relative/dir").is_dir()


def test_config_check_shows_every_declared_setting_and_the_data_home(check, monkeypatch):
    monkeypatch.delenv("EMAILSTATUS_DB", raising=False)
    result = CliRunner().invoke(main, ["config", "check"], env={"EMAILSTATUS_DB": ""})
    shown = [line.strip().split("=", 1)[0] for line in result.output.splitlines() if "=" in line]
    assert [s.name for s in SETTINGS] == [n for n in shown if n.isupper()], result.output
    assert f"EMAILSTATUS_DB={Settings().db_path}" in result.output
    assert "FOLLOW_UP_AFTER=24h" in result.output and "INBOX_REPLAY_MAX_AGE=600" in result.output


def test_examples_files_that_passed_unchanged_are_not_parsed_again(tmp_path, monkeypatch):
    from bot import configcheck

    folder = shutil.copytree(KNOWLEDGE_DIR, tmp_path / "knowledge")
    monkeypatch.setenv("MODEL_CACHE_DIR", str(tmp_path / "cache"))
    assert configcheck.knowledge_problems(str(folder)) == []
    assert list((tmp_path / "cache").glob("vetted-*"))  # the clean check left its mark
    parsed: list[object] = []
    monkeypatch.setattr(configcheck, "load_examples", lambda files: parsed.append(files))
    assert configcheck.knowledge_problems(str(folder)) == []
    assert parsed == []  # the same bytes: not parsed again


def test_an_examples_file_edited_since_it_passed_is_checked_again(tmp_path, monkeypatch):
    from bot.configcheck import knowledge_problems

    folder = shutil.copytree(KNOWLEDGE_DIR, tmp_path / "knowledge")
    monkeypatch.setenv("MODEL_CACHE_DIR", str(tmp_path / "cache"))
    assert knowledge_problems(str(folder)) == []
    examples = folder / "000385622.examples.yaml"
    examples.write_text(examples.read_text() + "  - label: maybe\n    examples: [oops]\n")
    problems = knowledge_problems(str(folder))
    assert any("000385622.examples.yaml" in p for p in problems), problems
    assert knowledge_problems(str(folder)) == problems  # a file with problems leaves no mark
