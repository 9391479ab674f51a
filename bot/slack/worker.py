"""gunicorn's gthread worker, with a read deadline so stalled clients cannot starve it.

gthread hands each connection to a thread as soon as its first bytes arrive, and the
thread then reads the rest of the request head and body with blocking reads that have
no timeout. A client that sends half a header and stops holds that thread for as long as
it keeps the connection open: 16 of them took every thread of a 2 x 8 server, and
/healthz timed out. This worker gives every client socket a per-read deadline
(``READ_TIMEOUT``): a client silent for that long is dropped, as if it had hung up
(gunicorn then logs nothing at INFO, and no traceback), and a whole request, head and
body, gets ``REQUEST_DEADLINE``, so a client dripping a byte at a time is cut as well.
Both are settings (SERVE_READ_TIMEOUT, SERVE_REQUEST_DEADLINE), handed to the worker
by ``use_deadlines`` before gunicorn forks. ``ServerSettings`` also gives
the workers more threads than a burst of such clients, so /healthz and Slack's own
requests find a free thread while the stalled ones wait out their deadline.
"""

from __future__ import annotations

import errno
import socket
import time
import weakref
from dataclasses import dataclass
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from bot.config import SERVE_READ_TIMEOUT, SERVE_REQUEST_DEADLINE

# 5 s: Slack sends a request in one go; its own ack deadline is 3 s.
READ_TIMEOUT = SERVE_READ_TIMEOUT
# 8 s for a whole request (head and body): a client dripping one byte every 2 s never
# trips a per-read timeout, and 150 of them held every thread for 24 s.
REQUEST_DEADLINE = SERVE_REQUEST_DEADLINE


@dataclass(frozen=True)
class Deadlines:
    """The deadlines in force in this process (``use_deadlines``); the defaults above."""

    read: float = READ_TIMEOUT
    request: float = REQUEST_DEADLINE


_in_force = Deadlines()
# Sockets whose write side is shut: gunicorn is closing them (see DeadlineSocket.recv).
_closing: weakref.WeakSet[socket.socket] = weakref.WeakSet()
# When the request now being read on a socket must be in (monotonic); set per request.
_deadlines: weakref.WeakKeyDictionary[socket.socket, float] = weakref.WeakKeyDictionary()


def use_deadlines(deadlines: Deadlines) -> None:
    """Set this process's deadlines; called in gunicorn's master, so every worker it
    forks has them."""
    global _in_force
    _in_force = deadlines


class DeadlineSocket(socket.socket):
    """A client socket whose blocking mode is "blocking, up to the read deadline per call"."""

    __slots__ = ()  # socket.socket's own layout, so that an accepted socket can become one

    def setblocking(self, flag: bool) -> None:
        super().settimeout(_in_force.read if flag else 0.0)

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        if self in _closing:
            # gunicorn closes a connection by shutting its write side, then reading
            # until the client hangs up, for up to 2 s, on the worker's main loop: one
            # stalled client then blocks every other connection of the worker for 2 s.
            # Only what the client has already sent is drained here, without waiting.
            self.settimeout(0.0)  # a timeout would first wait for data to arrive
            try:
                return super().recv(bufsize, flags)
            except (BlockingIOError, TimeoutError):
                return b""
        self._until_deadline()
        try:
            return super().recv(bufsize, flags)
        except TimeoutError:
            raise ConnectionResetError(errno.ECONNRESET, "client stalled") from None

    def _until_deadline(self) -> None:
        """This read may wait for what is left of the request's deadline, at most."""
        deadline = _deadlines.get(self)
        if deadline is None:
            return
        left = deadline - time.monotonic()
        if left <= 0:
            raise ConnectionResetError(errno.ECONNRESET, "request not received in time")
        super().settimeout(min(_in_force.read, left))

    def shutdown(self, how: int) -> None:
        super().shutdown(how)
        if how in (socket.SHUT_WR, socket.SHUT_RDWR):
            _closing.add(self)

    def recv_into(self, *args: Any) -> int:
        self._until_deadline()
        try:
            return super().recv_into(*args)
        except TimeoutError:
            raise ConnectionResetError(errno.ECONNRESET, "client stalled") from None

    def sendall(self, *args: Any) -> None:
        super().settimeout(_in_force.read)  # the answer is not bound by the request deadline
        try:
            super().sendall(*args)
        except TimeoutError:  # a client that stopped reading the answer
            raise BrokenPipeError(errno.EPIPE, "client stalled") from None


class StallProofThreadWorker(ThreadWorker):  # type: ignore[misc]
    """``worker_class`` for ``serve``: gthread, every client socket a ``DeadlineSocket``."""

    def enqueue_req(self, conn: Any) -> None:
        if type(conn.sock) is socket.socket:  # not TLS-wrapped; same memory layout
            blocking = conn.sock.getblocking()
            conn.sock.__class__ = DeadlineSocket
            conn.sock.setblocking(blocking)
        if isinstance(conn.sock, DeadlineSocket):  # each request (keep-alive: each one anew)
            _deadlines[conn.sock] = time.monotonic() + _in_force.request
        super().enqueue_req(conn)
