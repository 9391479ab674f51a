"""``respond()`` that retries like Web API calls, says so when a reply is lost, and reuses
its connections.

bolt's ``Respond`` posts to the response_url with a new ``WebhookClient`` each time: a
429 or a 5xx answer is returned, not raised, and bolt ignores it, so the reply was lost
without a log line or a metric; and every reply opened a new connection (a TCP and TLS
handshake: under load, a third of a worker's time went to connecting). This one:

- retries 429 (after Retry-After, capped), 5xx and dropped connections until the
  deadline (``bot.slack.deadline``), counting each retry like the Web API client does
  (``slack_api_retry``);
- logs and counts a reply that is lost all the same (``response_url_http_<status>``);
- keeps connections alive per host in a small pool shared by the listener threads.
"""

from __future__ import annotations

import http.client
import json
import logging
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from slack_bolt.context.respond import Respond
from slack_sdk.webhook import WebhookResponse

from bot import metrics
from bot.slack.deadline import FIRST_BACKOFF, backoff, remaining

logger = logging.getLogger(__name__)

MAX_RETRY_AFTER = 30.0  # a response_url lives 30 minutes; a reply this late is still useful
TIMEOUT = 10.0
Connection = http.client.HTTPConnection


class ConnectionPool:
    """Idle keep-alive connections per (scheme, host, port); one thread uses one at a time."""

    def __init__(self, max_idle: int = 16, timeout: float = TIMEOUT) -> None:
        self.max_idle, self.timeout = max_idle, timeout
        self._idle: dict[tuple[str, str, int | None], list[Connection]] = {}
        self._lock = threading.Lock()
        self._tls = ssl.create_default_context()

    def post(self, url: str, body: bytes) -> tuple[int, dict[str, str], str]:
        """POST JSON; a kept-alive connection the server closed meanwhile is retried once."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "", parts.port)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {"Content-Type": "application/json;charset=utf-8"}
        for attempt in (1, 2):
            conn, reused = self._take(key)
            try:
                conn.request("POST", target or "/", body, headers)
                answer = conn.getresponse()
                text = answer.read().decode("utf-8", "replace")
            except (OSError, http.client.HTTPException):
                conn.close()
                if reused and attempt == 1:
                    continue  # the server had closed it while idle: not a failure
                raise
            if answer.will_close:
                conn.close()
            else:
                self._give(key, conn)
            return answer.status, dict(answer.getheaders()), text
        raise AssertionError("unreachable")

    def _take(self, key: tuple[str, str, int | None]) -> tuple[Connection, bool]:
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                return idle.pop(), True
        scheme, host, port = key
        if scheme == "https":
            return http.client.HTTPSConnection(
                host, port, timeout=self.timeout, context=self._tls
            ), False
        return http.client.HTTPConnection(host, port, timeout=self.timeout), False

    def _give(self, key: tuple[str, str, int | None], conn: Connection) -> None:
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < self.max_idle:
                idle.append(conn)
                return
        conn.close()


POOL = ConnectionPool()


class RetryingRespond(Respond):
    def __init__(
        self,
        *,
        response_url: str | None,
        pool: ConnectionPool = POOL,
        sleep: Callable[[float], None] = time.sleep,
        first_backoff: float = FIRST_BACKOFF,
    ) -> None:
        super().__init__(response_url=response_url)
        self.pool, self.sleep, self.first_backoff = pool, sleep, first_backoff

    # Same call as bolt's (text or a whole message, then named fields), spelled generally.
    def __call__(  # type: ignore[override]
        self, text: str | dict[str, Any] = "", **fields: Any
    ) -> WebhookResponse:
        if self.response_url is None:
            raise ValueError("respond is unsupported here as there is no response_url")
        message: dict[str, Any] = dict(text) if isinstance(text, dict) else {"text": text}
        message.update({k: v for k, v in fields.items() if v is not None})
        body = json.dumps({k: _plain(v) for k, v in message.items()}).encode()
        status, headers, answer = self._send(self.response_url, body)
        if status != 200:
            metrics.slack_api_error(f"response_url_http_{status}")
            logger.warning("reply to response_url lost: HTTP %s", status)
        return WebhookResponse(
            url=self.response_url, status_code=status, body=answer, headers=headers
        )

    def _send(self, url: str, body: bytes) -> tuple[int, dict[str, str], str]:
        """POST until answered, retrying what may pass (``_retry_reason``) until the deadline."""
        deadline = time.monotonic() + remaining()
        attempt = 0
        while True:
            step = backoff(attempt, self.first_backoff)  # after a 5xx or a dropped connection
            try:
                status, headers, answer = self.pool.post(url, body)
                reason, wait = _retry_reason(status, headers, step)
            except (OSError, http.client.HTTPException) as exc:
                status, headers, answer = 0, {}, ""
                reason, wait = "connection_error", step
                error = type(exc).__name__
            else:
                error = f"http_{status}"
            if reason is None:
                return status, headers, answer
            if time.monotonic() + wait >= deadline:
                metrics.slack_api_retry("deadline_passed")
                if status == 0:
                    metrics.slack_api_error(f"response_url_{error}")
                    logger.warning("reply to response_url lost: %s until the deadline", error)
                return status, headers, answer
            attempt += 1
            metrics.slack_api_retry(reason)
            self.sleep(wait)


def _retry_reason(
    status: int, headers: dict[str, str], server_error_wait: float
) -> tuple[str | None, float]:
    """Why to retry this answer (None: it is final), and after how long."""
    if status == 429:
        retry_after = {k.lower(): v for k, v in headers.items()}.get("retry-after", "1")
        try:
            return "rate_limited", min(float(retry_after), MAX_RETRY_AFTER)
        except ValueError:
            return "rate_limited", 1.0
    if 500 <= status < 600:
        return "server_error", server_error_wait  # the back-off: 0.5 s, 1 s, 2 s, 4 s, then 5 s
    return None, 0.0


def _plain(value: Any) -> Any:
    """Block Kit model objects (slack_sdk.models) as dicts; plain values unchanged."""
    if isinstance(value, list | tuple):
        return [item.to_dict() if hasattr(item, "to_dict") else item for item in value]
    return value.to_dict() if hasattr(value, "to_dict") else value
