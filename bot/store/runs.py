"""Which process took an inbox row, and whether that process is still running.

A row is re-run at start-up only when the process that took it is gone: a live worker
(another gunicorn worker, a second Socket Mode process on this host) is still
handling its own rows. A process is named by host, pid and the kernel's start time of
that pid, so a pid reused after a restart (PID 1 in a container) is not mistaken for
the process that died.
"""

from __future__ import annotations

import os
import socket
from functools import cache
from pathlib import Path


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

    Another host's process counts as gone: the database is a local file, and a new
    container (a new host name) on the same volume replaces the old one.
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
