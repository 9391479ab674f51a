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
from bot.engine import Engine, Where
from bot.matching import Level
from bot.render.answer import answer_message, suggest_caveat
from bot.render.refs import Ref
from bot.render.replies import not_matched_shortcut_message
from bot.slack.listeners.common import post_in_thread, slack_error, topic_of

logger = logging.getLogger(__name__)

CALLBACK_ID = "find_fix"
# The bot cannot post where it is not a member; the shortcut's response_url still works.
NOT_POSTABLE = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
NOT_IN_CHANNEL_CAVEAT = (
    "Only you can see this: I'm not in this channel. Invite me to answer in the thread."
)


def find_fix(engine: Engine, shortcut: dict[str, Any], client: WebClient, respond: Respond) -> None:
    message = shortcut.get("message") or {}
    channel = str((shortcut.get("channel") or {}).get("id") or "")
    thread_ts = str(message.get("thread_ts") or message.get("ts") or "")
    where = Where(
        source="shortcut", team=(shortcut.get("team") or {}).get("id"), channel=channel,
        thread_ts=thread_ts, user=(shortcut.get("user") or {}).get("id"),
    )  # fmt: skip
    # Slack escapes &, < and >: unescape once here, so the question is stored raw.
    outcome = engine.ask(html.unescape(str(message.get("text") or "")), where)
    answer, case = outcome.answer, outcome.case
    if outcome.level is Level.SILENT or answer is None:
        respond(response_type="ephemeral", **not_matched_shortcut_message(topic_of(engine, None)))
        return
    ref = Ref(answer.article_id, answer.version, case.id if case else None)
    topic = topic_of(engine, answer.article_id)
    caveat = suggest_caveat(topic) if outcome.level is Level.SUGGEST else None
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
    if case is not None and reply_ts:
        engine.store.cases.set_reply_ts(case.id, reply_ts)


def register(app: App, engine: Engine, settings: Settings) -> None:
    @app.shortcut(CALLBACK_ID)
    def on_find_fix(
        ack: Ack, shortcut: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        find_fix(engine, shortcut, client, respond)
