"""The /emailstatus slash command: the ephemeral reply goes back in the ack itself.

Slack shows a message returned in the HTTP response to a slash command to the person
who typed it, exactly like one posted to the command's response_url within its 3
seconds (https://api.slack.com/interactivity/slash-commands, "Responding to
commands"). Every reply here is ready in about a millisecond, so none waits for a
second request: the agent sees the answer sooner, no reply can be lost between the ack
and a later post, and a killed process cannot leave an acked command unanswered.

Slack sends the command text HTML-escaped; ``parse_command`` unescapes it, and every
renderer escapes whatever it echoes back.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.commands import COMMAND
from bot.config import Settings
from bot.conversation import Conversation, Reply, ReplyKind
from bot.engine import Engine
from bot.i18n import ENGLISH
from bot.render.answer import answer_message, picker_message, suggest_caveat
from bot.render.kit import Payload
from bot.render.refs import Ref
from bot.render.replies import (
    help_message,
    no_match_message,
    notice_message,
    unknown_command_message,
)
from bot.render.summary import summary_message
from bot.slack.listeners.common import workspace_of
from bot.slack.listeners.workspace_settings import InstallerOf, installer_from, open_settings
from bot.slack.workspaces import Workspace
from bot.vocabulary import Source, Where

logger = logging.getLogger(__name__)

SETTINGS_WORD = "settings"
SETTINGS_OPENED = "Opened this workspace's settings."
SETTINGS_FAILED = "Sorry, the settings did not open; it is logged. Please try again."
PICKER_INTRO = "Pick the recipient's Outlook to get the Safe Senders steps that fix it."


def command_reply(
    conversation: Conversation, body: dict[str, Any], workspace: Workspace | None = None
) -> Payload:
    workspace = workspace or Workspace.of(body)
    where = Where(
        Source.SLASH, team=workspace.team_id, channel=body.get("channel_id"),
        user=body.get("user_id"), enterprise=workspace.enterprise_id,
    )  # fmt: skip
    return ephemeral_payload(conversation.command(where, str(body.get("text") or "")))


def ephemeral_payload(reply: Reply) -> Payload:
    """A /emailstatus reply, shown to the person who typed it (with a Share button)."""
    answer = reply.answer
    if reply.kind is ReplyKind.PICKER and answer is not None:
        english = answer.language == ENGLISH
        # `/emailstatus` alone: the picker; in another language its translated cause leads.
        intro = None if reply.lookup or not english else PICKER_INTRO
        ref = Ref(answer.article_id, language=None if english else answer.language)
        return picker_message(answer, ref, intro=intro, share=True)
    if reply.kind is ReplyKind.ANSWER and answer is not None:
        ref = Ref(answer.article_id, answer.version, reply.case_id)
        caveat = suggest_caveat(reply.topic) if reply.tentative else None
        return answer_message(answer, ref, share=True, caveat=caveat)
    if reply.kind is ReplyKind.HELP:
        return help_message(reply.usage, share_ref=Ref(reply.article_id or "", kind="help"))
    if reply.kind is ReplyKind.SUMMARY and reply.summary is not None:
        return summary_message(reply.summary)
    if reply.kind is ReplyKind.CAPABILITIES:
        return no_match_message(reply.asked, reply.topic, reply.usage)
    if reply.kind is ReplyKind.UNKNOWN_COMMAND:
        return unknown_command_message(reply.asked, reply.suggestion, COMMAND)
    return notice_message(reply.notice)


FAILED = (
    "Sorry, something went wrong on my side while answering that; it is logged. "
    "Please try again in a moment."
)


def safe_command_reply(
    conversation: Conversation, body: dict[str, Any], workspace: Workspace | None = None
) -> Payload:
    """``command_reply``, or a short apology: an ack must answer even when a reply fails
    (without one Slack shows the agent its own timeout error)."""
    try:
        return command_reply(conversation, body, workspace)
    except Exception:
        logger.exception("%s failed", COMMAND)
        return notice_message(FAILED)


def register(app: App, engine: Engine, settings: Settings) -> None:
    conversation = Conversation(engine, settings)
    installer = installer_from(app)

    @app.command(COMMAND)
    def on_emailstatus(
        ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        workspace = workspace_of(context, body)
        if is_settings(body):
            opened = open_settings_reply(engine, settings, client, body, workspace, installer)
            ack({"response_type": "ephemeral", **opened})
            return
        ack({"response_type": "ephemeral", **safe_command_reply(conversation, body, workspace)})


def is_settings(body: dict[str, Any]) -> bool:
    """``/emailstatus settings``: the workspace's settings modal, not a question."""
    return str(body.get("text") or "").strip().lower() == SETTINGS_WORD


def open_settings_reply(
    engine: Engine,
    settings: Settings,
    client: WebClient,
    body: dict[str, Any],
    workspace: Workspace | None = None,
    installer_of: InstallerOf | None = None,
) -> Payload:
    """Open the modal (before the ack: the trigger_id lasts 3 seconds); say so if it fails."""
    try:
        open_settings(
            engine, settings, client, body, workspace=workspace, installer_of=installer_of
        )
    except Exception:
        logger.exception("%s settings: the modal did not open", COMMAND)
        return notice_message(SETTINGS_FAILED)
    return notice_message(SETTINGS_OPENED)
