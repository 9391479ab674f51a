"""A small fake of the Slack Web API for the listener tests: 127.0.0.1 only.

It answers every ``/api/<method>`` with ``{"ok": true, ...}`` (plus the fields bots
read: ``ts``, ``permalink``, auth.test ids), answers ``/response/<n>`` like a
response_url, records every call in order, and can be told to fail a method.
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Call:
    path: str
    data: dict[str, Any]

    @property
    def method(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass
class FakeSlackApi:
    bot_user: str = "UBOT"
    bot_id: str = "BBOT"
    team: str = "T0TEAM"
    log: list[Call] = field(default_factory=list)
    failures: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._urls = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def url(self) -> str:
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

    def responses(self, url: str) -> list[dict[str, Any]]:
        path = url.removeprefix(self.base)
        with self._lock:
            return [c.data for c in self.log if c.path == path]

    def methods(self) -> list[str]:
        with self._lock:
            return [c.method for c in self.log if c.path.startswith("/api/")]

    def fail(self, method: str, error: str, times: int = 1) -> None:
        self.failures.setdefault(method, []).extend([error] * times)

    def clear(self) -> None:
        with self._lock:
            self.log.clear()
            self.failures.clear()

    # -- the server ------------------------------------------------------------------

    def _answer(self, path: str, data: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.log.append(Call(path, data))
            method = path.rsplit("/", 1)[-1]
            pending = self.failures.get(method) if path.startswith("/api/") else None
            if pending:
                return {"ok": False, "error": pending.pop(0)}
        if method == "auth.test":
            return {"ok": True, "user_id": self.bot_user, "bot_id": self.bot_id,
                    "team_id": self.team, "user": "emailstatus"}  # fmt: skip
        if method in ("chat.postMessage", "chat.update"):
            ts = data.get("ts") or f"1770000000.{next(self._ts):06d}"
            return {"ok": True, "channel": data.get("channel"), "ts": ts}
        if method == "chat.getPermalink":
            ts = str(data.get("message_ts")).replace(".", "")
            link = f"https://acme.slack.com/archives/{data.get('channel')}/p{ts}"
            return {"ok": True, "permalink": link}
        return {"ok": True}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(size).decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    data = json.loads(raw or "{}")
                else:
                    data = {k: v[0] for k, v in parse_qs(raw).items()}
                    for key in ("blocks", "view"):  # form posts carry these as JSON text
                        if isinstance(data.get(key), str):
                            data[key] = json.loads(data[key])
                answer = fake._answer(self.path, data)
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler
