"""Scale benchmark: one `serve` on SQLite against two `serve` replicas on one PostgreSQL.

    python bench/bench_scale.py [--events 200] [--retries 0.25] [--clients 8]

Both setups get the same signed load on 127.0.0.1 (nothing leaves the host): ``--events``
channel questions, each delivered once, and a ``--retries`` share of them delivered again
at once with ``X-Slack-Retry-Num`` (on two replicas, the retry goes to the other one, as
a load balancer may send it). ``--clients`` threads send the deliveries back to back.
Each setup runs real ``serve`` processes (gunicorn, two workers each), a fresh database, and
FOLLOW_UP_AFTER=off so that only answers are posted.

A small fake Slack Web API in its own process records when each answer arrives. An
event's latency runs from its first delivery to its answer's ``chat.postMessage``;
``events/s`` is events divided by the time until the last answer arrived. After
``--drain`` seconds without the last answers, the missing ones count as **losses**; a
second answer in one thread counts as a **duplicate**. The last row is the ratio, two
replicas on PostgreSQL over one on SQLite. PostgreSQL runs as a throw-away server
(``initdb``/``pg_ctl``, as for the tests); without its binaries only SQLite is measured.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from itertools import cycle
from pathlib import Path
from queue import Empty
from typing import Any
from urllib.parse import parse_qs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lean_slack import lean_slack  # noqa: E402
from tabulate import tabulate  # noqa: E402

from tests.ops.serving import Server, serve  # noqa: E402
from tests.support import payloads as P  # noqa: E402
from tests.support.postgres import start_server  # noqa: E402
from tests.support.signing import sign  # noqa: E402

QUESTIONS = (  # what people ask in a channel: every one of these gets an answer
    "Times Opened stays at 0 for our Outlook 2010 recipients",
    "why does salesforce say my email was never opened? customer uses outlook 2013",
    "HTML email status shows unopened but the client read it in Outlook 2007",
)
AUTH_TEST = {"ok": True, "url": "https://acme.slack.com/", "team": "Acme", "user": "emailstatus",
             "team_id": P.TEAM, "user_id": P.BOT_USER, "bot_id": P.BOT_ID}  # fmt: skip


# -- a lean fake Slack Web API (bench/lean_slack.py) that notes when each answer lands --


@dataclass
class FakeSlack:
    """What ``tests.ops.serving.serve`` needs of a fake: its ``url``; plus the answers."""

    url: str
    posts: Any
    seen: list[tuple[str, float]] = field(default_factory=list)

    def answers(self) -> list[tuple[str, float]]:
        while True:
            try:
                self.seen.append(self.posts.get_nowait())
            except Empty:
                return self.seen


def _answer(posts: Any, path: str, headers: dict[str, str], raw: bytes) -> bytes:
    method = path.rsplit("/", 1)[-1]
    if method == "auth.test":
        return json.dumps(AUTH_TEST).encode()
    if method != "chat.postMessage":
        return b'{"ok": true, "messages": []}'
    if "json" in headers.get("content-type", ""):
        data = json.loads(raw or b"{}")
    else:
        data = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
    posts.put((str(data.get("thread_ts") or ""), time.monotonic()))  # CLOCK_MONOTONIC: host-wide
    ts = f"{time.time():.6f}"
    answer = {"ok": True, "channel": data.get("channel"), "ts": ts, "message": {"ts": ts}}
    return json.dumps(answer).encode()


@contextmanager
def fake_slack() -> Iterator[FakeSlack]:
    posts = multiprocessing.get_context("fork").Queue()
    with lean_slack(partial(_answer, posts)) as base:
        yield FakeSlack(f"{base}/api/", posts)


# -- the load ----------------------------------------------------------------------------


@dataclass
class Result:
    setup: str
    events: int
    deliveries: int
    seconds: float
    latencies: list[float]
    duplicates: int
    losses: int
    errors: int

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def deliveries(events: int, retries: float, replicas: int) -> list[tuple[int, dict[str, Any], int]]:
    """(replica, event body, retry number): every event once, a share of them twice."""
    plan = []
    retried = int(events * retries)
    for n, question in zip(range(events), cycle(QUESTIONS), strict=False):
        body = P.event_body(P.message(f"{question} (#{n})"), f"EvScale{n:06d}")
        plan.append((n % replicas, body, 0))
        if n < retried:
            plan.append(((n + 1) % replicas, body, 1))
    return plan


def send(server: Server, event: dict[str, Any], retry: int) -> int:
    body = json.dumps(event)
    headers = {"Content-Type": "application/json", **sign(body)}
    if retry:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    try:
        return server.request("POST", "/slack/events", body.encode(), headers).status
    except OSError:
        return 0


def run_load(
    setup: str, servers: list[Server], slack: FakeSlack, args: argparse.Namespace
) -> Result:
    plan = deliveries(args.events, args.retries, len(servers))
    first_sent: dict[str, float] = {}
    errors = 0
    lock = threading.Lock()
    work = iter(plan)

    def client() -> None:
        nonlocal errors
        while True:
            with lock:
                item = next(work, None)
            if item is None:
                return
            replica, event, retry = item
            with lock:
                first_sent.setdefault(event["event"]["ts"], time.monotonic())
            if send(servers[replica], event, retry) != 200:
                with lock:
                    errors += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    deadline = time.monotonic() + args.drain
    while len({ts for ts, _ in slack.answers()} & first_sent.keys()) < len(first_sent):
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    time.sleep(1.0)  # a duplicate would have landed by now
    answers = [(ts, at) for ts, at in slack.answers() if ts in first_sent]
    slack.seen.clear()
    first_answer: dict[str, float] = {}
    for ts, at in answers:
        first_answer[ts] = min(at, first_answer.get(ts, at))
    counts = Counter(ts for ts, _ in answers)
    last = max(first_answer.values(), default=started)
    return Result(
        setup=setup,
        events=args.events,
        deliveries=len(plan),
        seconds=last - started,
        latencies=[first_answer[ts] - first_sent[ts] for ts in first_answer],
        duplicates=sum(n - 1 for n in counts.values()),
        losses=len(first_sent.keys() - first_answer.keys()),
        errors=errors,
    )


def warm_up(servers: list[Server]) -> None:
    """One question per worker before measuring: each pays for its first request once."""
    for n in range(4 * len(servers)):
        event = P.event_body(P.message(f"{QUESTIONS[0]} (warm-up {n})"), f"EvWarm{n:04d}")
        send(servers[n % len(servers)], event, 0)


def measure(
    setup: str, envs: list[dict[str, str]], slack: FakeSlack, folder: Path, args: argparse.Namespace
) -> Result:
    with ExitStack() as stack:
        servers = [
            stack.enter_context(serve(slack, folder / f"{setup}-{n}", **env))  # type: ignore[arg-type]
            for n, env in enumerate(envs)
        ]
        warm_up(servers)
        time.sleep(2.0)
        slack.answers()
        slack.seen.clear()
        return run_load(setup, servers, slack, args)


# -- the table ---------------------------------------------------------------------------


def table(results: list[Result]) -> str:
    headers = ["setup", "events", "deliveries", "events/s", "p50 ms", "p99 ms", "duplicates",
               "losses", "errors"]  # fmt: skip
    rows: list[list[Any]] = [
        [r.setup, r.events, r.deliveries, f"{r.rate:,.1f}", f"{r.percentile(0.5):.0f}",
         f"{r.percentile(0.99):.0f}", r.duplicates, r.losses, r.errors]
        for r in results
    ]  # fmt: skip
    if len(results) == 2 and results[0].rate and results[0].percentile(0.5):
        one, two = results
        rows.append(
            [f"ratio {two.setup} / {one.setup}", "", "", f"{two.rate / one.rate:.2f}",
             f"{two.percentile(0.5) / one.percentile(0.5):.2f}",
             f"{two.percentile(0.99) / max(one.percentile(0.99), 1e-9):.2f}", "", "", ""]
        )  # fmt: skip
    return tabulate(rows, headers=headers, disable_numparse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200, help="questions per setup")
    parser.add_argument("--retries", type=float, default=0.25, help="share delivered twice")
    parser.add_argument("--clients", type=int, default=8, help="concurrent senders")
    parser.add_argument("--drain", type=float, default=30.0, help="seconds to wait for answers")
    args = parser.parse_args()
    base = {"FOLLOW_UP_AFTER": "off", "SUMMARY_CHANNEL": "", "LOG_LEVEL": "WARNING"}
    results = []
    with tempfile.TemporaryDirectory() as tmp, fake_slack() as slack:
        folder = Path(tmp)
        results.append(measure("sqlite x1", [base], slack, folder, args))
        print(table(results), flush=True)
        try:
            pg = start_server()
        except FileNotFoundError:
            print("PostgreSQL server binaries (initdb, pg_ctl) not found: SQLite only.")
        else:
            try:
                env = {**base, "DATABASE_URL": pg.fresh_database()}
                results.append(measure("postgresql x2", [env, env], slack, folder, args))
            finally:
                pg.stop()
    print()
    print(table(results))


if __name__ == "__main__":
    main()
