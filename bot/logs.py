"""Structured logging: ``LOG_FORMAT=json|text``, ``LOG_LEVEL``, per-request context.

Each line logged while a Slack request is handled carries its ``event_id`` or
``trigger_id``, the case id once there is one, and the milliseconds since the request
arrived. Bolt runs listeners on a thread pool, so the pool copies the context
(``ContextExecutor``). A filter removes Slack tokens and the configured secrets from
every line. With ``STORE_QUESTION_TEXT=false`` the Slack libraries' debug logging (which
prints payloads, and so questions) is switched off, and, in case anything else prints a
payload (bolt warns with the whole body in some cases, an exception may quote it), the
request's own text is cut out of every line logged while it is handled
(``keep_out_of_logs``).
"""

from __future__ import annotations

import atexit
import contextvars
import json
import logging
import os
import queue
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from bot.config import Settings

_request: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "emailstatus_request", default=None
)
TOKEN_PATTERN = re.compile(r"\bx(?:ox[abeposr]|app)[-.][A-Za-z0-9.-]+")
CONTEXT_FIELDS = ("event_id", "trigger_id", "case_id", "retry_num")
PAYLOAD_LOGGERS = ("slack_bolt", "slack_sdk")
REDACTED = "[redacted]"
PRIVATE = "[question text]"
PRIVATE_MIN_LENGTH = 4  # shorter texts ("ok", "2010") are not worth hiding, and too common


@contextmanager
def request_context(**fields: Any) -> Iterator[dict[str, Any]]:
    """Open a per-request context; ``annotate`` adds to it from anywhere in the request."""
    context = {"started": time.perf_counter(), **fields}
    token = _request.set(context)
    try:
        yield context
    finally:
        _request.reset(token)


def annotate(**fields: Any) -> None:
    context = _request.get()
    if context is not None:
        context.update({k: v for k, v in fields.items() if v is not None})


def keep_out_of_logs(text: str | None) -> None:
    """Cut ``text`` out of every line logged for this request (when question text is private).

    Also its JSON and Python-repr spellings, which is how payloads usually get printed.
    """
    context = _request.get()
    if context is None or not text or len(text.strip()) < PRIVATE_MIN_LENGTH:
        return
    spellings = {text, json.dumps(text)[1:-1], repr(text)[1:-1]}
    context.setdefault("private", set()).update(spellings)


def current_context() -> dict[str, Any]:
    context = _request.get() or {}
    fields = {k: context[k] for k in CONTEXT_FIELDS if k in context}
    if "started" in context:
        fields["elapsed_ms"] = round((time.perf_counter() - context["started"]) * 1000, 1)
    return fields


