"""Answer → Block Kit for a thread reply, an ephemeral reply or a DM: the answer, the
variant picker, the channel suggestion and the customer-ready text.

Every payload carries a plain ``text`` fallback (notifications, screen readers) and
every piece of text that reached us from a person is escaped before it is echoed, so
``<!channel>`` in a question shows as text and never pings anyone. An article without
variants gets no picker and none of 000385822's Outlook words: those come from its YAML.
"""

from __future__ import annotations

from typing import Any

from bot.answers import Answer, source_label
from bot.knowledge import Variant
from bot.render.kit import (
    MAX_SECTION_TEXT,
    Block,
    Button,
    Payload,
    actions,
    button,
    chunks,
    context,
    escape,
    payload,
    section,
    slack_date,
)
from bot.render.metadata import answer_metadata
from bot.render.refs import (
    CASE_ACTIONS_BLOCK_ID,
    CASE_CUSTOMER_TEXT,
    CASE_ESCALATE,
    CASE_RESOLVED,
    CASE_UNRESOLVED,
    PICK_VERSION,
    SHARE,
    STATUS_BLOCK_ID,
    SUGGEST_NO,
    SUGGEST_YES,
    Ref,
    StatusLine,
    picker_block_id,
)
from bot.render.text import answer_text, customer_ready_text, numbered

STATUS_WORDS = {
    "resolved": ("✅", "marked this fixed"),
    "unresolved": ("⚠️", "said it is still not updating"),
    "escalated": ("🙋", "asked a human"),
}


def steps_text(guide: Variant) -> str:
    return f"*Steps for {escape(guide.label)}*\n" + "\n".join(
        escape(line) for line in numbered(guide.steps)
    )


def plain_steps_text(steps: tuple[str, ...]) -> str:
    return "*Steps*\n" + "\n".join(escape(line) for line in numbered(steps))


def points_text(answer: Answer) -> str:
    return "\n".join(f"• {escape(point.text)}" for point in answer.points)


def source_text(answer: Answer) -> str:
    return source_link(answer.source_name, answer.source_url, answer.title)


def source_link(name: str, url: str, title: str) -> str:
    name, shown_title = source_label(name, title)
    shown = escape(name)
    link = f"<{escape(url)}|{shown}>" if url else shown
    return f"Source: {link}" + (f" — {escape(shown_title)}" if shown_title else "")


def see_also_text(answer: Answer) -> str:
    links = [f"<{escape(x.url)}|{escape(x.title)}>" if x.url else escape(x.title)
             for x in answer.links]  # fmt: skip
    return "See also: " + ", ".join(links)


def answer_message(
    answer: Answer,
    ref: Ref,
    *,
    status: StatusLine | None = None,
    caveat: str | None = None,
    share: bool = False,
) -> Payload:
    """The answer for one variant (or the picker when the article has variants to choose)."""
    if answer.needs_version:
        return with_metadata(picker_message(answer, ref, share=share, caveat=caveat), ref)
    blocks: list[Block] = [context(escape(caveat))] if caveat else []
    blocks += answer_body(answer)
    blocks.append(context(source_text(answer)))
    if answer.links and (answer.replaces_fix or not answer.choices):
        blocks.append(context(see_also_text(answer)))
    buttons = answer_buttons(ref, share=share, customer=not answer.replaces_fix)
    if buttons:
        blocks.append(actions(CASE_ACTIONS_BLOCK_ID, buttons))
    if status is not None:
        blocks.append(status_block(status))
    text = answer_text(answer)
    return with_metadata(payload(escape(f"{caveat}\n\n{text}" if caveat else text), blocks), ref)


def with_metadata(message: Payload, ref: Ref) -> Payload:
    """An answer about a case carries its ids as Slack message metadata (other apps read it)."""
    if ref.case_id is None:
        return message
    return {**message, "metadata": answer_metadata(ref.case_id, ref.article_id, ref.version)}


def answer_body(answer: Answer) -> list[Block]:
    if answer.lead is not None:
        # The note is the answer ("this is expected behaviour"): no steps offered as the fix.
        return [section(escape(answer.lead)), section(f"*Why:* {escape(answer.cause)}")]
    blocks = [section(f"*Why:* {escape(answer.cause)}")]
    if answer.other_client is not None:
        return [*blocks, section(escape(answer.other_client_text))]
    if answer.points:
        blocks.append(section(points_text(answer)))
    if answer.is_closest_match:
        blocks.append(section(closest_match_text(answer)))
    if answer.guide is not None:
        blocks.append(section(steps_text(answer.guide)))
    elif answer.steps:
        blocks.append(section(plain_steps_text(answer.steps)))
    elif not answer.points:
        blocks.append(section(f"*Fix:* {escape(answer.fix_summary)}"))
    return blocks + [section(f"*Note:* {escape(note)}") for note in answer.notes]


