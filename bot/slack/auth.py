"""Does Slack accept our bot token? ``auth.test`` at start, cached, refreshed in the background.

``serve`` and ``run`` call ``token_problem`` before starting, so a token Slack rejects
is one line and exit 2 rather than a traceback or a server that answers nothing. Each
serve worker keeps an ``AuthMonitor``: ``/healthz`` reads its cached answer (never a
Slack call on the probe's path), and a stale answer is refreshed on a background thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.deadline import within

logger = logging.getLogger(__name__)

# Slack's auth.test errors that mean the token itself is bad (no retry can fix them).
REJECTED = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
     "not_allowed_token_type"}
)  # fmt: skip
REFRESH_SECONDS = 300.0  # a revoked token shows within 5 minutes
RETRY_SECONDS = 30.0  # after a failure, look again sooner
CHECK_BUDGET = 3.0  # seconds auth.test may retry: start-up and /healthz must not wait a minute


@dataclass(frozen=True)
class AuthStatus:
    problem: str | None  # None: Slack accepts the token
    rejected: bool = False  # the token itself is bad, as opposed to Slack unreachable
    checked_at: float = 0.0


def check_token(client: WebClient, clock: Callable[[], float] = time.monotonic) -> AuthStatus:
    """One auth.test, retried for a few seconds at most (a check, not a reply); never raises."""
    try:
        with within(CHECK_BUDGET):
            client.auth_test()
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "") if exc.response is not None else ""
        if error in REJECTED:
            return AuthStatus(f"Slack rejected the bot token ({error})", True, clock())
        return AuthStatus(f"auth.test failed ({error or 'http error'})", False, clock())
    except Exception as exc:  # network: URLError, timeouts, refused connections
        return AuthStatus(f"Slack API unreachable ({type(exc).__name__})", False, clock())
    return AuthStatus(None, False, clock())


class AuthMonitor:
    """The last auth.test answer, refreshed at most every ``refresh`` seconds."""

    def __init__(
        self,
        client: WebClient,
        *,
        refresh: float = REFRESH_SECONDS,
        retry: float = RETRY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client, self.refresh, self.retry, self.clock = client, refresh, retry, clock
        self._status: AuthStatus | None = None
        self._lock = threading.Lock()
        self._refreshing: threading.Thread | None = None

    def check_now(self) -> AuthStatus:
        """Call auth.test now (worker start) and cache the answer."""
        status = check_token(self.client, self.clock)
        if status.problem:
            logger.warning("auth.test: %s", status.problem)
        self._status = status
        return status

    def problem(self) -> str | None:
        """The cached answer; starts a background refresh when it is stale."""
        status = self._status
        if status is None:
            self._refresh_in_background()
            return "Slack token not checked yet"
        age = self.clock() - status.checked_at
        if age >= (self.retry if status.problem else self.refresh):
            self._refresh_in_background()
        return status.problem

    def _refresh_in_background(self) -> None:
        with self._lock:
            if self._refreshing is not None and self._refreshing.is_alive():
                return
            self._refreshing = threading.Thread(
                target=self.check_now, name="auth-refresh", daemon=True
            )
            self._refreshing.start()

    def wait(self, timeout: float = 10.0) -> None:
        """Wait for a refresh in flight (tests)."""
        thread = self._refreshing
        if thread is not None:
            thread.join(timeout)