class ContextExecutor(ThreadPoolExecutor):
    """A thread pool whose tasks see the submitting thread's request context."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        context = contextvars.copy_context()
        return super().submit(context.run, fn, *args, **kwargs)


LIBRARY_LOGGERS = ("slack_bolt", "slack_sdk")
PRIVATE_LIBRARY_DEBUG = "(debug line hidden: it may quote a request; STORE_QUESTION_TEXT=false)"


class RedactingFilter(logging.Filter):
    """Removes tokens and secrets from the message, its arguments and the traceback text."""

    def __init__(self, secrets: tuple[str, ...] = (), *, private_text: bool = False) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if len(s) >= 6)
        self.private_text = private_text

    def scrub(self, text: str) -> str:
        text = TOKEN_PATTERN.sub(REDACTED, text)
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        if self.private_text:
            # Longest first, so a text is not half-replaced through one of its spellings.
            for private in sorted((_request.get() or {}).get("private", ()), key=len)[::-1]:
                text = text.replace(private, PRIVATE)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        library = record.name.startswith(LIBRARY_LOGGERS)
        if self.private_text and library and record.levelno <= logging.DEBUG:
            # bolt's and slack_sdk's debug lines quote request bodies (an unmatched
            # slash command's text, ~200 characters) before any listener could say
            # which fields are private: in private mode none of them is kept.
            record.msg, record.args = PRIVATE_LIBRARY_DEBUG, None
        record.msg = self.scrub(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        context = current_context()
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None) or context.get(name)
            if value is not None:
                setattr(record, name, value)
        record.elapsed_ms = context.get("elapsed_ms")
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in (*CONTEXT_FIELDS, "elapsed_ms"):
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_text:
            line["traceback"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        extras = [f"{n}={getattr(record, n)}" for n in (*CONTEXT_FIELDS, "elapsed_ms")
                  if getattr(record, n, None) is not None]  # fmt: skip
        return f"{text} [{' '.join(extras)}]" if extras else text


class BackgroundWriter(logging.Handler):
    """Formats in the calling thread, writes from a thread of its own (one per process).

    With a plain StreamHandler every thread writes under one lock; a thread that loses
    the GIL mid-write keeps the lock, and the others queue behind it: under load, a
    serve worker's listener threads spent more time waiting for that lock than working.
    Here a line is formatted (and redacted) where it is logged, then only queued, on a
    ``SimpleQueue``: its ``put`` takes no Python lock (``queue.Queue``'s did, and request
    threads queued for it the same way). The writer thread is started per process, so
    it also exists in gunicorn's forked workers; ``flush`` waits until every line queued
    before it is written.
    """

    def __init__(self, stream: Any) -> None:
        super().__init__()
        self.stream = stream
        self._lines: queue.SimpleQueue[str | threading.Event] = queue.SimpleQueue()
        self._pid = 0
        self._starting = threading.Lock()
        atexit.register(self.flush)

    def handle(self, record: logging.LogRecord) -> bool:
        # No handler lock: the queue is the only shared state (see the class docstring).
        if not self.filter(record):
            return False
        self.emit(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        self._ensure_writer()
        self._lines.put(line)

    def _ensure_writer(self) -> None:
        if self._pid == os.getpid():
            return
        with self._starting:
            if self._pid != os.getpid():  # new process (a fork): its own queue and thread
                self._lines = queue.SimpleQueue()
                threading.Thread(target=self._write, name="log-writer", daemon=True).start()
                self._pid = os.getpid()

    def _write(self) -> None:
        lines = self._lines
        while True:
            batch = [lines.get()]
            while not lines.empty():
                batch.append(lines.get())
            text = "".join(f"{line}\n" for line in batch if isinstance(line, str))
            try:
                self.stream.write(text)
                self.stream.flush()
            except (OSError, ValueError):  # a closed stream at exit
                pass
            for flushed in batch:
                if isinstance(flushed, threading.Event):
                    flushed.set()

    def flush(self, timeout: float = 10.0) -> None:
        if self._pid == os.getpid():
            written = threading.Event()
            self._lines.put(written)
            written.wait(timeout)


def configure_logging(
    settings: Settings, stream: Any = None, *, background: bool = False
) -> logging.Handler:
    """Send every log line to stderr, formatted and redacted. Returns the handler.

    ``background`` (``serve``): lines are written by a thread of their own.
    """
    stream = stream or sys.stderr
    handler = BackgroundWriter(stream) if background else logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    secrets = (settings.slack_signing_secret, settings.slack_bot_token, settings.slack_app_token,
               settings.slack_client_secret, *settings.token_encryption_key.split(","))  # fmt: skip
    private = not settings.store_question_text
    handler.addFilter(RedactingFilter(secrets, private_text=private))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(getattr(logging, settings.log_level, logging.INFO))
    if not settings.store_question_text:
        for name in PAYLOAD_LOGGERS:
            logging.getLogger(name).setLevel(max(logging.INFO, root.level))
    return handler


def gunicorn_logger_class() -> type:
    """Gunicorn's logger, sending its lines through ours (same format, same redaction)."""
    from gunicorn.glogging import Logger

    class GunicornLogger(Logger):  # type: ignore[misc]
        def setup(self, cfg: Any) -> None:
            super().setup(cfg)
            for log in (self.error_log, self.access_log):
                log.handlers.clear()
                log.propagate = True

    return GunicornLogger