def closest_match_text(answer: Answer) -> str:
    assert answer.guide is not None and answer.uncovered is not None
    return (
        f"*{escape(answer.uncovered.text)}*, which covers "
        f"{escape(answer.covered_labels)}. Below are the *closest steps*, for "
        f"{escape(answer.guide.label)}: the menus may differ on your client."
    )


def answer_buttons(ref: Ref, *, share: bool = False, customer: bool = True) -> list[Button]:
    value = Ref(ref.article_id, ref.version, ref.case_id).encode()
    buttons = []
    if ref.case_id is not None:
        buttons += [
            button("That fixed it", CASE_RESOLVED, value, style="primary"),
            button("Still not updating", CASE_UNRESOLVED, value),
        ]
    if customer:
        buttons.append(button("Customer-ready steps", CASE_CUSTOMER_TEXT, value))
    if ref.case_id is not None:
        buttons.append(button("Ask a human", CASE_ESCALATE, value))
    if share:
        buttons.append(share_button(Ref(ref.article_id, ref.version, ref.case_id, "answer")))
    return buttons


def share_button(ref: Ref) -> Button:
    return button("Share in channel", SHARE, ref.encode())


def status_block(status: StatusLine) -> Block:
    emoji, words = STATUS_WORDS.get(status.status, ("•", f"marked this {status.status}"))
    line = f"{emoji} <@{escape(status.user)}> {words} {slack_date(status.at)}"
    return context(line, block_id=STATUS_BLOCK_ID)


def picker_message(
    answer: Answer,
    ref: Ref,
    *,
    intro: str | None = None,
    share: bool = False,
    caveat: str | None = None,
) -> Payload:
    """Cause + one button per variant + how to tell which one you have."""
    if not answer.choices:
        return answer_message(answer, ref, share=share, caveat=caveat)
    buttons = [button(guide.label, PICK_VERSION, guide.id) for guide in answer.choices]
    if answer.uncovered is not None:
        buttons.append(button(answer.uncovered.label, PICK_VERSION, "other"))
    if share:
        buttons.append(share_button(Ref(ref.article_id, None, None, "picker")))
    how_to = [f"• {escape(g.how_to_tell)}" for g in answer.choices if g.how_to_tell]
    blocks = [context(escape(caveat))] if caveat else []
    blocks += [
        section(escape(intro) if intro else f"*Why:* {escape(answer.cause)}"),
        section(f"*{escape(answer.variant_question)}* {escape(answer.variant_hint)}"),
        actions(picker_block_id(ref), buttons),
    ]
    if how_to:
        heading = f"*How to tell which {escape(answer.variant_noun)} you have*"
        blocks.append(context(heading + "\n" + "\n".join(how_to)))
    blocks.append(context(source_text(answer)))
    text = f"{intro or answer.cause}\n{answer.variant_question}"
    return payload(escape(f"{caveat}\n\n{text}" if caveat else text), blocks)


def suggestion_message(topic: str, ref: Ref) -> Payload:
    """The one short question the bot asks in channels when it is not sure."""
    question = f"Is this about {topic}?"
    value = ref.encode()
    blocks = [
        section(f"Is this about *{escape(topic)}*?"),
        actions(
            "suggestion",
            [
                button("Yes, show the fix", SUGGEST_YES, value, style="primary"),
                button("No", SUGGEST_NO, value),
            ],
        ),
    ]
    return payload(escape(question), blocks)


def suggest_caveat(topic: str) -> str:
    return f"I think this is about {topic}. If it is not, ignore this reply."


def customer_text_message(answer: Answer) -> Payload:
    """Plain text the agent pastes into an email to the recipient."""
    text = customer_ready_text(answer)
    pieces = chunks(text.split("\n"), MAX_SECTION_TEXT - 10)
    blocks = [section("*Customer-ready steps*: copy this into your email to the recipient.")]
    blocks += [section(f"```{escape(piece)}```") for piece in pieces]
    return payload(escape(text), blocks)


def shared_by_block(user: str) -> dict[str, Any]:
    return context(f"Shared by <@{escape(user)}> with /emailstatus")
