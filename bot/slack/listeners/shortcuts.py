"""Message shortcut "Find email-status fix" (``find_fix``): answer any message in its thread.

Slash commands cannot run inside threads; this shortcut works on thread replies too.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.conversation import Conversation
from bot.engine import Engine
from bot.render.answer import answer_message, suggest_caveat
from bot.render.refs import Ref
from bot.render.replies import not_matched_shortcut_message
from bot.slack.listeners.common import post_in_thread, slack_error
from bot.slack.workspaces import Workspace
from bot.vocabulary import Source, Where

logger = logging.getLogger(__name__)

SHORTCUT_CALLBACK_ID = "find_fix"
# The bot cannot post where it is not a member; the shortcut's response_url still works.
NOT_POSTABLE = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
NOT_IN_CHANNEL_CAVEAT = (
    "Only you can see this: I'm not in this channel. Invite me to answer in the thread."
)


def find_fix(
    conversation: Conversation, shortcut: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    message = shortcut.get("message") or {}
    channel = str((shortcut.get("channel") or {}).get("id") or "")
    thread_ts = str(message.get("thread_ts") or message.get("ts") or "")
    workspace = Workspace.of(shortcut)
    where = Where(
        Source.SHORTCUT, team=workspace.team_id, channel=channel, thread_ts=thread_ts,
        user=(shortcut.get("user") or {}).get("id"), enterprise=workspace.enterprise_id,
    )  # fmt: skip
    # Slack escapes &, < and >: unescape once here, so the question is stored raw.
    reply = conversation.question(where, html.unescape(str(message.get("text") or "")))
    answer = reply.answer
    if answer is None:
        respond(response_type="ephemeral", **not_matched_shortcut_message(reply.topic))
        return
    ref = Ref(answer.article_id, answer.version, reply.case_id)
    caveat = suggest_caveat(reply.topic) if reply.tentative else None
    try:
        reply_ts = post_in_thread(
            client, channel, thread_ts, answer_message(answer, ref, caveat=caveat)
        )
    except SlackApiError as exc:
        if slack_error(exc) not in NOT_POSTABLE:
            raise
        logger.info(
            "find_fix: cannot post in %s (%s); replying privately", channel, slack_error(exc)
        )
        private = answer_message(answer, ref, caveat=NOT_IN_CHANNEL_CAVEAT)
        respond(response_type="ephemeral", **private)
        return
    conversation.posted(reply.case_id, reply_ts)


def register(app: App, engine: Engine, settings: Settings) -> None:
    conversation = Conversation(engine, settings)

    @app.shortcut(SHORTCUT_CALLBACK_ID)
    def on_find_fix(
        ack: Ack, shortcut: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        find_fix(conversation, shortcut, client, respond)
