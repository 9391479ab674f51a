"""`run` and `serve` refuse to start on bad tokens: one line per problem, exit 2.

Real processes with a timeout: if a check were missing, the command would start serving
(or dial Slack) instead, and the test fails on the timeout rather than hanging.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXE = Path(sys.executable).with_name("emailstatus-bot")
TOKENS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET")

BOT_MISSING = "SLACK_BOT_TOKEN is missing: set the bot token (xoxb-...)."
BOT_WRONG = "SLACK_BOT_TOKEN must be a bot token starting with xoxb-."
APP_MISSING = "SLACK_APP_TOKEN is missing: Socket Mode needs an app-level token (xapp-...)."
APP_WRONG = "SLACK_APP_TOKEN must be an app-level token starting with xapp-."
SECRET_MISSING = "SLACK_SIGNING_SECRET is missing: HTTP mode verifies every request."

CASES = [
    # command, environment, the problems it must print (in order)
    ("run", {"SLACK_BOT_TOKEN": "xoxb-1-2-abc"}, [APP_MISSING]),
    ("run", {"SLACK_APP_TOKEN": "xapp-1-A1-abc"}, [BOT_MISSING]),
    ("run", {"SLACK_BOT_TOKEN": "xoxp-user-token", "SLACK_APP_TOKEN": "xapp-1"}, [BOT_WRONG]),
    ("run", {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_APP_TOKEN": "xoxb-1"}, [APP_WRONG]),
    ("serve", {}, [BOT_MISSING, SECRET_MISSING]),
    ("serve", {"SLACK_BOT_TOKEN": "xoxb-1-2-abc"}, [SECRET_MISSING]),
    ("serve", {"SLACK_BOT_TOKEN": "xapp-1-A1", "SLACK_SIGNING_SECRET": "s3cret"}, [BOT_WRONG]),
]


@pytest.mark.parametrize(("command", "env", "problems"), CASES)
def test_bad_tokens_are_one_clear_line_each_and_exit_2(
    command: str, env: dict[str, str], problems: list[str], tmp_path: Path
):
    clean = {k: v for k, v in os.environ.items() if k not in TOKENS and k != "SLACK_API_URL"}
    clean.update(env, EMAILSTATUS_DB=str(tmp_path / "bot.db"), SLACK_API_URL="http://127.0.0.1:9/")
    done = subprocess.run(
        [str(EXE), command], env=clean, capture_output=True, text=True, timeout=20
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"configuration error: {p}" for p in problems]
    assert done.stdout == ""
    for secret in env.values():  # a wrong token is named, never printed
        assert secret not in done.stderr


# -- Slack's own answer: auth.test before starting ----------------------------------------

REJECTED = (
    "configuration error: Slack rejected the bot token (invalid_auth); check SLACK_BOT_TOKEN."
)


@pytest.mark.parametrize("command", ["run", "serve"])
def test_a_token_slack_rejects_is_one_line_and_exit_2(command: str, tmp_path: Path):
    # Before: `run` printed a SlackApiError traceback, and `serve` started and said 200.
    from tests.support.fake_slack import FakeSlackApi

    with FakeSlackApi() as slack:
        slack.fail("auth.test", "invalid_auth", times=5)
        clean = {k: v for k, v in os.environ.items() if k not in TOKENS}
        clean.update(
            SLACK_BOT_TOKEN="xoxb-1-2-revokedtoken", SLACK_APP_TOKEN="xapp-1-A1-apptoken",
            SLACK_SIGNING_SECRET="s3cret-value", SLACK_API_URL=slack.url,
            EMAILSTATUS_DB=str(tmp_path / "bot.db"),
        )  # fmt: skip
        if command == "serve":
            clean.pop("SLACK_APP_TOKEN")
        done = subprocess.run(
            [str(EXE), command], env=clean, capture_output=True, text=True, timeout=20
        )
        assert slack.methods() == ["auth.test"]  # nothing else was tried
    assert done.returncode == 2
    assert done.stderr.splitlines() == [REJECTED]
    assert "revokedtoken" not in done.stderr


def test_slack_unreachable_at_start_is_one_line_and_exit_2(tmp_path: Path):
    clean = {k: v for k, v in os.environ.items() if k not in TOKENS}
    clean.update(
        SLACK_BOT_TOKEN="xoxb-1-2-abc", SLACK_SIGNING_SECRET="s3cret-value",
        SLACK_API_URL="http://127.0.0.1:9/api/", EMAILSTATUS_DB=str(tmp_path / "bot.db"),
        # The longest first wait (5 s) is past the start-up check's 3 s: it gives up at
        # once, instead of after retries 0.5 s and 1 s later.
        SLACK_RETRY_BACKOFF="5",
    )  # fmt: skip
    done = subprocess.run(
        [str(EXE), "serve"], env=clean, capture_output=True, text=True, timeout=20
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "configuration error: Slack API unreachable (URLError); "
        "check SLACK_API_URL and the network."
    ]


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"SLACK_API_URL": "not-a-url"}, "SLACK_API_URL 'not-a-url' is not an http(s) URL"),
        ({"STORE_QUESTION_TEXT": "ture"}, "STORE_QUESTION_TEXT 'ture' is not a boolean"),
        ({"SLACK_BOT_TOKEN": "xoxb-"}, "SLACK_BOT_TOKEN is only the xoxb- prefix"),
    ],
)
def test_serve_refuses_malformed_settings_before_calling_slack(env, problem, tmp_path: Path):
    clean = {k: v for k, v in os.environ.items() if k not in TOKENS and k != "SLACK_API_URL"}
    clean.update(
        SLACK_BOT_TOKEN="xoxb-1-2-abc", SLACK_SIGNING_SECRET="s3cret-value",
        SLACK_API_URL="http://127.0.0.1:9/api/", EMAILSTATUS_DB=str(tmp_path / "bot.db"),
    )  # fmt: skip
    clean.update(env)
    done = subprocess.run(
        [str(EXE), "serve"], env=clean, capture_output=True, text=True, timeout=20
    )
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith(f"configuration error: {problem}")
