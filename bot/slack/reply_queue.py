"""The listener pool with a bounded queue: replies cannot fall behind without limit.

bolt hands every listener to ``listener_executor``. A plain thread pool queues without
bound: under sustained load replies arrived a minute after the ack while the worker's
memory grew, and nothing said so. Here at most ``max_queued`` listeners wait. A request
that finds the queue full waits for room, briefly (``ROOM_WAIT``, inside Slack's 3 s
ack): that slows intake to the pace of replies. If there is still no room it is queued
all the same (never dropped: a slash command must still be acked), and counted. /healthz
says "degraded" while the queue is full or has overflowed in the last minute.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from bot import metrics
from bot.logs import ContextExecutor

logger = logging.getLogger(__name__)

ROOM_WAIT = 2.0  # seconds a request waits for room in a full queue
DEGRADED_FOR = 60.0  # seconds /healthz says "degraded" after an overflow


class BoundedExecutor(ContextExecutor):
    def __init__(self, max_workers: int, max_queued: int, *, thread_name_prefix: str = "") -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self.max_queued = max_queued
        self._room = threading.Semaphore(max_workers + max_queued)
        self._overflowed_at: float | None = None

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        room = self._room.acquire(timeout=ROOM_WAIT)
        if not room:
            self._overflowed_at = time.monotonic()
            metrics.reply_queue("overflow")
            logger.warning("reply queue full (%d waiting): queued anyway", self.waiting())
        queued_at = time.monotonic()

        def run() -> Any:
            metrics.reply_queue_wait(time.monotonic() - queued_at)
            try:
                return fn(*args, **kwargs)
            finally:
                if room:
                    self._room.release()

        return super().submit(run)

    def waiting(self) -> int:
        """Listeners queued, not started yet."""
        return self._work_queue.qsize()

    def behind(self) -> str | None:
        """For /healthz: why replies are behind, or None."""
        waiting = self.waiting()
        if waiting >= self.max_queued:
            return f"reply queue full ({waiting} waiting)"
        overflowed = self._overflowed_at
        if overflowed is not None and time.monotonic() - overflowed < DEGRADED_FOR:
            return "reply queue overflowed in the last minute"
        return None
