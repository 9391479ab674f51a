"""Channel messages, DMs and @mentions: at most one threaded answer per question.

``message`` and ``app_mention`` both fire for one @mention, with different event ids;
``claim_message(channel, ts)`` lets only the first of them reply. Both handlers work
out the same source (``mention`` when the text names the bot), so whichever arrives
first replies the same way.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.config import Settings
from bot.engine import Engine, Outcome, Where
from bot.matching import Level
from bot.render.blocks import (
    Payload,
    Ref,
    already_answered_message,
    answer_message,
    capabilities_message,
    suggest_caveat,
    suggestion_message,
)
from bot.slack.listeners.common import post_in_thread, topic_of
from bot.store import Action, Case
from bot.versions import follow_up_version

# Plain messages, thread replies sent to the channel too, and messages with a file.
ANSWERED_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})
DIRECT = frozenset({"dm", "mention"})


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

    @property
    def where(self) -> Where:
        return Where(self.source, self.team, self.channel, self.thread_ts, self.user)


def incoming(
    event: dict[str, Any],
    bot_user_id: str | None,
    *,
    team: str | None,
    mention: bool,
    event_id: str | None = None,
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
    return Incoming(text, channel, ts, thread_ts, user, team, source, event_id)


class MessageReplier:
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings

    def handle(self, message: Incoming, client: WebClient) -> None:
        """Reply once per post, then mark the event's inbox row done (nothing owed)."""
        self.reply(message, client)
        if message.event_id:
            self.engine.store.inbox.done(message.event_id)

    def reply(self, message: Incoming, client: WebClient) -> None:
        if not self.take(message):
            return  # the other event for this post (message / app_mention) got here first
        case = self.engine.store.cases.for_thread(message.channel, message.thread_ts)
        if case is not None:
            self.follow_up(message, case, client)
            return
        if self.quiet_suggestion(message):
            return
        outcome = self.engine.ask(message.text, message.where)
        payload = self.reply_for(outcome, message)
        if payload is None:
            return
        reply_ts = self.post(message, client, payload)
        if outcome.case is not None and reply_ts:
            self.engine.store.cases.set_reply_ts(outcome.case.id, reply_ts)

    def take(self, message: Incoming) -> bool:
        """Claim the post; a re-run of the event that claimed it before a crash goes on too."""
        inbox = self.engine.store.inbox
        if inbox.claim_message(message.channel, message.ts, message.event_id):
            return True
        owner = inbox.message_claimed_by(message.channel, message.ts)
        return message.event_id is not None and owner == message.event_id

    def post(self, message: Incoming, client: WebClient, payload: Payload) -> str:
        """Post in the thread; the inbox notes it first, so a re-run knows a reply may be out."""
        if message.event_id:
            self.engine.store.inbox.posting(message.event_id)
        return post_in_thread(client, message.channel, message.thread_ts, payload)

    def quiet_suggestion(self, message: Incoming) -> bool:
        """True when suggestions are off here and this message would only get one.

        Checked before ``ask`` so that no case is opened for a reply we never send.
        """
        if message.source != "channel" or self.suggestions_allowed(message.channel):
            return False
        return self.engine.matcher.match(message.text).level is Level.SUGGEST

    def suggestions_allowed(self, channel: str) -> bool:
        return (
            self.settings.suggestions_enabled
            and channel not in self.settings.suggestions_off_channels
        )

    def reply_for(self, outcome: Outcome, message: Incoming) -> Payload | None:
        answer, case = outcome.answer, outcome.case
        if outcome.level is Level.SILENT or answer is None:
            topic = topic_of(self.engine, None)
            return capabilities_message(topic) if message.source in DIRECT else None
        ref = Ref(answer.article_id, answer.version, case.id if case else None)
        topic = topic_of(self.engine, answer.article_id)
        if outcome.level is Level.SUGGEST:
            if message.source == "channel":
                return suggestion_message(topic, ref)
            # Spoken to directly: a yes/no round trip would only slow the asker down.
            return answer_message(answer, ref, caveat=suggest_caveat(topic))
        return answer_message(answer, ref)

    def follow_up(self, message: Incoming, case: Case, client: WebClient) -> None:
        """One answer per thread, except a follow-up naming another Outlook version."""
        if self.rejected(case):
            return
        version = follow_up_version(message.text)
        if version is not None and version != case.version:
            answer = self.engine.choose_version(case, version, message.user)
            self.post(
                message, client, answer_message(answer, Ref(answer.article_id, version, case.id))
            )
        elif message.source in DIRECT:
            self.post(message, client, already_answered_message())

    def rejected(self, case: Case) -> bool:
        """Someone said 'No' to the suggestion in this thread: stay out of it."""
        return self.engine.store.cases.has_click(case.id, Action.SUGGESTION_REJECTED)


def register(app: App, engine: Engine, settings: Settings) -> None:
    replier = MessageReplier(engine, settings)

    # One listener for every message subtype: those we ignore are still acked (no 404).
    @app.event("message")
    def on_message(body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        message = incoming(
            body["event"], context.bot_user_id, team=context.team_id, mention=False,
            event_id=body.get("event_id"),
        )  # fmt: skip
        if message is not None:
            replier.handle(message, client)

    @app.event("app_mention")
    def on_mention(body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        message = incoming(
            body["event"], context.bot_user_id, team=context.team_id, mention=True,
            event_id=body.get("event_id"),
        )  # fmt: skip
        if message is not None:
            replier.handle(message, client)
