"""Answer → Block Kit for a thread reply, an ephemeral reply or a DM: the answer, the
variant picker, the channel suggestion and the customer-ready text.

Every payload carries a plain ``text`` fallback (notifications, screen readers) and
every piece of text that reached us from a person is escaped before it is echoed, so
``<!channel>`` in a question shows as text and never pings anyone. An article without
variants gets no picker and none of 000385822's Outlook words: those come from its YAML.

Every heading and button reads the answer's language (``bot.i18n.phrase``); an English
answer is what it always was. A translated answer adds a row of language buttons and
"Original steps (English)", and bolds Outlook's own menu names in its steps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.answers import Answer, source_label
from bot.i18n import ENGLISH, language_name, phrase, ui_names
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
    CUSTOMER_TEXT_IN,
    LANGUAGE_BLOCK_ID,
    ORIGINAL_STEPS,
    PICK_LANGUAGE,
    PICK_VERSION,
    SHARE,
    STATUS_BLOCK_ID,
    SUGGEST_NO,
    SUGGEST_YES,
    Ref,
    StatusLine,
    language_action_id,
    picker_block_id,
)
from bot.render.text import answer_text, customer_ready_text, numbered

STATUS_WORDS = {
    "resolved": ("✅", "confirm_resolved"),
    "unresolved": ("⚠️", "confirm_unresolved"),
    "escalated": ("🙋", "confirm_escalated"),
}


def steps_text(guide: Variant, language: str = ENGLISH) -> str:
    heading = phrase(language, "steps_for", label=escape(guide.label))
    return f"*{heading}*\n" + "\n".join(_numbered_bold(guide.steps))


def plain_steps_text(steps: tuple[str, ...], language: str = ENGLISH) -> str:
    return f"*{phrase(language, 'steps')}*\n" + "\n".join(_numbered_bold(steps))


def _numbered_bold(steps: tuple[str, ...]) -> list[str]:
    """Numbered steps, escaped, with Outlook's own ``[menu names]`` in bold."""
    return [f"{n}. {ui_names(escape(step), '*')}" for n, step in enumerate(steps, start=1)]


def points_text(answer: Answer) -> str:
    return "\n".join(f"• {escape(point.text)}" for point in answer.points)


def source_text(answer: Answer) -> str:
    return source_link(answer.source_name, answer.source_url, answer.title, answer.language)


def source_link(name: str, url: str, title: str, language: str = ENGLISH) -> str:
    name, shown_title = source_label(name, title)
    shown = escape(name)
    link = f"<{escape(url)}|{shown}>" if url else shown
    after = f" — {escape(shown_title)}" if shown_title else ""
    return f"{phrase(language, 'source')} {link}{after}"


def see_also_text(answer: Answer) -> str:
    links = [f"<{escape(x.url)}|{escape(x.title)}>" if x.url else escape(x.title)
             for x in answer.links]  # fmt: skip
    return f"{phrase(answer.language, 'see_also')} " + ", ".join(links)


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
    ref = _with_language(ref, answer)
    buttons = answer_buttons(ref, share=share, customer=not answer.replaces_fix,
                             language=answer.language)  # fmt: skip
    if buttons:
        blocks.append(actions(CASE_ACTIONS_BLOCK_ID, buttons))
    blocks += language_blocks(answer, ref)
    if status is not None:
        blocks.append(status_block(status, answer.language))
    text = answer_text(answer)
    return with_metadata(payload(escape(f"{caveat}\n\n{text}" if caveat else text), blocks), ref)


def with_metadata(message: Payload, ref: Ref) -> Payload:
    """An answer about a case carries its ids as Slack message metadata (other apps read it)."""
    if ref.case_id is None:
        return message
    return {**message, "metadata": answer_metadata(ref.case_id, ref.article_id, ref.version)}


def answer_body(answer: Answer) -> list[Block]:
    why = f"*{phrase(answer.language, 'why')}* {escape(answer.cause)}"
    if answer.lead is not None:
        # The note is the answer ("this is expected behaviour"): no steps offered as the fix.
        return [section(escape(answer.lead)), section(why)]
    blocks = [section(why)]
    if answer.other_client is not None:
        return [*blocks, section(escape(answer.other_client_text))]
    if answer.points:
        blocks.append(section(points_text(answer)))
    if answer.is_closest_match:
        blocks.append(section(closest_match_text(answer)))
    if answer.guide is not None:
        blocks.append(section(steps_text(answer.guide, answer.language)))
    elif answer.steps:
        blocks.append(section(plain_steps_text(answer.steps, answer.language)))
    elif not answer.points:
        fix = phrase(answer.language, "fix")
        blocks.append(section(f"*{fix}* {escape(answer.fix_summary)}"))
    if answer.english_menus:
        blocks.append(context(escape(phrase(answer.language, "menu_names_english"))))
    note = phrase(answer.language, "note")
    return blocks + [section(f"*{note}* {escape(text)}") for text in answer.notes]


def closest_match_text(answer: Answer) -> str:
    assert answer.guide is not None and answer.uncovered is not None
    return phrase(
        answer.language,
        "closest_match_blocks",
        uncovered=escape(answer.uncovered.text),
        covered=escape(answer.covered_labels),
        label=escape(answer.guide.label),
    )


