"""A soak: `serve` under steady signed load while faults hit it in rotation (issue 21).

Shared by bench/bench_soak.py (60 s, prints the table) and tests/ops/test_soak.py (a
few seconds, one fault of each kind). Client threads send signed channel questions for
as long as the soak runs; an event that gets no 200 within Slack's 3 seconds is sent
again with ``X-Slack-Retry-Num``, as Slack would (up to three retries). Meanwhile one
fault after another:

- ``kill -9``: SIGKILL to serve's whole process group, then a restart on the same port;
- ``SIGTERM``: a graceful stop (as ``docker stop``), then a restart;
- ``read-only``: the database and its -wal file immutable for a few seconds (chattr +i,
  which stops root too), then writable again (SQLite only);
- ``429 storm``: every chat.postMessage answered 429 with Retry-After: 1 for a while;
- ``resets``: every chat.postMessage connection reset for a while.

At the end the load stops, the backlog is waited for, and the fake Web API's accepted
posts are counted per thread: every acked event must have exactly one reply.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import statistics
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from shutil import which
from typing import Any

from tests.ops.serving import Server, free_port, start, wait_until_healthy
from tests.support import payloads as P
from tests.support.fake_slack import DROPPED, FakeSlackApi
from tests.support.signing import sign

FAULTS = ("kill -9", "SIGTERM", "read-only", "429 storm", "resets")
QUESTIONS = (  # each gets exactly one reply in its thread
    "Times Opened stays at 0 for our Outlook 2010 recipients",
    "why does salesforce say my email was never opened? customer uses outlook 2013",
    "HTML email status shows unopened but the client read it in Outlook 2007",
)
ACK_WITHIN = 3.0  # Slack's ack timeout: a slower 200 is a failed delivery
RETRIES = (1.0, 2.0, 4.0)  # Slack retries 3 times (at once, 1 min, 5 min): compressed here
SERVE_ENV = {"FOLLOW_UP_AFTER": "off", "SUMMARY_CHANNEL": "", "LOG_FORMAT": "text"}


@dataclass
class Sent:
    """One event and what became of its deliveries."""

    ts: str
    acked_at: float | None = None  # monotonic, the first 200 within ACK_WITHIN
    deliveries: int = 0


@dataclass
class Figures:
    seconds: float
    faults: Counter[str]
    sent: int
    acked: int
    delivered: int  # acked events with a reply
    doubled: int  # threads (acked or not) with more than one reply
    lost: int  # acked events without a reply
    unacked_answered: int  # never acked (Slack would give up) yet answered: harmless
    worst_lag: float  # seconds from the ack to the reply
    median_lag: float
    peak_rss_mb: float  # all of serve's processes together
    peak_worker_rss_mb: float
    tracebacks: int
    notes: list[str] = field(default_factory=list)
    store: str = "sqlite"

    @property
    def owed(self) -> int:
        return self.acked

    def row(self) -> dict[str, Any]:
        return {
            "store": self.store, "seconds": round(self.seconds), "faults": " ".join(
                f"{name}×{n}" for name, n in self.faults.items()),
            "sent": self.sent, "acked": self.acked, "owed": self.owed,
            "delivered": self.delivered, "doubled": self.doubled, "lost": self.lost,
            "worst lag s": round(self.worst_lag, 1), "median lag s": round(self.median_lag, 2),
            "peak RSS MB": round(self.peak_rss_mb),
            "largest process MB": round(self.peak_worker_rss_mb),
            "tracebacks": self.tracebacks,
        }  # fmt: skip


def group_rss(pgid: int) -> tuple[int, int]:
    """(total, largest) resident set in bytes of the processes in group ``pgid``."""
    sizes = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            status = Path(f"/proc/{entry}/status").read_text()
        except (OSError, IndexError, ValueError):
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) * 1024)
    return sum(sizes), max(sizes, default=0)


@contextmanager
def immutable(*paths: Path) -> Iterator[bool]:
    """The files read-only even for root, for the ``with``; False when it cannot be done."""
    done: list[Path] = []
    try:
        if which("chattr") is not None:
            for path in paths:
                flag = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
                if flag.returncode:
                    break
                done.append(path)
        yield len(done) == len(paths)
    finally:
        for path in done:
            subprocess.run(["chattr", "-i", str(path)], check=False)


class Soak:
    """One serve, its fake Web API, the load and the faults."""

    def __init__(
        self,
        folder: Path,
        slack: FakeSlackApi,
        *,
        clients: int = 4,
        pause: float = 0.05,
        workers: int = 2,
        fault_seconds: float = 3.0,
        log: Callable[[str], None] = lambda line: None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.folder, self.slack = folder, slack
        self.env = {**SERVE_ENV, **(env or {})}  # DATABASE_URL: PostgreSQL instead of SQLite
        self.clients, self.pause, self.workers = clients, pause, workers
        self.fault_seconds = fault_seconds
        self.say = log
        self.port = free_port()  # a restart comes back on the same port, as behind a balancer
        self.server: Server | None = None
        self.sent: list[Sent] = []
        self.faults: Counter[str] = Counter()
        self.notes: list[str] = []
        self.peak_rss = self.peak_worker_rss = 0
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._stop_load = threading.Event()
        self._stop_sampling = threading.Event()
        self._started = time.monotonic()

    # -- serve -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def start_serve(self) -> None:
        self.server = start(self.slack.url, self.folder, self.workers, port=self.port, env=self.env)
        wait_until_healthy(self.server, seconds=60)

    def serve_pid(self) -> int:
        assert self.server is not None
        return self.server.process.pid

    def stop_serve(self) -> None:
        if self.server is not None and self.server.process.poll() is None:
            self.server.process.terminate()
            try:
                self.server.process.wait(40)
            except subprocess.TimeoutExpired:
                os.killpg(self.serve_pid(), signal.SIGKILL)
                self.server.process.wait()

    # -- the load --------------------------------------------------------------------

    def post(self, body: str, retry: int) -> bool:
        headers = {"Content-Type": "application/json", **sign(body)}
        if retry:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        request = urllib.request.Request(self.url, body.encode(), headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=ACK_WITHIN) as answer:
                return int(answer.status) == 200
        except (OSError, urllib.error.HTTPError):
            return False

    def deliver(self) -> None:
        n = next(self._ids)
        event = P.message(f"{QUESTIONS[n % len(QUESTIONS)]} (soak #{n})")
        sent = Sent(event["ts"])
        with self._lock:
            self.sent.append(sent)
        body = json.dumps(P.event_body(event, f"EvSoak{n:06d}"))
        for retry, wait in enumerate((0.0, *RETRIES)):
            if wait and self._stop_load.wait(wait):
                return  # the load stopped: this event stays as Slack left it
            sent.deliveries += 1
            if self.post(body, retry):
                sent.acked_at = time.monotonic()
                return

    def client(self) -> None:
        while not self._stop_load.is_set():
            self.deliver()
            self._stop_load.wait(self.pause)

    def sample_rss(self) -> None:
        while not self._stop_sampling.wait(0.5):
            if self.server is None or self.server.process.poll() is not None:
                continue
            total, largest = group_rss(self.serve_pid())
            self.peak_rss = max(self.peak_rss, total)
            # The largest is gunicorn's master or a worker; workers fork from the master.
            self.peak_worker_rss = max(self.peak_worker_rss, largest)

    # -- the faults ------------------------------------------------------------------

    def inject(self, fault: str) -> None:
        self.say(f"{time.monotonic() - self._started:6.1f}s  {fault}")
        self.faults[fault] += 1
        if fault == "kill -9":
            os.killpg(self.serve_pid(), signal.SIGKILL)
            assert self.server is not None
            self.server.process.wait()
            self.start_serve()
        elif fault == "SIGTERM":
            self.stop_serve()
            self.start_serve()
        elif fault == "read-only":
            db = self.folder / "data" / "bot.db"
            # Not the -shm file: a write to a mapping of an immutable file is a SIGBUS.
            with immutable(db, db.with_name("bot.db-wal")) as done:
                if not done:
                    self.notes.append("read-only skipped: no chattr +i here")
                time.sleep(self.fault_seconds)
        elif fault == "429 storm":
            self.slack.storm("chat.postMessage", self.fault_seconds + 1, 429, retry_after=1)
            time.sleep(self.fault_seconds + 1)
        elif fault == "resets":
            self.slack.storm("chat.postMessage", self.fault_seconds, DROPPED)
            time.sleep(self.fault_seconds)
        else:
            raise ValueError(fault)

    # -- the run ---------------------------------------------------------------------

    def run(self, seconds: float, every: float, faults: tuple[str, ...] = FAULTS,
            drain: float = 120.0) -> Figures:  # fmt: skip
        """Load for ``seconds``, a fault every ``every`` seconds (in rotation), then wait
        up to ``drain`` seconds for every acked event's reply."""
        self.start_serve()
        self._started = time.monotonic()
        sampler = threading.Thread(target=self.sample_rss, daemon=True)
        sampler.start()
        load = [threading.Thread(target=self.client, daemon=True) for _ in range(self.clients)]
        for thread in load:
            thread.start()
        end = self._started + seconds
        rotation = itertools.cycle(faults)
        try:
            while time.monotonic() + every < end:
                time.sleep(every)
                self.inject(next(rotation))
            time.sleep(max(0.0, end - time.monotonic()))
        finally:
            self._stop_load.set()
            for thread in load:
                thread.join(30)
        self.say(f"{time.monotonic() - self._started:6.1f}s  load stopped; waiting for replies")
        self.wait_for_replies(drain)
        time.sleep(1.0)  # a wrong second reply would land by now
        self._stop_sampling.set()
        sampler.join(5)
        self.stop_serve()
        return self.figures(time.monotonic() - self._started)

    def acked(self) -> list[Sent]:
        return [s for s in self.sent if s.acked_at is not None]

    def wait_for_replies(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            replied = {c.data.get("thread_ts") for c in self.slack.posted()}
            if all(s.ts in replied for s in self.acked()):
                return
            time.sleep(0.25)

    def figures(self, seconds: float) -> Figures:
        first: dict[str, float] = {}
        per_thread: Counter[str] = Counter()
        for call in self.slack.posted():
            thread = str(call.data.get("thread_ts"))
            per_thread[thread] += 1
            first.setdefault(thread, call.at)
        acked = self.acked()
        lags = [first[s.ts] - s.acked_at for s in acked if s.ts in first and s.acked_at]
        log = self.folder / "serve.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        return Figures(
            seconds=seconds, faults=self.faults, sent=len(self.sent), acked=len(acked),
            delivered=sum(1 for s in acked if per_thread[s.ts]),
            doubled=sum(1 for s in self.sent if per_thread[s.ts] > 1),
            lost=sum(1 for s in acked if not per_thread[s.ts]),
            unacked_answered=sum(1 for s in self.sent if s.acked_at is None and per_thread[s.ts]),
            worst_lag=max(lags, default=0.0), median_lag=statistics.median(lags) if lags else 0.0,
            peak_rss_mb=self.peak_rss / 2**20, peak_worker_rss_mb=self.peak_worker_rss / 2**20,
            tracebacks=text.count("Traceback"), notes=self.notes,
            store="postgresql" if "DATABASE_URL" in self.env else "sqlite",
        )  # fmt: skip
