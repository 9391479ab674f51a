"""Which process took an inbox row, and whether that process is still running.

A row is re-run at start-up only when the process that took it is gone: a live worker
(another gunicorn worker, a second Socket Mode process on this host) is still
handling its own rows. A process is named by host, pid and the kernel's start time of
that pid, so a pid reused after a restart (PID 1 in a container) is not mistaken for
the process that died.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import timedelta
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)  # a run silent this long (no heartbeat) is gone


def start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux); "" where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # The command name (field 2) may hold spaces and parentheses: split after its ")".
    fields = stat.rsplit(")", 1)[1].split()
    # A killed process whose parent died too can stay a zombie (in a container, PID 1
    # may never reap it): it runs nothing any more.
    return "" if fields[0] in ("Z", "X") else fields[19]


@cache
def _this_run(pid: int) -> str:
    return f"{socket.gethostname()}:{pid}:{start_time(pid)}"


def this_run() -> str:
    """This process, as stored in inbox rows (the pid keys the cache: forks get their own)."""
    return _this_run(os.getpid())


def is_alive(run: str | None) -> bool:
    """Is the process named ``run`` still running on this host?

    Another host's process is not known here: the stores judge it by its heartbeat
    lease (``SqliteRuns``, ``PgRuns``), never by its host name alone.
    """
    host, _, rest = (run or "").partition(":")
    pid_text, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if started and Path("/proc").is_dir():
        return start_time(pid) == started
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return True


def on_this_host(run: str | None) -> bool:
    return (run or "").partition(":")[0] == socket.gethostname()


class Heartbeat:
    """Call ``beat`` now and every ``lease / 3`` in a daemon thread, until ``stop``."""

    def __init__(self, beat: Callable[[], None], lease: timedelta = LEASE) -> None:
        self.beat = beat
        self.every = (lease / 3).total_seconds()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def start(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is not None:
                return
            self.beat()
            self._thread = threading.Thread(target=self._run, name="store-heartbeat", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.beat()
            except Exception:  # the next beat retries; a missed one is what leases allow
                log.warning("heartbeat failed", exc_info=True)

    def stop(self) -> bool:
        """Stop; True when it had been beating."""
        self._stop.set()
        if self._thread is None:
            return False
        self._thread.join(timeout=5)
        return True
