"""Answer → Slack Block Kit: pure functions that return ``{"text": ..., "blocks": [...]}``.

Every payload carries a plain ``text`` fallback (notifications, screen readers) and
every piece of text that reached us from a person is escaped before it is echoed, so
``<!channel>`` in a question shows as text and never pings anyone.

Buttons carry what their handler needs in their ``value`` (a small JSON ``Ref``), so a
click can be handled by any process, after any restart, without server-side state.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import (
    DividerBlock,
    HeaderBlock,
)

from bot.answers import Answer
from bot.knowledge import Article, VersionGuide
from bot.render.metadata import answer_metadata
from bot.render.text import answer_text, customer_ready_text, numbered

Payload = dict[str, Any]

# action ids: the contract between these renderers and bot/slack/listeners/actions.py
PICK_VERSION = "pick_version"
CASE_RESOLVED = "case_resolved"
CASE_UNRESOLVED = "case_unresolved"
CASE_CUSTOMER_TEXT = "case_customer_text"
CASE_ESCALATE = "case_escalate"
SUGGEST_YES = "suggest_yes"
SUGGEST_NO = "suggest_no"
SHARE = "share_in_channel"

STATUS_BLOCK_ID = "case_status"
CASE_ACTIONS_BLOCK_ID = "case_actions"
PICKER_BLOCK_PREFIX = "pick_version"
OTHER_VERSION_LABEL = "Mac, web, new Outlook or mobile"

# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks)
MAX_MESSAGE_BLOCKS = 50
MAX_HOME_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_CONTEXT_TEXT = 2000
MAX_QUOTE_CHARS = 500


# -- escaping -------------------------------------------------------------------------


def escape(text: str) -> str:
    """Make raw text safe inside mrkdwn: only &, < and > are control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def echo(slack_text: str) -> str:
    """Escape text as Slack delivered it (already &-escaped, with live <!channel> tokens).

    Unescaping first avoids showing ``&amp;amp;``; escaping again defuses every token.
    """
    return escape(html.unescape(slack_text))


def channel_ref(channel: str) -> str:
    """``<#C123>`` for a channel id (Slack shows its name); ``#name`` for a configured name."""
    if re.fullmatch(r"[CG][A-Z0-9]{6,}", channel):
        return f"<#{channel}>"
    return escape("#" + channel.lstrip("#"))


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# -- what a button carries ----------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """The case, article and version a message is about; encoded into button values."""

    article_id: str
    version: str | None = None
    case_id: int | None = None
    kind: str = "answer"  # for Share: "answer" | "picker" | "help"

    def encode(self) -> str:
        kind = self.kind if self.kind != "answer" else None
        data = {"a": self.article_id, "v": self.version, "c": self.case_id, "k": kind}
        return json.dumps({k: v for k, v in data.items() if v is not None}, separators=(",", ":"))

    @classmethod
    def decode(cls, value: str) -> Ref:
        data = json.loads(value)
        case_id = data.get("c")
        return cls(
            article_id=str(data["a"]),
            version=data.get("v"),
            case_id=int(case_id) if case_id is not None else None,
            kind=str(data.get("k", "answer")),
        )


def picker_block_id(ref: Ref) -> str:
    """The picker's value is the bare version id, so the case rides in the block_id."""
    return (
        f"{PICKER_BLOCK_PREFIX}|{ref.case_id if ref.case_id is not None else '-'}|{ref.article_id}"
    )


def ref_from_picker_block_id(block_id: str) -> Ref:
    _, case, article_id = block_id.split("|", 2)
    return Ref(article_id=article_id, case_id=None if case == "-" else int(case))


@dataclass(frozen=True)
class Status:
    """Who last marked a case, shown under the buttons."""

    status: str  # resolved | unresolved | escalated
    user: str
    at: datetime


STATUS_WORDS = {
    "resolved": ("✅", "marked this fixed"),
    "unresolved": ("⚠️", "said it is still not updating"),
    "escalated": ("🙋", "asked a human"),
}


# -- small builders ---------------------------------------------------------------------


# Plain dicts in the exact shape slack_sdk's models produce: building through the models
# validates on every call and was the largest CPU cost of a reply. The tests round-trip
# every payload through ``Block.parse(...).to_dict()`` and check Slack's limits instead.
Button = dict[str, Any]


def _mrkdwn(text: str, limit: int) -> dict[str, Any]:
    return {"text": shorten(text, limit), "type": "mrkdwn"}


