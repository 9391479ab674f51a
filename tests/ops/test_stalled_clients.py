"""Stalled clients cannot starve `serve`: 50 connections stop mid-request, /healthz answers.

Before: gthread threads read the request head with blocking reads and no deadline, so
16 connections that sent half a header and stopped held every thread of a 2 x 8 server,
and about half the /healthz probes waited 40 s.

The server here runs with short deadlines (SERVE_READ_TIMEOUT, SERVE_REQUEST_DEADLINE),
so that each test waits a second or two instead of 5-8 s; the first tests pin the
production defaults.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from bot.config import Settings
from bot.slack import worker
from bot.slack.serve import ServerSettings
from tests.ops.serving import Server, serve
from tests.support.fake_slack import FakeSlackApi

# This module's server: short deadlines (production: 5 s and 8 s, pinned below).
READ_TIMEOUT, REQUEST_DEADLINE = 0.5, 1.0
STALLED = 50
HALF_A_HEAD = b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Ty"
# A whole request that asks for Connection: close, from a client that never hangs up:
# gunicorn lingers up to 2 s per such close on its main loop, one connection after another.
NEVER_HANGS_UP = b"GET /healthz HTTP/1.1\r\nHost: bot\r\nConnection: close\r\n\r\n"
HEAD_WITHOUT_BODY = (
    b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
    b'Content-Length: 1000\r\n\r\n{"type": '
)


def test_production_deadlines_are_5_s_a_read_and_8_s_a_request():
    defaults = Settings.from_env({})
    assert (defaults.serve_read_timeout, defaults.serve_request_deadline) == (5.0, 8.0)
    assert (ServerSettings().read_timeout, ServerSettings().request_deadline) == (5.0, 8.0)
    assert worker.Deadlines() == worker.Deadlines(read=5.0, request=8.0)


@pytest.mark.parametrize(
    ("read", "whole", "expected", "problem"),
    [
        ("1", "2", (1.0, 2.0), None),
        ("0.5", "", (0.5, 8.0), None),
        ("soon", "8", (5.0, 8.0), "SERVE_READ_TIMEOUT 'soon' is not a number"),
        ("0", "8", (5.0, 8.0), "SERVE_READ_TIMEOUT '0' must be seconds from 0.1 to 300"),
        ("5", "inf", (5.0, 8.0), "SERVE_REQUEST_DEADLINE 'inf' must be seconds"),
        ("nan", "8", (5.0, 8.0), "SERVE_READ_TIMEOUT 'nan' must be seconds"),
        ("10", "", (10.0, 10.0), "SERVE_REQUEST_DEADLINE (8 s) is shorter than"),
    ],
)
def test_deadline_settings_are_checked(read, whole, expected, problem):
    settings = Settings.from_env({"SERVE_READ_TIMEOUT": read, "SERVE_REQUEST_DEADLINE": whole})
    assert (settings.serve_read_timeout, settings.serve_request_deadline) == expected
    problems = [p for p in settings.parse_problems if p.startswith("SERVE_")]
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problems[0].startswith(problem), problems


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("stalled")
    deadlines = {"SERVE_READ_TIMEOUT": str(READ_TIMEOUT),
                 "SERVE_REQUEST_DEADLINE": str(REQUEST_DEADLINE)}  # fmt: skip
    with FakeSlackApi() as slack, serve(slack, folder, **deadlines) as running:
        yield running


def stall(server: Server, stack: ExitStack, data: bytes) -> list[socket.socket]:
    sockets = []
    for _ in range(STALLED):
        conn = stack.enter_context(socket.create_connection(("127.0.0.1", server.port)))
        conn.sendall(data)
        sockets.append(conn)
    return sockets


@pytest.mark.parametrize(
    "data", [HALF_A_HEAD, HEAD_WITHOUT_BODY, NEVER_HANGS_UP], ids=["head", "body", "linger"]
)
def test_health_answers_within_a_second_while_50_clients_stall(server: Server, data: bytes):
    before = server.log_size()
    with ExitStack() as stack:
        sockets = stall(server, stack, data)
        started = time.monotonic()
        # Through the read deadline and the closing of all 50 connections after it.
        while time.monotonic() - started < READ_TIMEOUT + 1.0:
            answer = server.request("GET", "/healthz", timeout=5)
            assert answer.status == 200 and answer.seconds < 1.0, answer.seconds
            time.sleep(0.1)
        for conn in sockets:  # every stalled connection was dropped, none kept forever
            conn.settimeout(0.5)
            assert not conn.recv(65536).startswith(b"HTTP/1.1 5")
            assert conn.recv(65536) == b""
    added = server.log_text()[before:]
    assert "Traceback" not in added, added[-3000:]


def test_a_client_dripping_a_byte_at_a_time_is_cut_at_the_request_deadline(server: Server):
    # Before: each byte came within the per-read timeout, so the request never ended.
    head = b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port)) as conn:
        cut_after = None
        for byte in head * 4:
            try:
                conn.sendall(bytes([byte]))
                conn.settimeout(0.01)
                if conn.recv(1) == b"":
                    cut_after = time.monotonic() - started
                    break
            except TimeoutError:
                pass
            except OSError:
                cut_after = time.monotonic() - started
                break
            time.sleep(READ_TIMEOUT * 0.4 - 0.01)  # well within the per-read timeout
            if time.monotonic() - started > REQUEST_DEADLINE + 4:
                break
    assert cut_after is not None and cut_after < REQUEST_DEADLINE + 2
