"""The "did it fix it?" follow-up posted in an answer's thread.

The follow-up's buttons use the answer's own action ids, so the same handlers record
the outcome; their ``Ref`` has kind ``follow_up`` so a click re-renders this message
(with who answered it) instead of the whole answer.
"""

from __future__ import annotations

from typing import Any

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


def follow_up_ref(case_id: int, article_id: str, version: str | None) -> Ref:
    return Ref(article_id, version, case_id, FOLLOW_UP_KIND)


def follow_up_message(ref: Ref, asker: str | None, *, status: StatusLine | None = None) -> Payload:
    """One short question in the answer's thread, mentioning the asker, with three buttons."""
    who = f"<@{escape(asker)}> " if asker else ""
    line = f"{who}Did the steps above fix it? Tell me, so the next person gets a better answer."
    value = ref.encode()
    buttons = [
        _button("That fixed it", CASE_RESOLVED, value, style="primary"),
        _button("Still not updating", CASE_UNRESOLVED, value),
        _button("Ask a human", CASE_ESCALATE, value),
    ]
    blocks: list[dict[str, Any]] = [
        {"text": {"text": line, "type": "mrkdwn"}, "type": "section"},
        {"block_id": FOLLOW_UP_BLOCK_ID, "elements": buttons, "type": "actions"},
    ]
    if status is not None:
        blocks.append(status_block(status))
    return {"text": "Did the steps above fix it?", "blocks": blocks}


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "action_id": action_id,
        "text": {"emoji": True, "text": text, "type": "plain_text"},
        "type": "button",
        "value": value,
    }
    return {**button, "style": style} if style else button