def _with_block_id(block: dict[str, Any], block_id: str | None) -> dict[str, Any]:
    return {"block_id": block_id, **block} if block_id is not None else block


def _section(text: str, block_id: str | None = None) -> dict[str, Any]:
    return _with_block_id({"text": _mrkdwn(text, MAX_SECTION_TEXT), "type": "section"}, block_id)


def _context(*texts: str, block_id: str | None = None) -> dict[str, Any]:
    elements = [_mrkdwn(t, MAX_CONTEXT_TEXT) for t in texts]
    return _with_block_id({"elements": elements, "type": "context"}, block_id)


def _button(text: str, action_id: str, value: str, style: str | None = None) -> Button:
    button: Button = {
        "action_id": action_id,
        "text": {"emoji": True, "text": text, "type": "plain_text"},
        "type": "button",
        "value": value,
    }
    return {**button, "style": style} if style else button


def _actions(block_id: str, buttons: Sequence[Button]) -> dict[str, Any]:
    return {"block_id": block_id, "elements": list(buttons), "type": "actions"}


def _payload(text: str, blocks: Iterable[dict[str, Any]]) -> Payload:
    return {"text": shorten(text, 3000) or "emailstatus-bot", "blocks": list(blocks)}


def slack_date(moment: datetime) -> str:
    """A date Slack shows in the reader's time zone, with a UTC fallback."""
    fallback = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def steps_text(guide: VersionGuide) -> str:
    return f"*Steps for {escape(guide.label)}*\n" + "\n".join(
        escape(line) for line in numbered(guide.steps)
    )


def source_text(answer: Answer) -> str:
    name = escape(answer.source_name)
    link = f"<{escape(answer.source_url)}|{name}>" if answer.source_url else name
    return f"Source: {link} — {escape(answer.title)}"


# -- answers ----------------------------------------------------------------------------


def answer_message(
    answer: Answer,
    ref: Ref,
    *,
    status: Status | None = None,
    caveat: str | None = None,
    share: bool = False,
) -> Payload:
    """The answer for one version (or the version picker when the version is unknown)."""
    if answer.guide is None:
        return with_metadata(picker_message(answer, ref, share=share, caveat=caveat), ref)
    blocks: list[dict[str, Any]] = []
    if caveat:
        blocks.append(_context(escape(caveat)))
    blocks.append(_section(f"*Why:* {escape(answer.cause)}"))
    if answer.is_closest_match:
        blocks.append(_section(closest_match_text(answer)))
    blocks.append(_section(steps_text(answer.guide)))
    blocks += [_section(f"*Note:* {escape(note)}") for note in answer.notes]
    blocks.append(_context(source_text(answer)))
    blocks.append(_actions(CASE_ACTIONS_BLOCK_ID, answer_buttons(ref, share=share)))
    if status is not None:
        blocks.append(status_block(status))
    text = answer_text(answer)
    return with_metadata(_payload(escape(f"{caveat}\n\n{text}" if caveat else text), blocks), ref)


def with_metadata(payload: Payload, ref: Ref) -> Payload:
    """An answer about a case carries its ids as Slack message metadata (other apps read it)."""
    if ref.case_id is None:
        return payload
    return {**payload, "metadata": answer_metadata(ref.case_id, ref.article_id, ref.version)}


def closest_match_text(answer: Answer) -> str:
    assert answer.guide is not None
    return (
        f"*This Outlook is not covered by the article*, which covers "
        f"{escape(answer.covered_labels)}. Below are the *closest steps*, for "
        f"{escape(answer.guide.label)}: the menus may differ on your client."
    )


def answer_buttons(ref: Ref, *, share: bool = False) -> list[Button]:
    value = Ref(ref.article_id, ref.version, ref.case_id).encode()
    buttons = []
    if ref.case_id is not None:
        buttons += [
            _button("That fixed it", CASE_RESOLVED, value, style="primary"),
            _button("Still not updating", CASE_UNRESOLVED, value),
        ]
    buttons.append(_button("Customer-ready steps", CASE_CUSTOMER_TEXT, value))
    if ref.case_id is not None:
        buttons.append(_button("Ask a human", CASE_ESCALATE, value))
    if share:
        buttons.append(share_button(Ref(ref.article_id, ref.version, ref.case_id, "answer")))
    return buttons


