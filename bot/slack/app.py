"""Build the bolt App: one WebClient with retries, one error handler, every listener.

``build_app`` is the stable entry point for HTTP (serve.py) and Socket Mode alike.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings
from bot.engine import Engine
from bot.slack.listeners import actions, commands, home, messages, shortcuts

logger = logging.getLogger(__name__)

DEFAULT_API_URL = WebClient.BASE_URL
LISTENER_MODULES = (messages, commands, actions, shortcuts, home)


def build_client(settings: Settings) -> WebClient:
    """A WebClient that honours Retry-After on 429 and retries 5xx once or twice."""
    return WebClient(
        token=settings.slack_bot_token or None,
        base_url=_api_url(settings.slack_api_url),
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def _api_url(url: str) -> str:
    # slack_sdk joins base_url + method name, so the base must end with a slash.
    if not url:
        return DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


def build_app(settings: Settings, engine: Engine, *, client: WebClient | None = None) -> App:
    client = client or build_client(settings)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret or None,
        process_before_response=False,
        # No auth.test at start-up: tests and Socket Mode start offline. Bolt calls
        # auth.test lazily on the first event instead.
        token_verification_enabled=False,
        # Socket Mode requests are not signed; HTTP ones always are.
        request_verification_enabled=bool(settings.slack_signing_secret),
    )

    @app.error
    def _log_error(error: Exception, body: dict[str, Any]) -> None:
        logger.exception(
            "listener failed: %s", error, exc_info=error, extra={"slack_type": body.get("type")}
        )

    for module in LISTENER_MODULES:
        module.register(app, engine, settings)
    return app
