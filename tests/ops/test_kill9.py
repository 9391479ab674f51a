"""Acked means answered: `serve` killed with SIGKILL mid-burst, then restarted.

Slack never redelivers an event it got a 200 for. So every event the server acked
before it was killed must end up with exactly one reply and one case, after the
restart re-runs what the dead workers left undone (``bot/slack/inbox_rerun.py``).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from tests.ops.test_serve_process import BOT_TOKEN, EXE, free_port
from tests.support import payloads as P
from tests.support.fake_slack import FakeSlackApi
from tests.support.slack_requests import JSON, signed

QUESTION = "Times Opened stays at 0 for a prospect reading our emails in Outlook 2016"
BURST = 400  # events sent; the server is killed once KILL_AFTER of them are acked
KILL_AFTER = 150
CLIENTS = 8


@contextmanager
def serving(slack: FakeSlackApi, db: Path, log: Path) -> Iterator[tuple[subprocess.Popen, str]]:
    port = free_port()
    env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "kill9-secret",
           "SLACK_API_URL": slack.url, "EMAILSTATUS_DB": str(db), "LOG_FORMAT": "json",
           "STORE_QUESTION_TEXT": "false", "TMPDIR": str(db.parent),
           "INBOX_SWEEP_EVERY": "0.5"}  # fmt: skip
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with log.open("a") as sink:
        process = subprocess.Popen(
            [str(EXE), "serve", "--port", str(port), "--workers", "2"],
            env=env, stdout=sink, stderr=sink, start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process, log)
        yield process, base
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def owed(db: Path) -> int:
    """Events still holding their payload: not yet answered, or not yet confirmed."""
    with closing(sqlite3.connect(db)) as conn:
        sql = "select count(*) from slack_events where payload is not null"
        return int(conn.execute(sql).fetchone()[0])


def wait_healthy(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    process.kill()
    pytest.fail("serve did not come up: " + log.read_text()[-2000:])


def send(base: str, n: int) -> tuple[str, bool]:
    """Post question n; (its ts, whether the server acked it with a 200)."""
    event = P.message(f"{QUESTION} (#{n})")
    request = signed(json.dumps(P.event_body(event, f"EvKill{n:04d}")), JSON, secret="kill9-secret")
    try:
        return event["ts"], request.post(base + "/slack/events", timeout=5).status == 200
    except OSError:  # the server is gone: not acked, so Slack would retry it
        return event["ts"], False


def replies_per_thread(slack: FakeSlackApi) -> Counter[str]:
    return Counter(str(c.get("thread_ts")) for c in slack.calls("chat.postMessage"))


def cases_per_thread(db: Path) -> Counter[str]:
    with closing(sqlite3.connect(db)) as conn:
        return Counter(row[0] for row in conn.execute("select thread_ts from cases"))


def test_every_acked_event_is_answered_once_after_a_sigkill(tmp_path: Path):
    db, log = tmp_path / "bot.db", tmp_path / "serve.log"
    with FakeSlackApi(bot_user=P.BOT_USER, bot_id=P.BOT_ID, team=P.TEAM) as slack:
        slack.slow("chat.postMessage", 0.05)  # replies lag the acks, as under real load
        acked: list[str] = []
        with serving(slack, db, log) as (process, base):
            killed = threading.Event()

            def one(n: int) -> tuple[str, bool]:
                ts, ok = ("", False) if killed.is_set() else send(base, n)
                if ok:
                    acked.append(ts)
                    if len(acked) >= KILL_AFTER and not killed.is_set():
                        killed.set()
                        os.killpg(process.pid, signal.SIGKILL)  # master and workers at once
                return ts, ok

            with ThreadPoolExecutor(CLIENTS) as pool:
                list(pool.map(one, range(BURST)))
            process.wait()
        time.sleep(0.3)  # replies the dead workers had already sent finish arriving
        before = replies_per_thread(slack)
        unanswered = [ts for ts in acked if before[ts] == 0]
        # The test can fail: without the re-run these acked events would stay unanswered.
        assert unanswered, "the kill came too late to leave acked events unanswered"

        slack.slow("chat.postMessage", 0)
        with serving(slack, db, log) as (process, base):
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                # Every acked event answered, and confirmed: an event whose post was on its
                # way at the kill is read back only after POST_LANDING.
                if all(replies_per_thread(slack)[ts] for ts in acked) and not owed(db):
                    break
                time.sleep(0.1)
            time.sleep(0.5)  # let a wrong second reply show up, if there is one
            metrics = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=40)

    after, cases = replies_per_thread(slack), cases_per_thread(db)
    lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    replayed = [x["message"] for x in lines if x["message"].startswith("inbox replay:")]
    figures = {"sent": BURST, "acked": len(acked), "replied before the kill": len(before),
               "acked but unanswered at the kill": len(unanswered), "replay": replayed,
               "replies to acked events after restart": sum(after[ts] for ts in acked)}  # fmt: skip
    print("kill -9 figures:", figures)  # shown with -s; the report quotes them
    assert [ts for ts in acked if after[ts] != 1] == [], figures  # exactly one reply each
    assert [ts for ts in acked if cases[ts] != 1] == [], figures  # and one case row each
    assert max(after.values()) == 1 and max(cases.values()) == 1  # unacked ones too
    assert replayed, "the re-run is logged"
    total = sum(int(m.split(": ")[1].split(" replayed")[0]) for m in replayed)
    assert total >= len(unanswered)
    assert f'emailstatus_inbox_replayed_total{{outcome="replayed"}} {float(total)}' in metrics
    assert QUESTION not in log.read_text()  # STORE_QUESTION_TEXT=false: never logged
    assert owed(db) == 0  # ... nor kept once answered
