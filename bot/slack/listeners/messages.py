"""Channel messages, DMs and @mentions: at most one threaded answer per question.

``message`` and ``app_mention`` both fire for one @mention, with different event ids;
``claim_message(channel, ts)`` lets only the first of them reply. Both handlers work
out the same source (``mention`` when the text names the bot), so whichever arrives
first replies the same way.
"""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.config import Settings
from bot.conversation import Conversation, Reply, ReplyKind
from bot.engine import Engine
from bot.render.blocks import (
    Payload,
    Ref,
    already_answered_message,
    answer_message,
    capabilities_message,
    suggest_caveat,
    suggestion_message,
)
from bot.slack.listeners.common import post_in_thread
from bot.store import database_fault
from bot.vocabulary import Where

# Plain messages, thread replies sent to the channel too, and messages with a file.
ANSWERED_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})


@dataclass(frozen=True)
class Incoming:
    """A person's message the bot may answer."""

    text: str
    channel: str
    ts: str
    thread_ts: str  # where the reply goes: the message's thread, or a new one under it
    user: str
    team: str | None
    source: str  # "channel" | "dm" | "mention"
    event_id: str | None = None  # the inbox row that is owed this reply
    enterprise: str | None = None  # the Enterprise Grid org (an org-wide install)

    @property
    def where(self) -> Where:
        return Where(
            self.source, self.team, self.channel, self.thread_ts, self.user, self.enterprise
        )


def incoming(
    event: dict[str, Any],
    bot_user_id: str | None,
    *,
    team: str | None,
    mention: bool,
    event_id: str | None = None,
    enterprise: str | None = None,
) -> Incoming | None:
    """The message to consider, or None for bots, the bot itself, edits, joins, etc."""
    if event.get("bot_id") or event.get("subtype") not in ANSWERED_SUBTYPES:
        return None
    user, channel, ts = event.get("user"), event.get("channel"), event.get("ts")
    if not user or not channel or not ts or user == bot_user_id:
        return None
    # Slack escapes &, < and >: unescape once here, so the text is stored and matched raw.
    text = html.unescape(event.get("text") or "")
    if event.get("channel_type") == "im":
        source = "dm"
    elif mention or (bot_user_id is not None and f"<@{bot_user_id}>" in text):
        source = "mention"
    else:
        source = "channel"
    thread_ts = event.get("thread_ts") or ts
    team = team or event.get("team")
    return Incoming(text, channel, ts, thread_ts, user, team, source, event_id, enterprise)


class RetrySoon:
    """Acked events whose handling failed on the case log, in this process.

    Their inbox rows stay owed; the owed-reply sweep (``bot.slack.inbox_rerun``) takes them
    up again within seconds, once the database takes writes, instead of waiting for the
    stall timeout meant for replies whose Slack calls ran out of time (minutes).
    """

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._lock = threading.Lock()

    def add(self, event_id: str) -> None:
        with self._lock:
            self._ids.add(event_id)

    def pending(self) -> list[str]:
        with self._lock:
            return sorted(self._ids)

    def forget(self, event_ids: list[str]) -> None:
        with self._lock:
            self._ids.difference_update(event_ids)


RETRY_SOON = RetrySoon()  # one per process: a gunicorn worker's listeners and its sweeper


class MessageReplier:
    """parse → ``Conversation.message`` → render → post → ``posted``; the inbox is transport."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.conversation = Conversation(engine, settings)
        self.inbox = engine.store.inbox

    def handle(self, message: Incoming, client: WebClient) -> None:
        """Reply once per post, then mark the event's inbox row done (nothing owed)."""
        try:
            self.reply(message, client)
            if message.event_id:
                self.inbox.done(message.event_id)
        except Exception as exc:
            if message.event_id and database_fault(exc):
                RETRY_SOON.add(message.event_id)  # still owed: tried again in seconds
            raise

    def reply(self, message: Incoming, client: WebClient) -> None:
        if not self.take(message):
            return  # the other event for this post (message / app_mention) got here first
        reply = self.conversation.message(message.where, message.text)
        payload = thread_payload(reply)
        if payload is None:
            return
        reply_ts = self.post(message, client, payload)
        if reply.opened:
            self.conversation.posted(reply.case_id, reply_ts)

    def take(self, message: Incoming) -> bool:
        """Claim the post; a re-run of the event that claimed it before a crash goes on too."""
        if self.inbox.claim_message(message.channel, message.ts, message.event_id):
            return True
        owner = self.inbox.message_claimed_by(message.channel, message.ts)
        return message.event_id is not None and owner == message.event_id

    def post(self, message: Incoming, client: WebClient, payload: Payload) -> str:
        """Post in the thread; the inbox notes it first, so a re-run knows a reply may be out."""
        if message.event_id:
            self.inbox.posting(message.event_id)
        return post_in_thread(client, message.channel, message.thread_ts, payload)


def thread_payload(reply: Reply) -> Payload | None:
    """A message's reply in its thread (None: stay silent)."""
    if reply.kind is ReplyKind.CAPABILITIES:
        return capabilities_message(reply.topic, reply.variant_noun)
    if reply.kind is ReplyKind.ALREADY_ANSWERED:
        return already_answered_message()
    if reply.answer is None:
        return None
    ref = Ref(reply.answer.article_id, reply.answer.version, reply.case_id)
    if reply.kind is ReplyKind.SUGGESTION:
        return suggestion_message(reply.topic, ref)
    caveat = suggest_caveat(reply.topic) if reply.tentative else None
    return answer_message(reply.answer, ref, caveat=caveat)


def register(app: App, engine: Engine, settings: Settings) -> None:
    replier = MessageReplier(engine, settings)

    def handle(
        body: dict[str, Any], context: BoltContext, client: WebClient, mention: bool
    ) -> None:
        message = incoming(
            body["event"], context.bot_user_id, team=context.team_id, mention=mention,
            event_id=body.get("event_id"), enterprise=context.enterprise_id,
        )  # fmt: skip
        if message is not None:
            replier.handle(message, client)

    # One listener for every message subtype: those we ignore are still acked (no 404).
    @app.event("message")
    def on_message(body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        handle(body, context, client, mention=False)

    @app.event("app_mention")
    def on_mention(body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        handle(body, context, client, mention=True)
