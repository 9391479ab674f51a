"""A rolling deploy on one SQLite volume answers every event once (issue 21, points 3 and 13).

Two real `serve` processes on the same database file, against the fake Web API: the old
one (A) has acked events whose replies are still going out (the fake holds its posts)
when the new one (B) starts in another UTS namespace, so with another host name, as a
second container does. B must leave A's in-flight events alone (A's heartbeat lease says
it is alive): before, it took them over and 4 of 60 were answered twice.

B's model cache is damaged (a torn write): it must warn once, train again and answer,
not stop every start with UnicodeDecodeError. Both serve a small sample of the shipped
examples, so that training takes a moment (tests/core/test_training.py does the same).
Both look for owed replies every SWEEP seconds (INBOX_SWEEP_EVERY), not every 5 s.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import time
from collections import Counter
from contextlib import closing
from pathlib import Path

import pytest

from bot.config import Settings
from bot.examples import dump_examples, parse_examples_file
from bot.slack import inbox_rerun
from tests.conftest import KNOWLEDGE_DIR
from tests.ops.serving import Server, start, stop_all, wait_until_healthy
from tests.support import payloads as P
from tests.support.fake_slack import FakeSlackApi
from tests.support.signing import sign

QUESTION = "Times Opened stays at 0 for our Outlook 2010 recipients"
IN_FLIGHT = 8  # one worker's listener threads: each holds one reply going out
HOST_B = "replica-b"
TORN = b"\x80\x04\x95"  # a pickle cut short, as a crash mid-write leaves it
SWEEP = 0.5  # INBOX_SWEEP_EVERY here (production: 5 s, pinned below)


def test_the_owed_reply_sweep_looks_every_5_s_unless_told():
    assert Settings.from_env({}).inbox_sweep_every is None and inbox_rerun.SWEEP_EVERY == 5.0
    assert Settings.from_env({"INBOX_SWEEP_EVERY": "0.5"}).inbox_sweep_every == 0.5
    for wrong in ("0", "-1", "nan", "inf", "soon", "7200"):
        settings = Settings.from_env({"INBOX_SWEEP_EVERY": wrong})
        assert settings.inbox_sweep_every is None, wrong
        assert [p for p in settings.parse_problems if p.startswith("INBOX_SWEEP_EVERY")], wrong


def small_knowledge(folder: Path) -> Path:
    """The shipped articles with a sample of each examples file: trains in a moment."""
    shutil.copytree(KNOWLEDGE_DIR, folder)
    for path in folder.glob("*.examples.yaml"):
        examples, _ = parse_examples_file(path)
        sample = examples[:: max(1, len(examples) // 30)]
        path.write_text(dump_examples(examples[0].article_id, sample), encoding="utf-8")
    return folder


def other_host() -> list[str]:
    """A command prefix that runs serve with another host name; [] where it cannot."""
    probe = subprocess.run(["unshare", "--uts", "true"], capture_output=True)
    if probe.returncode:
        return []
    return ["unshare", "--uts", "sh", "-c", f'hostname {HOST_B} && exec "$@"', "sh"]


def deliver(server: Server, n: int) -> str:
    event = P.message(f"{QUESTION} (deploy #{n})")
    body = json.dumps(P.event_body(event, f"EvDeploy{n:03d}"))
    headers = {"Content-Type": "application/json", **sign(body)}
    assert server.request("POST", "/slack/events", body.encode(), headers).status == 200
    return str(event["ts"])


def replies(slack: FakeSlackApi, threads: list[str]) -> Counter[str]:
    found = Counter(str(call.data.get("thread_ts")) for call in slack.posted())
    return Counter({ts: found[ts] for ts in threads})


def owed(db: Path) -> int:
    """Acked events not answered yet: replies that may still go out."""
    with closing(sqlite3.connect(db)) as conn:
        return int(conn.execute("select count(*) from slack_events where done_at is null")
                   .fetchone()[0])  # fmt: skip


def first_rerun_done(server: Server) -> bool:
    metrics = server.request("GET", "/metrics").body.decode()
    return 'emailstatus_inbox_replayed_total{outcome="replayed"}' in metrics


def test_a_second_container_on_the_same_file_leaves_in_flight_replies_to_the_first(
    tmp_path: Path,
):
    knowledge = small_knowledge(tmp_path / "knowledge")
    db = tmp_path / "volume" / "bot.db"
    env = {"EMAILSTATUS_DB": str(db), "KNOWLEDGE_DIR": str(knowledge),
           "FOLLOW_UP_AFTER": "off", "SUMMARY_CHANNEL": "",
           "INBOX_SWEEP_EVERY": str(SWEEP)}  # fmt: skip
    wrap = other_host()
    cache_a = str(tmp_path / "cache-a")
    with FakeSlackApi(bot_user=P.BOT_USER, bot_id=P.BOT_ID, team=P.TEAM) as slack:
        a = start(slack.url, tmp_path / "a", 1, env={**env, "MODEL_CACHE_DIR": cache_a})
        b: Server | None = None
        try:
            wait_until_healthy(a, 60)  # A trained and cached the model
            [model] = (tmp_path / "cache-a").glob("model-*.pickle")
            (tmp_path / "cache-b").mkdir()
            (tmp_path / "cache-b" / model.name).write_bytes(TORN)

            slack.hold("chat.postMessage")
            threads = [deliver(a, n) for n in range(12)]  # acked: A owes 12 replies
            deadline = time.monotonic() + 20
            while len(slack.requests("chat.postMessage")) < IN_FLIGHT:
                assert time.monotonic() < deadline, "A's replies never went out"
                time.sleep(0.05)

            b = start(slack.url, tmp_path / "b", 1, wrap=wrap,
                      env={**env, "MODEL_CACHE_DIR": str(tmp_path / "cache-b")})  # fmt: skip
            wait_until_healthy(b, 60)
            while not first_rerun_done(b):  # B's start-up re-run has looked at the inbox
                assert time.monotonic() < deadline + 60, b.log_text()[-2000:]
                time.sleep(0.1)
            time.sleep(SWEEP * 2)  # and its owed-reply sweep has looked once more
            threads += [deliver(b, n) for n in range(100, 102)]  # B answers its own
            slack.release("chat.postMessage")

            deadline = time.monotonic() + 30
            while min(replies(slack, threads).values()) == 0 or owed(db):
                assert time.monotonic() < deadline, replies(slack, threads)
                time.sleep(0.05)
            time.sleep(0.5)  # nothing is owed: a second reply would have landed by now
            assert replies(slack, threads) == Counter(dict.fromkeys(threads, 1))
        finally:
            slack.release("chat.postMessage")
            stop_all([a] if b is None else [a, b])

    with closing(sqlite3.connect(db)) as conn:
        boots = conn.execute("select boot from slack_events").fetchall()
        hosts = Counter(boot.split(":")[0] for (boot,) in boots)
        taken = conn.execute("select count(*) from slack_events where replayed_by is not null")
        assert taken.fetchone()[0] == 0  # nobody re-ran anything: each owner answered its own
    if wrap:
        assert hosts[HOST_B] == 2 and sum(hosts.values()) == 14  # B really was another host
    log_a, log_b = a.log_text(), b.log_text() if b is not None else ""
    assert "Traceback" not in log_a + log_b and "NotFoundError" not in log_a
    # B: one warning for the damaged cache, then it trained; no UnicodeDecodeError exit.
    assert log_b.count("unreadable") == 1 and "discarded, training again" in log_b
    assert "examples, trained in" in log_b, log_b[-2000:]


@pytest.fixture(autouse=True)
def _needs_linux() -> None:
    if not Path("/proc/self/stat").exists():
        pytest.skip("run ownership reads /proc")
