"""Answer → plain text, for the console, the CLI and Slack's notification fallback.

Headings come from the answer's language (``bot.i18n.phrase``); English reads as it
always has. Steps name Outlook's menus in ``[brackets]`` in translations: plain text
shows the bare names.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.answers import Answer, source_label
from bot.i18n import ENGLISH, phrase, ui_names
from bot.knowledge import Variant


def numbered(steps: tuple[str, ...]) -> list[str]:
    return [f"{number}. {ui_names(step)}" for number, step in enumerate(steps, start=1)]


def guide_lines(guide: Variant) -> list[str]:
    return [f"{guide.label}:", *numbered(guide.steps)]


def source_line(answer: Answer) -> str:
    name, title = source_label(answer.source_name, answer.title)
    return f"{phrase(answer.language, 'source')} {name}" + (f" — {title}" if title else "")


def closest_line(answer: Answer) -> str:
    assert answer.guide is not None and answer.uncovered is not None
    return phrase(
        answer.language,
        "closest_match",
        uncovered=answer.uncovered.text,
        covered=answer.covered_labels,
        label=answer.guide.label,
    )


def answer_text(answer: Answer) -> str:
    """The full answer. With no variant chosen it lists every variant's steps."""
    say = _phrases(answer.language)
    if answer.lead is not None:
        return "\n".join([answer.lead, "", f"{say('why')} {answer.cause}", "", source_line(answer)])
    lines = [f"{say('why')} {answer.cause}", ""]
    if answer.other_client is not None:
        return "\n".join([*lines, answer.other_client_text, "", source_line(answer)])
    lines += [f"{say('fix')} {answer.fix_summary}", ""]
    lines += [f"- {point.text}" for point in answer.points]
    lines += [""] if answer.points else []
    if answer.is_closest_match:
        lines += [closest_line(answer), ""]
    if answer.guide is not None:
        lines += guide_lines(answer.guide)
    elif answer.choices:
        lines += [f"{answer.variant_question} {answer.variant_hint}", ""]
        lines += [say("how_to_tell")]
        lines += [f"- {g.how_to_tell}" for g in answer.choices if g.how_to_tell]
        for guide in answer.choices:
            lines += ["", *guide_lines(guide)]
    elif answer.steps:
        lines += numbered(answer.steps)
    if answer.english_menus:
        lines += ["", say("menu_names_english")]
    for note in answer.notes:
        lines += ["", f"{say('note')} {note}"]
    lines += original_steps_lines(answer)
    lines += ["", source_line(answer)]
    # Optional parts (points, steps) may leave two blank lines in a row: keep one.
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def original_steps_lines(answer: Answer) -> list[str]:
    """A translated answer ends with the article's English steps, word for word."""
    original = answer.original_guide
    if answer.language == ENGLISH or original is None or answer.guide is None:
        return []
    if answer.guide.steps == original.steps:  # not translated: shown once is enough
        return []
    return ["", phrase(answer.language, "original_steps_intro"), *guide_lines(original)]


def _phrases(language: str) -> Callable[[str], str]:
    return lambda key: phrase(language, key)


def customer_steps(answer: Answer) -> str:
    guides = [answer.guide] if answer.guide is not None else list(answer.choices)
    if guides:
        return "\n\n".join("\n".join(guide_lines(g)) for g in guides)
    if answer.steps:
        return "\n".join(numbered(answer.steps))
    return "\n".join(f"- {point.text}" for point in answer.points)


def customer_ready_text(answer: Answer) -> str:
    """Text an agent can paste into an email to the recipient, from the article's template."""
    return answer.customer_template.format(
        steps=customer_steps(answer),
        cause=answer.cause,
        fix_summary=answer.fix_summary,
        title=answer.title,
    )