def answer_buttons(
    ref: Ref, *, share: bool = False, customer: bool = True, language: str = ENGLISH
) -> list[Button]:
    value = Ref(ref.article_id, ref.version, ref.case_id, language=ref.language).encode()
    say = _phrases(language)
    buttons = []
    if ref.case_id is not None:
        buttons += [
            button(say("button_fixed"), CASE_RESOLVED, value, style="primary"),
            button(say("button_not_fixed"), CASE_UNRESOLVED, value),
        ]
    if customer:
        buttons.append(button(say("button_customer_text"), CASE_CUSTOMER_TEXT, value))
    if ref.case_id is not None:
        buttons.append(button(say("button_human"), CASE_ESCALATE, value))
    if share:
        shared = Ref(ref.article_id, ref.version, ref.case_id, "answer", ref.language)
        buttons.append(share_button(shared, language))
    return buttons


def _phrases(language: str) -> Callable[[str], str]:
    return lambda key: phrase(language, key)


def _with_language(ref: Ref, answer: Answer) -> Ref:
    """Buttons keep a translated answer's language, so a click re-renders it the same."""
    if ref.language is not None or answer.language == ENGLISH:
        return ref
    return Ref(ref.article_id, ref.version, ref.case_id, ref.kind, answer.language)


def language_blocks(answer: Answer, ref: Ref) -> list[Block]:
    """Under a translated answer: the English steps one click away, and the other languages.

    An English answer gets none of this, so it reads exactly as it always has.
    """
    if answer.language == ENGLISH and ref.language is None:
        return []
    buttons = []
    original_guide = answer.original_guide
    if (original_guide is not None and answer.guide is not None
            and original_guide.steps != answer.guide.steps):  # fmt: skip
        original = Ref(ref.article_id, answer.guide.id, ref.case_id, language=ENGLISH)
        label = phrase(answer.language, "button_original_steps")
        buttons.append(button(label, ORIGINAL_STEPS, original.encode()))
    for language in answer.languages:
        if language != answer.language:
            other = Ref(ref.article_id, ref.version, ref.case_id, ref.kind, language)
            action_id = language_action_id(PICK_LANGUAGE, language)
            buttons.append(button(language_name(language), action_id, other.encode()))
    return [actions(LANGUAGE_BLOCK_ID, buttons)] if buttons else []


def original_steps_message(answer: Answer, language: str) -> Payload:
    """The article's English steps, word for word, introduced in the asker's language."""
    intro = phrase(language, "original_steps_intro")
    guide = answer.guide
    body = steps_text(guide) if guide is not None else plain_steps_text(answer.steps)
    lines = numbered(guide.steps if guide is not None else answer.steps)
    return payload(escape("\n".join([intro, *lines])), [section(escape(intro)), section(body)])


def share_button(ref: Ref, language: str = ENGLISH) -> Button:
    return button(phrase(language, "button_share"), SHARE, ref.encode())


def status_block(status: StatusLine, language: str = ENGLISH) -> Block:
    emoji, key = STATUS_WORDS.get(status.status, ("•", ""))
    words = phrase(language, key) if key else f"marked this {status.status}"
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
    ref = _with_language(ref, answer)
    if share:
        shared = Ref(ref.article_id, None, None, "picker", ref.language)
        buttons.append(share_button(shared, answer.language))
    how_to = [f"• {escape(g.how_to_tell)}" for g in answer.choices if g.how_to_tell]
    why = f"*{phrase(answer.language, 'why')}* {escape(answer.cause)}"
    blocks = [context(escape(caveat))] if caveat else []
    blocks += [
        section(escape(intro) if intro else why),
        section(f"*{escape(answer.variant_question)}* {escape(answer.variant_hint)}"),
        actions(picker_block_id(ref), buttons),
    ]
    if how_to:
        which = phrase(answer.language, "how_to_tell_which", noun=escape(answer.variant_noun))
        blocks.append(context(f"*{which}*\n" + "\n".join(how_to)))
    blocks.append(context(source_text(answer)))
    blocks += language_blocks(answer, ref)
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


def customer_text_message(answer: Answer, ref: Ref | None = None) -> Payload:
    """Plain text the agent pastes into an email to the recipient."""
    text = customer_ready_text(answer)
    pieces = chunks(text.split("\n"), MAX_SECTION_TEXT - 10)
    blocks = [section(phrase(answer.language, "customer_text_intro"))]
    blocks += [section(f"```{escape(piece)}```") for piece in pieces]
    return payload(escape(text), blocks + customer_language_blocks(answer, ref))


def customer_language_blocks(answer: Answer, ref: Ref | None) -> list[Block]:
    """The rep and the customer may not share a language: the same text in the others."""
    others = [lang for lang in answer.languages if lang != answer.language]
    if ref is None or not others:
        return []
    buttons = [
        button(language_name(lang), language_action_id(CUSTOMER_TEXT_IN, lang),
               Ref(ref.article_id, ref.version, ref.case_id, language=lang).encode())
        for lang in others
    ]  # fmt: skip
    return [context(escape(phrase(answer.language, "customer_text_languages"))),
            actions(LANGUAGE_BLOCK_ID, buttons)]  # fmt: skip


def shared_by_block(user: str) -> dict[str, Any]:
    return context(f"Shared by <@{escape(user)}> with /emailstatus")
