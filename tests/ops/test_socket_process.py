"""`emailstatus-bot run` in Socket Mode as a real process: SIGTERM is a clean stop.

Docker and systemd stop services with SIGTERM; Python's default is to die on the spot.
The fake Web API answers apps.connections.open without a WebSocket URL, so the bot keeps
reconnecting: enough to know it is up and serving when the signal arrives.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.support import payloads as P
from tests.support.fake_slack import FakeSlackApi

EXE = Path(sys.executable).with_name("emailstatus-bot")


def test_sigterm_closes_the_socket_and_sqlite_and_exits_0(tmp_path: Path):
    data = tmp_path / "data"
    with FakeSlackApi(bot_user=P.BOT_USER, bot_id=P.BOT_ID, team=P.TEAM) as slack:
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": "xoxb-1-2-socketbottoken",
            "SLACK_APP_TOKEN": "xapp-1-A0-3-socketapptoken",
            "SLACK_API_URL": slack.url,
            "EMAILSTATUS_DB": str(data / "bot.db"),
            "LOG_FORMAT": "json",
        }
        process = subprocess.Popen(
            [str(EXE), "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            slack.wait_for("apps.connections.open", timeout=20)
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr[-2000:]
    assert '"message": "received SIGTERM; stopping"' in stderr
    assert sorted(p.name for p in data.iterdir()) == ["bot.db"]  # no WAL: closed cleanly
    assert "socketapptoken" not in stderr and "socketbottoken" not in stderr
