"""One import for the listeners: the Block Kit kit, the refs and every surface's renderers.

The code lives in ``kit`` (escaping, limits, builders), ``refs`` (action ids, block ids,
``Ref``) and one module per surface (``answer``, ``replies``, ``home``; the weekly
summary in ``summary``). This module only re-exports them.
"""

from __future__ import annotations

from bot.render.answer import (
    STATUS_WORDS,
    answer_body,
    answer_buttons,
    answer_message,
    closest_match_text,
    customer_text_message,
    picker_message,
    share_button,
    shared_by_block,
    source_text,
    status_block,
    steps_text,
    suggest_caveat,
    suggestion_message,
)
from bot.render.home import article_reference_blocks, home_view
from bot.render.kit import (
    MAX_CONTEXT_TEXT,
    MAX_HOME_BLOCKS,
    MAX_MESSAGE_BLOCKS,
    MAX_QUOTE_CHARS,
    MAX_SECTION_TEXT,
    Button,
    Payload,
    channel_ref,
    escape,
    shorten,
    slack_date,
)
from bot.render.refs import (
    CASE_ACTIONS_BLOCK_ID,
    CASE_CUSTOMER_TEXT,
    CASE_ESCALATE,
    CASE_RESOLVED,
    CASE_UNRESOLVED,
    PICK_VERSION,
    PICKER_BLOCK_PREFIX,
    SHARE,
    STATUS_BLOCK_ID,
    SUGGEST_NO,
    SUGGEST_YES,
    Ref,
    StatusLine,
    picker_block_id,
    ref_from_picker_block_id,
)
from bot.render.replies import (
    already_answered_message,
    capabilities_message,
    escalation_message,
    escalation_sent_message,
    help_message,
    no_escalation_channel_message,
    no_match_message,
    not_matched_shortcut_message,
    notice_message,
    unknown_command_message,
)

__all__ = [
    "CASE_ACTIONS_BLOCK_ID", "CASE_CUSTOMER_TEXT", "CASE_ESCALATE", "CASE_RESOLVED",
    "CASE_UNRESOLVED", "MAX_CONTEXT_TEXT", "MAX_HOME_BLOCKS", "MAX_MESSAGE_BLOCKS",
    "MAX_QUOTE_CHARS", "MAX_SECTION_TEXT", "PICKER_BLOCK_PREFIX", "PICK_VERSION", "SHARE",
    "STATUS_BLOCK_ID", "STATUS_WORDS", "SUGGEST_NO", "SUGGEST_YES", "Button", "Payload", "Ref",
    "StatusLine", "already_answered_message", "answer_body", "answer_buttons", "answer_message",
    "article_reference_blocks", "capabilities_message", "channel_ref", "closest_match_text",
    "customer_text_message", "escalation_message", "escalation_sent_message", "escape",
    "help_message", "home_view", "no_escalation_channel_message", "no_match_message",
    "not_matched_shortcut_message", "notice_message", "picker_block_id", "picker_message",
    "ref_from_picker_block_id", "share_button", "shared_by_block", "shorten", "slack_date",
    "source_text", "status_block", "steps_text", "suggest_caveat", "suggestion_message",
    "unknown_command_message",
]  # fmt: skip
