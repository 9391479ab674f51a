"""The "did it fix it?" follow-up posted in an answer's thread.

The follow-up's buttons use the answer's own action ids, so the same handlers record
the outcome; their ``Ref`` has kind ``follow_up`` so a click re-renders this message
(with who answered it) instead of the whole answer.
"""

from __future__ import annotations

from typing import Any

from bot.i18n import ENGLISH, phrase
from bot.render.blocks import (
    CASE_ESCALATE,
    CASE_RESOLVED,
    CASE_UNRESOLVED,
    Payload,
    Ref,
    StatusLine,
    escape,
    status_block,
)

FOLLOW_UP_KIND = "follow_up"
FOLLOW_UP_BLOCK_ID = "follow_up_actions"


def follow_up_ref(
    case_id: int, article_id: str, version: str | None, language: str | None = None
) -> Ref:
    """``language``: the answer's (``bot.language.detect_language`` of the case's question)."""
    return Ref(article_id, version, case_id, FOLLOW_UP_KIND, language)


def follow_up_message(ref: Ref, asker: str | None, *, status: StatusLine | None = None) -> Payload:
    """One short question in the answer's thread, mentioning the asker, with three buttons."""
    language = ref.language or ENGLISH
    who = f"<@{escape(asker)}> " if asker else ""
    line = f"{who}{phrase(language, 'follow_up_line')}"
    value = ref.encode()
    buttons = [
        _button(phrase(language, "button_fixed"), CASE_RESOLVED, value, style="primary"),
        _button(phrase(language, "button_not_fixed"), CASE_UNRESOLVED, value),
        _button(phrase(language, "button_human"), CASE_ESCALATE, value),
    ]
    blocks: list[dict[str, Any]] = [
        {"text": {"text": line, "type": "mrkdwn"}, "type": "section"},
        {"block_id": FOLLOW_UP_BLOCK_ID, "elements": buttons, "type": "actions"},
    ]
    if status is not None:
        blocks.append(status_block(status, language))
    return {"text": phrase(language, "follow_up_question"), "blocks": blocks}


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "action_id": action_id,
        "text": {"emoji": True, "text": text, "type": "plain_text"},
        "type": "button",
        "value": value,
    }
    return {**button, "style": style} if style else button
