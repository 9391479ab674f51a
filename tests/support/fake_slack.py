"""A fake Slack Web API for the whole suite: 127.0.0.1 only, records every call.

It answers ``/api/<method>`` with ``{"ok": true, ...}`` plus the fields the bot reads
(``ts``, ``channel``, ``permalink``, auth.test ids, file-upload URLs), answers
``/response/<n>`` like a response_url and ``/upload/<file>`` like Slack's upload URL.
Tests can make a method fail (``fail``) or answer HTTP 429 with Retry-After
(``rate_limit``) to exercise slack_sdk's retry handlers.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Call:
    path: str
    data: dict[str, Any]
    raw: bytes = b""

    @property
    def method(self) -> str:
        return self.path.removeprefix("/api/").strip("/")


@dataclass
class FakeSlackApi:
    bot_user: str = "UBOT"
    bot_id: str = "BBOT"
    team: str = "T0TEAM"
    log: list[Call] = field(default_factory=list)
    failures: dict[str, list[str]] = field(default_factory=dict)
    rate_limits: dict[str, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._urls = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def url(self) -> str:
        """The SLACK_API_URL to give the bot."""
        return f"{self.base}/api/"

    def __enter__(self) -> FakeSlackApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- what tests use --------------------------------------------------------------

    def response_url(self) -> str:
        return f"{self.base}/response/{next(self._urls)}"

    def calls(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [c.data for c in self.log if c.method == method]

    def raw(self, method: str) -> list[bytes]:
        with self._lock:
            return [c.raw for c in self.log if c.method == method]

    def responses(self, url: str) -> list[dict[str, Any]]:
        path = url.removeprefix(self.base)
        with self._lock:
            return [c.data for c in self.log if c.path == path]

    def methods(self) -> list[str]:
        """Every Web API method and upload called, in order (response_url posts left out)."""
        with self._lock:
            return [c.method for c in self.log if not c.path.startswith("/response/")]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.calls(method)
            if len(found) >= count:
                return found
            time.sleep(0.01)
        raise AssertionError(f"{method} called {len(self.calls(method))} times, not {count}")

    def fail(self, method: str, error: str, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer ``{"ok": false, "error": error}``."""
        with self._lock:
            self.failures.setdefault(method, []).extend([error] * times)

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer HTTP 429 with Retry-After."""
        with self._lock:
            self.rate_limits.setdefault(method, []).extend([retry_after] * times)

    def clear(self) -> None:
        with self._lock:
            self.log.clear()
            self.failures.clear()
            self.rate_limits.clear()

    # -- the server ------------------------------------------------------------------

    def _record(self, path: str, data: dict[str, Any], raw: bytes) -> tuple[int, Any, int]:
        """(HTTP status, JSON answer, Retry-After) for one request."""
        with self._lock:
            self.log.append(Call(path, data, raw))
            method = Call(path, data).method
            limited = self.rate_limits.get(method)
            if limited:
                return 429, {"ok": False, "error": "ratelimited"}, limited.pop(0)
            pending = self.failures.get(method)
            if pending:
                return 200, {"ok": False, "error": pending.pop(0)}, 0
        return 200, self._answer(method, data), 0

    def _answer(self, method: str, data: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "user_id": self.bot_user, "bot_id": self.bot_id,
                    "team_id": self.team, "user": "emailstatus"}  # fmt: skip
        if method in ("chat.postMessage", "chat.update"):
            ts = data.get("ts") or f"1770000000.{next(self._ts):06d}"
            return {"ok": True, "channel": channel_id(data.get("channel")), "ts": ts}
        if method == "chat.getPermalink":
            ts = str(data.get("message_ts")).replace(".", "")
            link = f"https://acme.slack.com/archives/{data.get('channel')}/p{ts}"
            return {"ok": True, "permalink": link}
        if method == "files.getUploadURLExternal":
            return {"ok": True, "file_id": "F0CHART", "upload_url": f"{self.base}/upload/F0CHART"}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": [{"id": "F0CHART", "title": "chart"}]}
        return {"ok": True}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                data = {} if self.path.startswith("/upload/") else parse(self.headers, raw)
                status, answer, retry_after = fake._record(self.path, data, raw)
                body = json.dumps(answer).encode()
                self.send_response(status)
                if retry_after:
                    self.send_header("Retry-After", str(retry_after))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


def parse(headers: Any, raw: bytes) -> dict[str, Any]:
    text = raw.decode()
    if "json" in (headers.get("Content-Type") or ""):
        return json.loads(text or "{}")
    data: dict[str, Any] = {k: v[0] for k, v in parse_qs(text).items()}
    for key in ("blocks", "view", "files"):  # form posts carry these as JSON text
        if isinstance(data.get(key), str):
            data[key] = json.loads(data[key])
    return data


def channel_id(channel: Any) -> Any:
    """Slack answers with the channel's id even when it was given by #name."""
    if isinstance(channel, str) and channel.startswith("#"):
        return "C0" + channel[1:].upper().replace("-", "")
    return channel
