"""`config check` for multi-workspace mode (OAuth): what it needs, and where it cannot run."""

from __future__ import annotations

import io
import logging

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config import Settings
from bot.logs import configure_logging
from bot.tokens import new_key
from tests.ops.test_config_check import check  # noqa: F401 (the fixture)

KEY = new_key()
OAUTH = {"SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": "client-s3cr3t-4321",
         "SLACK_SIGNING_SECRET": "s3cr3t-value-9876", "TOKEN_ENCRYPTION_KEY": KEY}  # fmt: skip
WITHOUT_KEY = {k: v for k, v in OAUTH.items() if k != "TOKEN_ENCRYPTION_KEY"}
SOCKET = {"SLACK_BOT_TOKEN": "xoxb-1-2-abcdefWXYZ", "SLACK_APP_TOKEN": "xapp-1-2-abcdef"}

PROBLEMS = [
    ("no key", [], WITHOUT_KEY,
     "TOKEN_ENCRYPTION_KEY is missing: multi-workspace mode keeps each workspace's tokens"),
    ("key not a fernet key", [], {**OAUTH, "TOKEN_ENCRYPTION_KEY": "hunter2"},
     "TOKEN_ENCRYPTION_KEY is not a Fernet key"),
    ("second key broken", [], {**OAUTH, "TOKEN_ENCRYPTION_KEY": f"{KEY},oops"},
     "TOKEN_ENCRYPTION_KEY (key 2 of 2) is not a Fernet key"),
    ("no signing secret", [], {**OAUTH, "SLACK_SIGNING_SECRET": ""},
     "SLACK_SIGNING_SECRET is missing"),
    ("client id alone", [], {"SLACK_CLIENT_ID": "1.2", "SLACK_BOT_TOKEN": "xoxb-1-2-abcdefWXYZ",
                             "SLACK_SIGNING_SECRET": "s"},
     "SLACK_CLIENT_ID is set alone: multi-workspace mode needs both"),
    ("socket mode", ["--mode", "socket"], {**SOCKET, **OAUTH},
     "set, but Socket Mode (`run`) is single-workspace here"),
    ("app token in oauth mode", ["--mode", "http"], {**OAUTH, "SLACK_APP_TOKEN": "xapp-1-2-ab"},
     "SLACK_APP_TOKEN set in multi-workspace mode: Socket Mode is single-workspace"),
    ("console", ["--mode", "console"], OAUTH,
     "multi-workspace mode runs only under `emailstatus-bot serve`"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "env", "expected"), [p[1:] for p in PROBLEMS],
                         ids=[p[0] for p in PROBLEMS])  # fmt: skip
def test_each_problem_is_one_line_and_fails(check, args, env, expected):  # noqa: F811
    result = check(*args, **env)
    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if line.startswith("problem: ")]
    assert len(problems) == 1 and expected in problems[0], result.output


def test_a_good_multi_workspace_configuration_explains_the_mode(check):  # noqa: F811
    result = check(**OAUTH)
    assert result.exit_code == 0, result.output
    assert "mode: http\n  multi-workspace (OAuth): each workspace installs the app at" in (
        result.output
    )
    assert "SLACK_CLIENT_SECRET=…4321" in result.output and "client-s3cr3t" not in result.output
    assert f"TOKEN_ENCRYPTION_KEY=…{KEY[-4:]}" in result.output and KEY not in result.output


def test_single_workspace_mode_says_nothing_of_oauth(check):  # noqa: F811
    result = check(SLACK_BOT_TOKEN="xoxb-1-2-abcdefWXYZ", SLACK_SIGNING_SECRET="s3cr3t")
    assert result.exit_code == 0 and "multi-workspace" not in result.output


def test_serve_starts_without_auth_test_in_multi_workspace_mode_only_when_checks_pass(tmp_path):
    env = {**WITHOUT_KEY, "EMAILSTATUS_DB": str(tmp_path / "bot.db")}
    result = CliRunner().invoke(main, ["serve"], env=env)
    assert result.exit_code == 2
    assert "configuration error: TOKEN_ENCRYPTION_KEY is missing" in result.output


def test_new_key_prints_a_key_that_config_check_accepts(check):  # noqa: F811
    key = CliRunner().invoke(main, ["workspaces", "new-key"]).output.strip()
    assert key != KEY and len(key) == 44
    assert check(**{**OAUTH, "TOKEN_ENCRYPTION_KEY": key}).exit_code == 0


def test_the_client_secret_and_the_keys_never_reach_the_logs():
    old = new_key()
    stream = io.StringIO()
    settings = Settings(slack_client_secret="client-s3cr3t-4321",
                        token_encryption_key=f"{KEY},{old}")  # fmt: skip
    handler = configure_logging(settings, stream)
    try:
        logging.getLogger("test.oauth").warning("secret %s keys %s %s", "client-s3cr3t-4321",
                                                KEY, old)  # fmt: skip
    finally:
        logging.getLogger().removeHandler(handler)
    text = stream.getvalue()
    assert text.count("[redacted]") == 3 and "s3cr3t" not in text and KEY not in text
