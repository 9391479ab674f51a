"""Operators' slips, through the real CLI as an operator meets them (issue 21, 14 and 16).

`cases backup` refuses to overwrite the live case log with its own copy (before: it
deleted the live file first, and the case log was gone). Durations the bot cannot run
with are named, never run with. Before: `config check` accepted them;
INBOX_REPLAY_MAX_AGE=inf or nan made `serve` exit 3 with a traceback, -5 silently
disabled the re-run, FOLLOW_UP_AFTER=999999d logged an OverflowError every cycle;
`purge --older-than 99999999999d` was a traceback, and `--older-than 0d` from a pipe
deleted every case unasked.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bot.store import Store
from tests.ops.serving import EXE
from tests.support.signing import SECRET

NOWHERE = "http://127.0.0.1:9/api/"  # never reached: each command stops before Slack


def run(args: list[str], db: Path, **env: str) -> tuple[int, str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    full |= {"EMAILSTATUS_DB": str(db), "SLACK_BOT_TOKEN": "xoxb-1-2-durations",
             "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": NOWHERE, **env}  # fmt: skip
    done = subprocess.run(  # stdin a pipe, not a terminal: as from cron or a script
        [str(EXE), *args], env=full, input=b"", capture_output=True, timeout=60
    )
    output = (done.stdout + done.stderr).decode(errors="replace")
    assert "Traceback" not in output, output[-3000:]
    return done.returncode, output


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"INBOX_REPLAY_MAX_AGE": "inf", "FOLLOW_UP_AFTER": "999999d"},
         ["INBOX_REPLAY_MAX_AGE 'inf'", "FOLLOW_UP_AFTER '999999d'"]),
        ({"INBOX_REPLAY_MAX_AGE": "nan"}, ["INBOX_REPLAY_MAX_AGE 'nan'"]),
        ({"INBOX_REPLAY_MAX_AGE": "-5"}, ["INBOX_REPLAY_MAX_AGE '-5'"]),
    ],
    ids=["inf-and-999999d", "nan", "negative"],
)  # fmt: skip
def test_config_check_names_each_bad_duration(tmp_path: Path, env: dict[str, str], named):
    code, output = run(["config", "check"], tmp_path / "bot.db", **env)
    assert code == 1, output  # before: "ok"
    problems = [line for line in output.splitlines() if line.startswith("problem: ")]
    assert len(problems) == len(named), problems
    for setting in named:
        assert any(setting in line for line in problems), (setting, problems)


def test_serve_refuses_a_bad_duration_in_one_line(tmp_path: Path):
    code, output = run(["serve", "--port", "9"], tmp_path / "bot.db", INBOX_REPLAY_MAX_AGE="nan")
    assert code == 2, output  # before: exit 3 with a traceback
    [line] = output.strip().splitlines()
    assert line.startswith("configuration error: INBOX_REPLAY_MAX_AGE 'nan'")


@pytest.fixture
def two_cases(tmp_path: Path) -> Path:
    db = tmp_path / "bot.db"
    store = Store(str(db))
    for source in ("dm", "channel"):
        store.cases.open(source=source, level="answer")
    store.close()
    return db


def test_purge_of_everything_from_a_pipe_needs_yes(two_cases: Path):
    code, output = run(["cases", "purge", "--older-than", "0d"], two_cases)
    assert code == 1 and "pass --yes" in output  # before: deleted both, unasked
    store = Store(str(two_cases))
    try:
        assert store.cases.count() == 2
    finally:
        store.close()


def test_purge_with_an_age_past_any_date_is_a_clear_error(two_cases: Path):
    code, output = run(["cases", "purge", "--older-than", "99999999999d", "--yes"], two_cases)
    assert code == 2 and "too long an age" in output  # before: OverflowError traceback
    [error] = [line for line in output.splitlines() if line.startswith("Error:")]
    assert "'99999999999d' is too long an age" in error


def test_backup_onto_the_live_case_log_itself_is_refused(two_cases: Path):
    code, output = run(["cases", "backup", "--force", str(two_cases)], two_cases)
    assert code == 1 and "is the case log itself" in output
    store = Store(str(two_cases))
    try:
        assert store.cases.count() == 2  # before: deleted first, then nothing to copy
    finally:
        store.close()
