"""A small Block Kit kit: escaping, Slack's limits and block builders, for every renderer.

Plain dicts in the exact shape slack_sdk's models produce: building through the models
validates on every call and was the largest CPU cost of a reply. The tests round-trip
every payload through ``Block.parse(...).to_dict()`` and check Slack's limits instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

Payload = dict[str, Any]
Block = dict[str, Any]
Button = dict[str, Any]

# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks)
MAX_MESSAGE_BLOCKS = 50
MAX_HOME_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_CONTEXT_TEXT = 2000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_QUOTE_CHARS = 500
MAX_FALLBACK_TEXT = 3000

CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,}")


def escape(text: str) -> str:
    """Make raw text safe inside mrkdwn: only &, < and > are control characters.

    Text from people is unescaped once where it reaches us (listeners), stored raw, and
    escaped here once when it is shown, so ``&`` never becomes ``&amp;amp;``.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def channel_ref(channel: str) -> str:
    """``<#C123>`` for a channel id (Slack shows its name); ``#name`` for a configured name."""
    if CHANNEL_ID.fullmatch(channel):
        return f"<#{channel}>"
    return escape("#" + channel.lstrip("#"))


def slack_date(moment: datetime) -> str:
    """A date Slack shows in the reader's time zone, with a UTC fallback."""
    fallback = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def mrkdwn(text: str, limit: int = MAX_SECTION_TEXT) -> dict[str, Any]:
    return {"text": shorten(text, limit), "type": "mrkdwn"}


def with_block_id(block: Block, block_id: str | None) -> Block:
    return {"block_id": block_id, **block} if block_id is not None else block


def section(text: str, block_id: str | None = None) -> Block:
    return with_block_id({"text": mrkdwn(text, MAX_SECTION_TEXT), "type": "section"}, block_id)


def fields(texts: Sequence[str]) -> Block:
    return {"fields": [mrkdwn(t, MAX_FIELD_TEXT) for t in texts[:MAX_FIELDS]], "type": "section"}


def context(*texts: str, block_id: str | None = None) -> Block:
    elements = [mrkdwn(t, MAX_CONTEXT_TEXT) for t in texts]
    return with_block_id({"elements": elements, "type": "context"}, block_id)


def header(text: str) -> Block:
    return {
        "text": {"text": shorten(text, MAX_HEADER_TEXT), "type": "plain_text"},
        "type": "header",
    }


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str, style: str | None = None) -> Button:
    made: Button = {
        "action_id": action_id,
        "text": {"emoji": True, "text": shorten(text, MAX_BUTTON_TEXT), "type": "plain_text"},
        "type": "button",
        "value": value,
    }
    return {**made, "style": style} if style else made


def actions(block_id: str, buttons: Sequence[Button]) -> Block:
    return {"block_id": block_id, "elements": list(buttons), "type": "actions"}


def payload(text: str, blocks: Iterable[Block], limit: int = MAX_MESSAGE_BLOCKS) -> Payload:
    """``{"text", "blocks"}``: a plain fallback always, and never more blocks than Slack takes."""
    return {
        "text": shorten(text, MAX_FALLBACK_TEXT) or "emailstatus-bot",
        "blocks": list(blocks)[:limit],
    }


def chunks(lines: list[str], limit: int) -> list[str]:
    """Join lines into pieces that each fit in a section once escaped."""
    found: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if current and len(escape(candidate)) > limit:
            found.append(current)
            candidate = line
        current = candidate
    return [*found, current] if current else found
