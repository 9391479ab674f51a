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

from slack_bolt import Ack, App

from bot.answers import Lookup, article_lookup
from bot.commands import COMMAND, Command, parse_command, usage_lines
from bot.config import ConfigError, Settings
from bot.engine import Engine, Where
from bot.matching import Level
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
from bot.slack.listeners.common import first_article, topic_of
from bot.store import utc_now
from bot.summary import summary_for

logger = logging.getLogger(__name__)

PICKER_INTRO = "Pick the recipient's Outlook to get the Safe Senders steps that fix it."


def command_reply(engine: Engine, settings: Settings, body: dict[str, Any]) -> Payload:
    command = parse_command(str(body.get("text") or ""))
    lookup = article_lookup(engine.knowledge.articles, command.text)
    if lookup is not None and command.kind in ("question", "unknown"):
        return lookup_reply(engine, lookup)
    article = first_article(engine)
    if command.kind == "picker":
        answer = engine.answer_for(article.id, None, language=command.language)
        intro = PICKER_INTRO if answer.language == "en" else None  # else its cause, translated
        ref = Ref(article.id, language=command.language)
        return picker_message(answer, ref, intro=intro, share=True)
    if command.kind == "help":
        return help_message(usage_lines(), share_ref=Ref(article.id, kind="help"))
    if command.kind == "version":
        # A lookup, not a question: no case is opened, so no feedback buttons.
        answer = engine.answer_for(article.id, command.version, language=command.language)
        ref = Ref(article.id, command.version, language=command.language)
        return answer_message(answer, ref, share=True)
    if command.kind == "summary":
        return summary_reply(engine, settings, command.argument, str(body.get("user_id") or ""))
    if command.kind == "question":
        return question_reply(engine, command, body)
    return unknown_command_message(command.text, command.suggestion, COMMAND)


def lookup_reply(engine: Engine, lookup: Lookup) -> Payload:
    """``/emailstatus <article-alias> [variant]``: a lookup, so no case and no feedback."""
    article = lookup.article
    answer = engine.answer_for(article.id, lookup.variant)
    if answer.needs_version:
        return picker_message(answer, Ref(article.id), share=True)
    return answer_message(answer, Ref(article.id, lookup.variant), share=True)


def question_reply(engine: Engine, command: Command, body: dict[str, Any]) -> Payload:
    where = Where(
        source="slash", team=body.get("team_id"), channel=body.get("channel_id"),
        user=body.get("user_id"),
    )  # fmt: skip
    outcome = engine.ask(command.text, where)
    answer, case = outcome.answer, outcome.case
    if outcome.level is Level.SILENT or answer is None:
        return no_match_message(command.text, topic_of(engine, None), usage_lines())
    ref = Ref(answer.article_id, answer.version, case.id if case else None)
    caveat = suggest_caveat(topic_of(engine, answer.article_id))
    return answer_message(
        answer, ref, share=True, caveat=caveat if outcome.level is Level.SUGGEST else None
    )


def summary_reply(engine: Engine, settings: Settings, argument: str, user_id: str) -> Payload:
    """``/emailstatus summary [last|current|YYYY-Www]``: the weekly summary, for the asker only."""
    try:
        summary = summary_for(engine.store, argument, settings.timezone(), utc_now())
    except (ValueError, ConfigError) as exc:
        return notice_message(str(exc))
    return summary_message(summary)


FAILED = (
    "Sorry, something went wrong on my side while answering that; it is logged. "
    "Please try again in a moment."
)


def safe_command_reply(engine: Engine, settings: Settings, body: dict[str, Any]) -> Payload:
    """``command_reply``, or a short apology: an ack must answer even when a reply fails
    (without one Slack shows the agent its own timeout error)."""
    try:
        return command_reply(engine, settings, body)
    except Exception:
        logger.exception("%s failed", COMMAND)
        return notice_message(FAILED)


def register(app: App, engine: Engine, settings: Settings) -> None:
    @app.command(COMMAND)
    def on_emailstatus(ack: Ack, body: dict[str, Any]) -> None:
        ack({"response_type": "ephemeral", **safe_command_reply(engine, settings, body)})