def share_button(ref: Ref) -> Button:
    return _button("Share in channel", SHARE, ref.encode())


def status_block(status: Status) -> dict[str, Any]:
    emoji, words = STATUS_WORDS.get(status.status, ("•", f"marked this {status.status}"))
    line = f"{emoji} <@{escape(status.user)}> {words} {slack_date(status.at)}"
    return _context(line, block_id=STATUS_BLOCK_ID)


def picker_message(
    answer: Answer,
    ref: Ref,
    *,
    intro: str | None = None,
    share: bool = False,
    caveat: str | None = None,
) -> Payload:
    """Cause + one button per covered version + how to tell which Outlook you have."""
    buttons = [
        _button(shorten(guide.label, 75), PICK_VERSION, guide.id) for guide in answer.choices
    ]
    buttons.append(_button(OTHER_VERSION_LABEL, PICK_VERSION, "other"))
    if share:
        buttons.append(share_button(Ref(ref.article_id, None, None, "picker")))
    how_to = [f"• {escape(g.how_to_tell)}" for g in answer.choices if g.how_to_tell]
    blocks = [_context(escape(caveat))] if caveat else []
    blocks += [
        _section(escape(intro) if intro else f"*Why:* {escape(answer.cause)}"),
        _section("*Which Outlook does the recipient use?* The steps differ by version."),
        _actions(picker_block_id(ref), buttons),
    ]
    if how_to:
        blocks.append(_context("*How to tell which Outlook you have*\n" + "\n".join(how_to)))
    blocks.append(_context(source_text(answer)))
    text = f"{intro or answer.cause}\nWhich Outlook does the recipient use?"
    return _payload(escape(f"{caveat}\n\n{text}" if caveat else text), blocks)


def suggestion_message(topic: str, ref: Ref) -> Payload:
    """The one short question the bot asks in channels when it is not sure."""
    question = f"Is this about {topic}?"
    value = ref.encode()
    blocks = [
        _section(f"Is this about *{escape(topic)}*?"),
        _actions(
            "suggestion",
            [
                _button("Yes, show the fix", SUGGEST_YES, value, style="primary"),
                _button("No", SUGGEST_NO, value),
            ],
        ),
    ]
    return _payload(escape(question), blocks)


def suggest_caveat(topic: str) -> str:
    return f"I think this is about {topic}. If it is not, ignore this reply."


def customer_text_message(answer: Answer) -> Payload:
    """Plain text the agent pastes into an email to the recipient."""
    text = customer_ready_text(answer)
    chunks = _chunks(text.split("\n"), MAX_SECTION_TEXT - 10)
    blocks = [_section("*Customer-ready steps*: copy this into your email to the recipient.")]
    blocks += [_section(f"```{escape(chunk)}```") for chunk in chunks]
    return _payload(escape(text), blocks)


def _chunks(lines: list[str], limit: int) -> list[str]:
    """Join lines into pieces that each fit in a section once escaped."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if current and len(escape(candidate)) > limit:
            chunks.append(current)
            candidate = line
        current = candidate
    return [*chunks, current] if current else chunks


# -- other replies ------------------------------------------------------------------------


def capabilities_message(topic: str, command: str = "/emailstatus") -> Payload:
    """The short 'what I can help with' reply for DMs and @mentions the bot can't match."""
    text = (
        f"I can help with one thing: *{escape(topic)}*. Tell me what you see and which "
        f"Outlook the recipient uses, e.g. “Times Opened stays at 0 for Outlook 2016 users”."
    )
    hint = f"Or try `{command}` for the steps by version, and `{command} help`."
    return _payload(
        f"I can help with {escape(topic)}. Try {command} help.",
        [_section(text), _context(hint)],
    )


def already_answered_message() -> Payload:
    text = (
        "I answered this thread above. If the recipient uses another Outlook, say which "
        "(e.g. “we're on 2010”) and I'll post those steps."
    )
    return _payload(text, [_section(text)])


def help_message(usage: Sequence[str], *, share_ref: Ref | None = None) -> Payload:
    lines = "\n".join(f"• {escape(line)}" for line in usage)
    blocks = [_section(f"*How to use /emailstatus*\n{lines}")]
    blocks.append(
        _context(
            "Anywhere: @mention me with a question, DM me, or use the message shortcut "
            "*Find email-status fix* on any message, thread replies included."
        )
    )
    if share_ref is not None:
        blocks.append(_actions("share", [share_button(share_ref)]))
    return _payload(escape("\n".join(usage)), blocks)


