"""Short replies that are not answers: help, capabilities, unknown commands, misses,
escalations and one-line notices. Text from people is raw here and escaped once.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.render.answer import share_button
from bot.render.kit import (
    MAX_QUOTE_CHARS,
    Payload,
    actions,
    channel_ref,
    context,
    escape,
    payload,
    section,
    shorten,
)
from bot.render.refs import Ref


def capabilities_message(
    topic: str, variant_noun: str | None = None, command: str = "/emailstatus"
) -> Payload:
    """The short 'what I can help with' reply for DMs and @mentions the bot can't match.

    ``variant_noun`` ("Outlook"): the main article's variants, if it has any.
    """
    text = f"I can help with one thing: *{escape(topic)}*. Tell me what you see"
    if variant_noun:
        text += f" and which {escape(variant_noun)} the recipient uses"
        hint = f"Or try `{command}` for the steps by {escape(variant_noun)}, and `{command} help`."
    else:
        hint = f"Or try `{command} help`."
    text += "."
    return payload(
        f"I can help with {escape(topic)}. Try {command} help.",
        [section(text), context(hint)],
    )


def already_answered_message() -> Payload:
    text = (
        "I answered this thread above. If the recipient uses another Outlook, say which "
        "(e.g. “we're on 2010”) and I'll post those steps."
    )
    return payload(text, [section(text)])


def help_message(usage: Sequence[str], *, share_ref: Ref | None = None) -> Payload:
    lines = "\n".join(f"• {escape(line)}" for line in usage)
    blocks = [section(f"*How to use /emailstatus*\n{lines}")]
    blocks.append(
        context(
            "Anywhere: @mention me with a question, DM me, or use the message shortcut "
            "*Find email-status fix* on any message, thread replies included."
        )
    )
    if share_ref is not None:
        blocks.append(actions("share", [share_button(share_ref)]))
    return payload(escape("\n".join(usage)), blocks)


def unknown_command_message(text: str, suggestion: str | None, command: str) -> Payload:
    """``text`` is raw (already unescaped by parse_command); escape it to echo it."""
    hint = f" Did you mean `{command} {escape(suggestion)}`?" if suggestion else ""
    line = f"I don't know `{escape(shorten(text, 200))}`.{hint}"
    blocks = [section(line), context(f"`{command} help` lists everything I can do.")]
    return payload(line, blocks)


def no_match_message(text: str, topic: str, usage: Sequence[str]) -> Payload:
    line = (
        f"I couldn't match “{escape(shorten(text, 200))}” to what I know about: *{escape(topic)}*."
    )
    lines = "\n".join(f"• {escape(u)}" for u in usage)
    return payload(line, [section(line), section(f"*What I can do*\n{lines}")])


def not_matched_shortcut_message(topic: str) -> Payload:
    line = f"I couldn't find a fix for that message. I only know about *{escape(topic)}*."
    return payload(line, [section(line)])


def escalation_sent_message(case_id: int, channel: str) -> Payload:
    line = f"Thanks: I posted case #{case_id} to {channel_ref(channel)} for a human to pick up."
    return payload(f"Posted case #{case_id} for a human.", [section(line)])


def no_escalation_channel_message(case_id: int) -> Payload:
    line = (
        "No escalation channel is set up for this bot (ESCALATION_CHANNEL), so I can't hand "
        f"this over. Please ask your team's support lead directly and quote case #{case_id}."
    )
    return payload(line, [section(line)])


def notice_message(text: str) -> Payload:
    """One escaped line, for short confirmations and errors shown to one person."""
    return payload(escape(text), [section(escape(text))])


def escalation_message(
    *,
    case_id: int,
    clicker: str,
    channel: str | None,
    permalink: str | None,
    question: str | None,
    version_label: str,
) -> Payload:
    """The post in the escalation channel. ``question`` is raw (stored unescaped)."""
    where = f"<{escape(permalink)}|Open the thread>" if permalink else "No link available"
    if channel:
        where += f" in {channel_ref(channel)}"
    lines = [
        f"🙋 *Case #{case_id} needs a human*: <@{escape(clicker)}> asked for help.",
        where,
        f"Outlook: {escape(version_label)}",
    ]
    blocks = [section("\n".join(lines))]
    if question:
        blocks.append(
            section("> " + escape(shorten(question, MAX_QUOTE_CHARS)).replace("\n", "\n> "))
        )
    text = f"Case #{case_id} needs a human: {permalink or 'no link'}"
    return payload(escape(text), blocks)
