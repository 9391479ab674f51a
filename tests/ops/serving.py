"""`emailstatus-bot serve` as a real gunicorn process, its log in a file the test can read.

For the tests that need the real server in front of the bot: the request gate under
gunicorn's own body handling (chunked bodies, bad Content-Length), stalled clients, and
what reaches the log.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.fake_slack import FakeSlackApi
from tests.support.signing import SECRET

EXE = Path(sys.executable).with_name("emailstatus-bot")
BOT_TOKEN = "xoxb-1111-2222-gatebottoken"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Answer:
    status: int
    body: bytes
    seconds: float

    def json(self) -> object:
        return json.loads(self.body)


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    db_folder: Path

    def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        timeout: float = 10.0,
    ) -> Answer:
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body, headers or {})
            answer = connection.getresponse()
            data = answer.read()
        finally:
            connection.close()
        return Answer(answer.status, data, time.perf_counter() - started)

    def log_size(self) -> int:
        return self.log.stat().st_size

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def settle(self, since: int, *, quiet: float = 0.1, first: float = 0.3) -> None:
        """Wait until what a request set going has been logged: the log has grown past
        ``since`` and then stayed the same for ``quiet`` seconds, or, if nothing comes,
        for ``first`` seconds. A line later than that shows in the next window; a
        module should also check its whole log once the server has stopped."""
        started = changed = time.monotonic()
        size = self.log_size()
        while True:
            time.sleep(0.02)
            now, latest = time.monotonic(), self.log_size()
            if latest != size:
                size, changed = latest, now
            elif now - changed >= (quiet if size > since else first):
                return
            if now - started > 10:  # a log that never stops growing: let the test say why
                return


@contextmanager
def serve(slack: FakeSlackApi, folder: Path, **env: str) -> Iterator[Server]:
    """Start serve (2 workers) on a free port; stop it with SIGTERM afterwards."""
    with serve_many(slack, [folder], env) as [server]:
        yield server


@contextmanager
def serve_many(
    slack: FakeSlackApi,
    folders: Sequence[Path],
    env: Mapping[str, str] | None = None,
    *,
    each: Sequence[Mapping[str, str]] = (),
) -> Iterator[list[Server]]:
    """``serve`` for several servers at once: all start (and later stop) side by side,
    so that the wait is one start-up, not one per server. ``env`` for all of them, and
    ``each``: more for each server, in the order of ``folders``."""
    extra = list(each) or [{}] * len(folders)
    servers: list[Server] = []
    try:
        for folder, more in zip(folders, extra, strict=True):
            servers.append(start(slack.url, folder, env={**(env or {}), **more}))
        for server in servers:
            wait_until_healthy(server)
        yield servers
    finally:
        stop_all(servers)


def stop_all(servers: Sequence[Server], seconds: float = 30.0) -> None:
    """``stop`` for several servers: SIGTERM to every one first, then wait for each."""
    running = [server.process for server in servers if server.process.poll() is None]
    for process in running:
        process.terminate()
    for process in running:
        _wait_or_kill(process, seconds)


def start(
    api_url: str,
    folder: Path,
    workers: int = 2,
    *,
    port: int = 0,
    wrap: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> Server:
    """Start serve (``workers`` gunicorn workers) in its own process group, its log
    appended to ``folder/serve.log``; ``wrap`` runs it under a command (``unshare``)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tmp").mkdir(exist_ok=True)
    port = port or free_port()
    full = {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "EMAILSTATUS_DB": str(folder / "data" / "bot.db"),
        "TMPDIR": str(folder / "tmp"),
        **(env or {}),
    }
    for name in ("SLACK_APP_TOKEN", "PROMETHEUS_MULTIPROC_DIR"):
        full.pop(name, None)
    log = folder / "serve.log"
    command = [*wrap, str(EXE), "serve", "--port", str(port), "--workers", str(workers)]
    with open(log, "ab") as out:
        process = subprocess.Popen(
            command, env=full, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,  # a test may SIGKILL the whole group, master and workers
        )  # fmt: skip
    return Server(process, port, log, Path(full["EMAILSTATUS_DB"]).parent)


def stop(server: Server, seconds: float = 30.0) -> None:
    """SIGTERM (a graceful stop), then SIGKILL to the whole group if it takes too long."""
    stop_all([server], seconds)


def _wait_or_kill(process: subprocess.Popen[bytes], seconds: float) -> None:
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_until_healthy(server: Server, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError("serve exited: " + server.log_text()[-2000:])
        try:
            if server.request("GET", "/healthz", timeout=2).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("serve did not become healthy: " + server.log_text()[-2000:])
