"""A tiny Slack Web API stand-in on 127.0.0.1 for the weekly post (chat + file upload).

It answers chat.postMessage, files.getUploadURLExternal (with an upload URL on itself),
the upload, and files.completeUploadExternal, and records every call. Set ``fail`` to a
method name to make that method answer ``{"ok": false}``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    body: bytes


@dataclass
class FakeWebApi:
    url: str = ""
    calls: list[Call] = field(default_factory=list)
    fail: str | None = None

    def named(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def answer(self, method: str) -> dict[str, Any]:
        if method == self.fail:
            return {"ok": False, "error": "not_in_channel"}
        if method == "chat.postMessage":
            return {"ok": True, "channel": "C0SUMMARY", "ts": f"1700000000.{len(self.calls):06d}"}
        if method == "files.getUploadURLExternal":
            return {"ok": True, "file_id": "F0CHART", "upload_url": f"{self.url}upload/F0CHART"}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": [{"id": "F0CHART", "title": "chart"}]}
        return {"ok": True}


def _handler(api: FakeWebApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            method = self.path.strip("/").removeprefix("api/")
            params: dict[str, Any] = {}
            if "json" in (self.headers.get("Content-Type") or ""):
                params = json.loads(body or b"{}")
            elif not method.startswith("upload/"):
                params = dict(parse_qsl(body.decode()))
            api.calls.append(Call(method, params, body))
            reply = (
                b"OK" if method.startswith("upload/") else json.dumps(api.answer(method)).encode()
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def fake_web_api() -> Iterator[FakeWebApi]:
    api = FakeWebApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    api.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
