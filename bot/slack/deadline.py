"""Retries bounded by a deadline, not by a count, for every Slack call that delivers a reply.

Slack rate-limits posts routinely (most of all while a backlog is replayed), and a
connection can be reset at any moment. Two or three retries then give up on a reply
that one more minute would have delivered. Here each Web API call made while handling
an event retries connection errors, 5xx answers and 429s (after ``Retry-After``) for as
long as the event's deadline allows, and no longer: a listener thread is not held for
ever, and what is still owed stays in the inbox for the next attempt (``bot.slack.replay``).

The deadline is a context variable: ``within(seconds)`` sets it around one event's work;
a call made outside any event gets ``CALL_BUDGET`` from its first attempt.

Connection errors and 5xx wait before each retry: ``FIRST_BACKOFF`` (SLACK_RETRY_BACKOFF),
doubling up to ``MAX_BACKOFF``. A 429 waits for Slack's Retry-After instead.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.interval_calculator import RetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot import metrics
from bot.config import MAX_RETRY_BACKOFF, RETRY_BACKOFF

CALL_BUDGET = 60.0  # seconds one call may keep retrying when no event deadline is set
# Connection errors and 5xx: 0.5 s, 1 s, 2 s, 4 s, then every 5 s (SLACK_RETRY_BACKOFF
# sets the first step).
FIRST_BACKOFF = RETRY_BACKOFF
MAX_BACKOFF = MAX_RETRY_BACKOFF
FOREVER = 2**31  # the count is never the limit; the deadline is

_deadline: ContextVar[float | None] = ContextVar("slack_reply_deadline", default=None)


@contextlib.contextmanager
def within(seconds: float) -> Iterator[None]:
    """Slack calls made inside retry until ``seconds`` from now (monotonic), not later."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining(state: RetryState | None = None) -> float:
    """Seconds left for this call: the event's deadline, or the call's own budget."""
    deadline = _deadline.get()
    if deadline is None:
        if state is None:
            return CALL_BUDGET
        values = state.custom_values if state.custom_values is not None else {}
        state.custom_values = values
        deadline = values.setdefault("deadline", time.monotonic() + CALL_BUDGET)
    return deadline - time.monotonic()


def backoff(attempt: int, first: float = FIRST_BACKOFF) -> float:
    """The wait before retry ``attempt + 1``: ``first``, doubling, at most ``MAX_BACKOFF``."""
    return min(MAX_BACKOFF, first * 2 ** min(attempt, 16))


class CappedBackoff(RetryIntervalCalculator):
    """Exponential back-off (``backoff``), with a little jitter: up to a fifth of the
    first step (0.1 s), so that workers do not retry in step."""

    def __init__(self, first: float = FIRST_BACKOFF) -> None:
        self.first = first

    def calculate_sleep_duration(self, current_attempt: int) -> float:
        return backoff(current_attempt, self.first) + random.random() * self.first / 5


def retry_after(response: HttpResponse | None) -> float:
    """Slack's Retry-After in seconds (1 when missing or unreadable)."""
    if response is None:
        return 1.0
    for name, values in response.headers.items():
        if name.lower() == "retry-after":
            try:
                return float(values[0] if isinstance(values, list) else values)
            except (ValueError, IndexError):
                return 1.0
    return 1.0


class _UntilDeadline:
    """Mixed into a retry handler: retry while the wait still ends before the deadline."""

    reason = ""

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        wanted = self._can_retry(  # type: ignore[attr-defined]
            state=state, request=request, response=response, error=error
        )
        if not wanted:
            return False
        if self.wait(state, response) >= remaining(state):
            metrics.slack_api_retry("deadline_passed")
            return False
        return True

    def wait(self, state: RetryState, response: HttpResponse | None) -> float:
        calculator: RetryIntervalCalculator = self.interval_calculator  # type: ignore[attr-defined]
        return calculator.calculate_sleep_duration(state.current_attempt)

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        metrics.slack_api_retry(self.reason)
        state.next_attempt_requested = True
        time.sleep(self.wait(state, response))
        state.increment_current_attempt()


class ConnectionErrorRetry(_UntilDeadline, ConnectionErrorRetryHandler):
    """slack_sdk's connection-error handler (resets, refused, dropped), until the deadline."""

    reason = "connection_error"

    def __init__(self, first_backoff: float = FIRST_BACKOFF) -> None:
        super().__init__(max_retry_count=FOREVER, interval_calculator=CappedBackoff(first_backoff))


class ServerErrorRetry(_UntilDeadline, RetryHandler):
    """Any 5xx answer (slack_sdk's own handler takes only 500 and 503)."""

    reason = "server_error"

    def __init__(self, first_backoff: float = FIRST_BACKOFF) -> None:
        super().__init__(max_retry_count=FOREVER, interval_calculator=CappedBackoff(first_backoff))

    def _can_retry(self, *, response: HttpResponse | None = None, **_: Any) -> bool:
        return response is not None and 500 <= response.status_code < 600


class RateLimitRetry(_UntilDeadline, RateLimitErrorRetryHandler):
    """429: waits for Retry-After (plus a little jitter, so workers do not retry in step)."""

    reason = "rate_limited"

    def __init__(self) -> None:
        super().__init__(max_retry_count=FOREVER)

    def wait(self, state: RetryState, response: HttpResponse | None) -> float:
        return retry_after(response) + random.random() / 4


def retry_handlers(first_backoff: float = FIRST_BACKOFF) -> list[RetryHandler]:
    """Connection errors, 5xx and 429, each until the deadline: for Web API calls."""
    return [
        ConnectionErrorRetry(first_backoff),
        RateLimitRetry(),
        ServerErrorRetry(first_backoff),
    ]
