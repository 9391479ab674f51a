"""`emailstatus-bot serve` as a real process (gunicorn) against the fake Slack Web API."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from shutil import which

import pytest

from tests.ops.serving import EXE, free_port
from tests.support import payloads as P
from tests.support.fake_slack import FakeSlackApi
from tests.support.signing import SECRET, sign

BOT_TOKEN = "xoxb-1111-2222-secretbottoken"
QUESTION = "Times Opened stays at 0 for our Acme Widgets prospect on Outlook 2016"
JSON = "application/json"


@dataclass
class Served:
    process: subprocess.Popen[str]
    base: str
    slack: FakeSlackApi
    db_folder: Path
    scratch: Path

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=5) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def post(self, body: str, content_type: str) -> int:
        headers = {"Content-Type": content_type, **sign(body)}
        request = urllib.request.Request(self.base + "/slack/events", body.encode(), headers)
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("served")
    folder, scratch = root / "data", root / "tmp"
    scratch.mkdir()
    port = free_port()
    with FakeSlackApi(bot_user=P.BOT_USER, bot_id=P.BOT_ID, team=P.TEAM) as slack:
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.url,
            "EMAILSTATUS_DB": str(folder / "bot.db"),
            "LOG_FORMAT": "json",
            "STORE_QUESTION_TEXT": "false",
            "LOG_LEVEL": "DEBUG",
            "TMPDIR": str(scratch),  # where the metrics folder of the workers goes
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        process = subprocess.Popen(
            [str(EXE), "serve", "--port", str(port), "--workers", "2"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        server = Served(process, f"http://127.0.0.1:{port}", slack, folder, scratch)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if server.get("/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            process.kill()
            pytest.fail("serve did not come up: " + process.communicate()[1][-2000:])
        yield server
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_health_is_ok(served: Served):
    status, body = served.get("/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"


def test_counts_from_every_worker_are_added_up(served: Served):
    # Two workers, each with its own counters; a scrape reaches one of them. Only the
    # multiprocess folder makes /metrics show all four questions whichever answers.
    for n in range(4):
        event = P.event_body(P.message(f"{QUESTION} (#{n})"), f"EvCount{n}")
        served.post(json.dumps(event), "application/json")
    served.slack.wait_for("chat.postMessage", 4)
    for _ in range(3):
        metrics = served.get("/metrics")[1]
        assert 'emailstatus_questions_total{level="answer"} 4.0' in metrics
        assert 'emailstatus_answers_total{version="2013+"} 4.0' in metrics
    (metrics_folder,) = served.scratch.iterdir()
    assert metrics_folder.name.startswith("emailstatus-metrics-")


@pytest.mark.skipif(which("chattr") is None, reason="needs chattr to stop root writing")
def test_a_read_only_database_folder_with_writable_files_is_healthy(served: Served):
    # SQLite's -wal/-shm files exist beside the database, so the bot still writes: health
    # must say 200 (it said 503 when it probed by creating a file in the folder).
    # Tests run as root, which ignores chmod; the immutable flag stops root too.
    served.post(json.dumps(P.event_body(P.message("warm-up question"), "EvWarm")), JSON)
    if subprocess.run(["chattr", "+i", str(served.db_folder)], capture_output=True).returncode:
        pytest.skip("this filesystem has no immutable flag")
    try:
        status, body = served.get("/healthz")
        before = len(served.slack.calls("chat.postMessage"))
        message = P.message(f"{QUESTION} (read-only folder)")
        served.post(json.dumps(P.event_body(message, "EvReadOnlyFolder")), JSON)
        served.slack.wait_for("chat.postMessage", before + 1)
    finally:
        subprocess.run(["chattr", "-i", str(served.db_folder)], check=True)
    assert (status, json.loads(body)["problems"]) == (200, [])
    with closing(sqlite3.connect(served.db_folder / "bot.db")) as db:
        count = "select count(*) from cases where thread_ts = ?"
        assert db.execute(count, [message["ts"]]).fetchone()[0] == 1


def test_sigterm_finishes_the_reply_in_flight_and_exits_0(served: Served):
    served.slack.slow("chat.postMessage", 1.0)
    before = len(served.slack.calls("chat.postMessage"))
    form = P.slash_form(QUESTION, response_url=served.slack.response_url())
    assert served.post(form, "application/x-www-form-urlencoded") == 200  # answered in the ack
    event = P.event_body(P.message(QUESTION + " again"), "EvServe2")
    assert served.post(json.dumps(event), "application/json") == 200
    time.sleep(0.3)  # the reply is now waiting on the slow fake
    served.process.send_signal(signal.SIGTERM)
    _, stderr = served.process.communicate(timeout=40)
    assert served.process.returncode == 0, stderr[-2000:]
    assert len(served.slack.calls("chat.postMessage")) == before + 1  # in-flight reply sent
    # ...and its answer was awaited: the listener recorded the reply's ts afterwards.
    with closing(sqlite3.connect(served.db_folder / "bot.db")) as db:
        query = "select reply_ts from cases where thread_ts = ?"
        [(reply_ts,)] = db.execute(query, [event["event"]["ts"]])
    assert reply_ts
    # SQLite closed cleanly: the last connection to close checkpoints and removes the WAL.
    assert sorted(p.name for p in served.db_folder.iterdir()) == ["bot.db"]
    assert list(served.scratch.iterdir()) == []  # the metrics folder went with the master
    served.logs = stderr  # type: ignore[attr-defined]


def test_logs_are_json_with_ids_and_no_secrets_or_question_text(served: Served):
    stderr = getattr(served, "logs", None) or pytest.skip("needs the SIGTERM test's output")
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert lines and len(lines) == len([x for x in stderr.splitlines() if x.strip()])
    answered = [x for x in lines if x.get("event_id") == "EvCount1" and "case_id" in x]
    assert answered and "elapsed_ms" in answered[0]
    [acked] = [x for x in lines if x.get("event_id") == "EvCount1" and "answered" in x["message"]]
    assert acked["message"] == "slack request answered 200" and acked["level"] == "debug"
    # The slash question's line carries the command's trigger_id and its case.
    assert any(x.get("trigger_id") and "case_id" in x for x in lines)
    for secret in (BOT_TOKEN, SECRET, "Acme Widgets"):
        assert secret not in stderr
