"""HTTP benchmark: signed /emailstatus requests through `serve` vs three bare bolt apps.

    python bench/bench_http.py [--rounds 3] [--requests 1500] [--clients 50] [--seconds 15]

All four servers run as real gunicorn processes with the same settings
(``bot.slack.serve.ServerSettings`` through ``serve.run_gunicorn``, the same worker
class and the same listener threads) on 127.0.0.1:

- **bare**: a bolt App whose only listener acks ``/emailstatus``;
- **respond**: a bolt App that acks, then sends one ``respond()`` with a fixed payload
  to the command's response_url (the bot's Slack I/O before it answered in the ack);
- **ack reply**: a bolt App that runs the listener on the request thread
  (``process_before_response``) and acks with a fixed reply in the body: the bot's
  Slack I/O now, none of its work;
- **serve**: ``emailstatus-bot serve``: the real bot behind its request gate, SQLite
  case log, knowledge; a slash command's reply is the body of its ack.

SLACK_API_URL and every response_url point at a lean fake Slack Web API on 127.0.0.1,
run in its own process (see ``bench/lean_slack.py`` for why not the tests' fake). ``--clients``
threads each keep one connection open and send signed slash commands back to back
(closed loop); latency is from sending a request to reading its ack. Replies are
counted where they arrive: acks that carry a message, and posts to the fake's
response_url. ``replies/s`` is requests divided by the time until every reply has
arrived, so a backlog behind the acks cannot hide.

Targets (issue 10): serve's throughput at least 0.85 of the respond row's and 0.7 of
the ack-only row's, and serve's p99 under 100 ms. Serve against the ack-reply row is
printed too: that is the cost of the bot's own work. The four alternate for
``--rounds`` rounds (a neighbour's CPU burst hits all alike); each round stops after
``--requests`` requests or ``--seconds`` seconds. The ratios are printed per round.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lean_slack import lean_slack  # noqa: E402

from tests.support.signing import SECRET  # noqa: E402
from tests.support.slack_requests import SlackRequest, command_request  # noqa: E402

EXE = Path(sys.executable).with_name("emailstatus-bot")
PATH = "/slack/events"
TEXTS = (  # what agents type: a version, a question, help, and no text (the picker)
    "outlook 2010",
    "times opened stays at 0 for recipients on outlook 2013",
    "help",
    "",
)
TARGETS = {"respond": 0.85, "bare": 0.7}  # serve's throughput over each row's
COMPARED = ("respond", "bare", "ack_reply")  # ratios printed per round
TARGET_P99_MS = 100.0
REPLY = {"response_type": "ephemeral", "text": "Add the sender to Safe Senders (fixed reply)"}
# Requests before the rounds, for every server alike: 2 workers x 64 request threads, and
# each thread pays for its first request (imports, its own SQLite connection in serve).
WARMUP = 1000


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    in_ack: int = 0  # acks whose body carried a message
    seconds: float = 0.0
    reply_seconds: float | None = None
    replies_complete: bool = True

    @property
    def done(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


# -- a lean fake Slack Web API (bench/lean_slack.py) that counts the response_url posts --

AUTH_TEST = (
    b'{"ok": true, "url": "https://acme.slack.com/", "team": "Acme", "user": "emailstatus",'
    b' "team_id": "T0TEAM", "user_id": "UBOT", "bot_id": "BBOT"}'
)


@contextmanager
def fake_slack() -> Iterator[tuple[str, Any]]:
    replies = multiprocessing.get_context("fork").Value("q", 0)

    def answer(path: str, headers: dict[str, str], body: bytes) -> bytes:
        if path.startswith("/response/"):
            with replies.get_lock():
                replies.value += 1
        return AUTH_TEST if path.endswith("/auth.test") else b'{"ok": true}'

    with lean_slack(answer) as url:
        yield url, replies


def replies_received(replies: Any) -> int:
    return int(replies.value)


# -- the servers -------------------------------------------------------------------------


def serve_bare(port: int, api_url: str, mode: str) -> None:
    """A bare app (``ack``, ``respond`` or ``ack_reply``) on the same gunicorn settings."""
    from concurrent.futures import ThreadPoolExecutor

    from slack_bolt import App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk import WebClient

    from bot.slack.serve import ServerSettings, run_gunicorn

    settings = ServerSettings(port=port)

    def load() -> Any:
        app = App(
            client=WebClient(token="xoxb-bench", base_url=api_url),
            signing_secret=SECRET,
            token_verification_enabled=False,
            listener_executor=ThreadPoolExecutor(settings.listener_threads),
            process_before_response=mode == "ack_reply",
        )

        @app.command("/emailstatus")
        def command(ack: Any, respond: Any) -> None:
            if mode == "ack_reply":
                ack(REPLY)
                return
            ack()
            if mode == "respond":
                respond(**REPLY)

        return SlackRequestHandler(app)

    run_gunicorn(load, settings, log_level="WARNING")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(kind: str, api_base: str, folder: Path) -> Iterator[int]:
    port = free_port()
    api_url = f"{api_base}/api/"
    if kind != "serve":
        command = [sys.executable, __file__, "--serve-bare", str(port), api_url, kind]
    else:
        command = [str(EXE), "serve", "--port", str(port)]
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "EMAILSTATUS_DB": str(folder / f"{kind}.db"),
        "SUMMARY_CHANNEL": "",
    }
    for name in ("SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        env.pop(name, None)
    with open(folder / f"{kind}.log", "w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        try:
            wait_until_up(port, api_base, process)
            yield port
        finally:
            process.terminate()
            process.wait(30)


def wait_until_up(port: int, api_base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            if post(port, signed_command("help", api_base)) == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not come up in 30 s")


# -- the load ----------------------------------------------------------------------------


def signed_command(text: str, api_base: str) -> SlackRequest:
    return command_request(text, response_url=f"{api_base}/response/bench")


def post(port: int, request: SlackRequest) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", PATH, request.body.encode(), request.headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def load(port: int, api_base: str, phase: Phase, clients: int, count: int, seconds: float):
    """``clients`` threads, one keep-alive connection each, until ``count`` or ``seconds``."""
    # Signed once per phase: Slack's 5-minute window is far longer than a phase.
    requests = [signed_command(TEXTS[i % len(TEXTS)], api_base) for i in range(clients)]
    tickets = itertools.count()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(request: SlackRequest) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        body = request.body.encode()
        while next(tickets) < count and time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                connection.request("POST", PATH, body, request.headers)
                response = connection.getresponse()
                answer = response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok, answer = False, b""
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            elapsed = time.perf_counter() - started
            with lock:
                if ok:
                    phase.latencies.append(elapsed)
                    phase.in_ack += bool(answer)
                else:
                    phase.errors += 1
        connection.close()

    threads = [threading.Thread(target=client, args=(r,)) for r in requests]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    phase.seconds = time.perf_counter() - started
    return started


def measure(kind: str, port: int, api: Any, total: Phase, args: argparse.Namespace) -> Phase:
    """One round against one server, added to ``total``; returns the round alone."""
    api_base, replies = api
    one = Phase(total.name)
    before = replies_received(replies)
    started = load(port, api_base, one, args.clients, args.requests, args.seconds)
    total.latencies += one.latencies
    total.errors += one.errors
    total.in_ack += one.in_ack
    total.seconds += one.seconds
    if kind != "bare":  # every request gets one reply: in its ack or at the response_url
        expected = before + one.done - one.in_ack
        waited = wait_for_replies(replies, expected, started)
        total.reply_seconds = None if waited is None else (total.reply_seconds or 0) + waited
        total.replies_complete = total.replies_complete and waited is not None
    return one


def wait_for_replies(pipe: Any, expected: int, started: float) -> float | None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if replies_received(pipe) >= expected:
            return time.perf_counter() - started
        time.sleep(0.01)
    return None


# -- the report --------------------------------------------------------------------------


def table(phases: dict[str, Phase], clients: int) -> str:
    def row(phase: Phase) -> str:
        replies = "–" if phase.replies_complete else "missing"
        if phase.reply_seconds and phase.replies_complete:
            replies = f"{phase.done / phase.reply_seconds:,.0f}"
        return (
            f"| {phase.name:<34} | {phase.done:>8,} | {phase.errors:>6} | {phase.rate:>8,.0f} "
            f"| {phase.percentile(0.5):>6.1f} | {phase.percentile(0.99):>6.1f} | {replies:>9} |"
        )

    serve = phases["serve"]
    p99 = serve.percentile(0.99)
    ratios = {k: serve.rate / phases[k].rate if phases[k].rate else 0.0 for k in COMPARED}
    met = p99 < TARGET_P99_MS and all(ratios[k] >= TARGETS[k] for k in TARGETS)
    return "\n".join(
        [
            f"HTTP benchmark: signed /emailstatus, {clients} concurrent clients, loopback, "
            f"gunicorn (same settings for all four), {os.cpu_count()} CPUs",
            "",
            f"| {'app':<34} | requests | errors | req/s    | p50 ms | p99 ms | replies/s |",
            f"|{'-' * 36}|---------:|-------:|---------:|-------:|-------:|----------:|",
            *(row(phase) for phase in phases.values()),
            "",
            "throughput ratios: "
            + ", ".join(f"serve/{k} {ratios[k]:.2f} (target ≥ {TARGETS[k]})" for k in TARGETS)
            + f"; serve p99 {p99:.1f} ms (target < {TARGET_P99_MS:.0f} ms): "
            + ("meets" if met else "MISSES")
            + " the targets",
            f"serve/ack_reply {ratios['ack_reply']:.2f} (no target: the bot's own work)",
        ]
    )


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--serve-bare":
        serve_bare(int(sys.argv[2]), sys.argv[3], mode=sys.argv[4])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per app")
    parser.add_argument("--requests", type=int, default=1500, help="requests per round")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=15.0, help="time cap per round")
    args = parser.parse_args()
    names = {
        "bare": "bare bolt app (ack only)",
        "respond": "bare bolt app (ack + respond())",
        "ack_reply": "bare bolt app (reply in the ack)",
        "serve": "emailstatus-bot serve",
    }
    phases = {kind: Phase(name) for kind, name in names.items()}
    with tempfile.TemporaryDirectory() as tmp, fake_slack() as api, ExitStack() as servers:
        ports = {kind: servers.enter_context(server(kind, api[0], Path(tmp))) for kind in names}
        for port in ports.values():
            load(port, api[0], Phase("warm-up"), args.clients, WARMUP, args.seconds)
        # Alternate the three so a neighbour's burst of CPU use hits all alike.
        for number in range(1, args.rounds + 1):
            rounds = {kind: measure(kind, ports[kind], api, phases[kind], args) for kind in names}
            rates = {kind: phase.rate for kind, phase in rounds.items()}
            print(
                f"round {number}: "
                + ", ".join(f"{k} {v:,.0f} req/s" for k, v in rates.items())
                + f"; serve p99 {rounds['serve'].percentile(0.99):.1f} ms; "
                + ", ".join(
                    f"serve/{k} {rates['serve'] / rates[k]:.2f}" for k in COMPARED if rates[k]
                ),
                flush=True,
            )
    print(table(phases, args.clients))


if __name__ == "__main__":
    main()
