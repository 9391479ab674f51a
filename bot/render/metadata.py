"""Slack message metadata on every answer, so another app in the workspace can see what
the bot answered (https://docs.slack.dev/messaging/message-metadata).

Posting metadata needs no scope beyond ``chat:write``; an app that wants to read it
needs ``metadata.message:read``.
"""

from __future__ import annotations

from typing import Any

ANSWER_EVENT_TYPE = "emailstatus_answer"


def answer_metadata(case_id: int, article_id: str, version: str | None) -> dict[str, Any]:
    """``metadata`` for chat.postMessage, chat.update and response_url replies."""
    return {
        "event_type": ANSWER_EVENT_TYPE,
        "event_payload": {"case_id": case_id, "article_id": article_id, "version": version or ""},
    }