def unknown_command_message(text: str, suggestion: str | None, command: str) -> Payload:
    """``text`` is raw (already unescaped by parse_command); escape it to echo it."""
    hint = f" Did you mean `{command} {escape(suggestion)}`?" if suggestion else ""
    line = f"I don't know `{escape(shorten(text, 200))}`.{hint}"
    blocks = [_section(line), _context(f"`{command} help` lists everything I can do.")]
    return _payload(line, blocks)


def no_match_message(text: str, topic: str, usage: Sequence[str]) -> Payload:
    line = (
        f"I couldn't match “{escape(shorten(text, 200))}” to what I know about: *{escape(topic)}*."
    )
    lines = "\n".join(f"• {escape(u)}" for u in usage)
    return _payload(line, [_section(line), _section(f"*What I can do*\n{lines}")])


def not_matched_shortcut_message(topic: str) -> Payload:
    line = f"I couldn't find a fix for that message. I only know about *{escape(topic)}*."
    return _payload(line, [_section(line)])


def shared_by_block(user: str) -> dict[str, Any]:
    return _context(f"Shared by <@{escape(user)}> with /emailstatus")


def escalation_sent_message(case_id: int, channel: str) -> Payload:
    line = f"Thanks: I posted case #{case_id} to {channel_ref(channel)} for a human to pick up."
    return _payload(f"Posted case #{case_id} for a human.", [_section(line)])


def no_escalation_channel_message(case_id: int) -> Payload:
    line = (
        "No escalation channel is set up for this bot (ESCALATION_CHANNEL), so I can't hand "
        f"this over. Please ask your team's support lead directly and quote case #{case_id}."
    )
    return _payload(line, [_section(line)])


def notice_message(text: str) -> Payload:
    """One escaped line, for short confirmations and errors shown to one person."""
    return _payload(escape(text), [_section(escape(text))])


def escalation_message(
    *,
    case_id: int,
    clicker: str,
    channel: str | None,
    permalink: str | None,
    question: str | None,
    version_label: str,
) -> Payload:
    """The post in the escalation channel. ``question`` is as Slack delivered it."""
    where = f"<{escape(permalink)}|Open the thread>" if permalink else "No link available"
    if channel:
        where += f" in {channel_ref(channel)}"
    lines = [
        f"🙋 *Case #{case_id} needs a human*: <@{escape(clicker)}> asked for help.",
        where,
        f"Outlook: {escape(version_label)}",
    ]
    blocks = [_section("\n".join(lines))]
    if question:
        blocks.append(
            _section("> " + echo(shorten(question, MAX_QUOTE_CHARS)).replace("\n", "\n> "))
        )
    text = f"Case #{case_id} needs a human: {permalink or 'no link'}"
    return _payload(escape(text), blocks)


# -- App Home -------------------------------------------------------------------------------


def home_view(
    articles: Sequence[Article], extra_blocks: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    """The Home tab: how to use the bot, then each article's steps by version."""
    blocks: list[dict[str, Any]] = [
        HeaderBlock(text="Email Status helper").to_dict(),
        _section(
            "*How to use me*\n"
            "• Ask in a channel I'm in: I answer questions about HTML Email Status not "
            "updating in Outlook, in the thread.\n"
            "• @mention me or DM me with a question.\n"
            "• `/emailstatus 2010` gives the steps for one Outlook version; "
            "`/emailstatus help` lists everything.\n"
            "• On any message, thread replies too: *More actions* (⋮) → "
            "*Find email-status fix*."
        ),
    ]
    for article in articles:
        blocks += article_reference_blocks(article)
    blocks += list(extra_blocks)
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}


def article_reference_blocks(article: Article) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        DividerBlock().to_dict(),
        HeaderBlock(text=shorten(article.topic, 150)).to_dict(),
        _section(f"*Why:* {escape(article.cause)}\n*Fix:* {escape(article.fix_summary)}"),
    ]
    for guide in article.versions:
        blocks.append(_section(steps_text(guide)))
        if guide.how_to_tell:
            blocks.append(_context(f"How to tell: {escape(guide.how_to_tell)}"))
    name = escape(article.source_name)
    link = f"<{escape(article.source_url)}|{name}>" if article.source_url else name
    blocks.append(_context(f"Source: {link} — {escape(article.title)}"))
    return blocks
