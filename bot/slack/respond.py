"""``respond()`` that retries like Web API calls, and says so when a reply is lost.

bolt's ``Respond`` posts to the response_url with a bare ``WebhookClient``: a 429 or a
5xx answer is returned, not raised, and bolt ignores it, so the reply was lost without a
log line or a metric. This one retries 429 (after Retry-After) and 5xx with the same
counted handlers as the Web API client, then logs and counts a final failure.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.respond import Respond
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.webhook import WebhookClient, WebhookResponse

from bot import metrics

logger = logging.getLogger(__name__)


class RetryingRespond(Respond):
    def __init__(self, *, response_url: str | None, retry_handlers: list[RetryHandler]) -> None:
        super().__init__(response_url=response_url)
        self.retry_handlers = [ConnectionErrorRetryHandler(), *retry_handlers]

    # Same call as bolt's (text or a whole message, then named fields), spelled generally.
    def __call__(  # type: ignore[override]
        self, text: str | dict[str, Any] = "", **fields: Any
    ) -> WebhookResponse:
        if self.response_url is None:
            raise ValueError("respond is unsupported here as there is no response_url")
        message: dict[str, Any] = dict(text) if isinstance(text, dict) else {"text": text}
        message.update({k: v for k, v in fields.items() if v is not None})
        message = {k: _plain(v) for k, v in message.items()}
        client = WebhookClient(url=self.response_url, retry_handlers=self.retry_handlers)
        response = client.send_dict(message)
        if response.status_code != 200:
            status = response.status_code
            metrics.slack_api_error(f"response_url_http_{status}")
            logger.warning("reply to response_url lost: HTTP %s after retries", status)
        return response


def _plain(value: Any) -> Any:
    """Block Kit model objects (slack_sdk.models) as dicts; plain values unchanged."""
    if isinstance(value, list | tuple):
        return [item.to_dict() if hasattr(item, "to_dict") else item for item in value]
    return value.to_dict() if hasattr(value, "to_dict") else value
