"""Answer → the ``answer_text`` output of the Workflow Builder step: one mrkdwn string.

A later workflow step (a message, a canvas, an email) shows it as it is, so it carries
everything an answer message does: the cause, the steps for the version (all versions
when it is not known), the notes and the source.
"""

from __future__ import annotations

from bot.answers import Answer
from bot.render.blocks import closest_match_text, escape, source_text, steps_text


def no_match_text(topic: str) -> str:
    """The ``answer_text`` output when no article matched (``topic``: the main article's)."""
    return f"No fix found: this question does not look like it is about {topic}."


def workflow_answer_text(answer: Answer, caveat: str | None = None) -> str:
    parts = [f"_{escape(caveat)}_"] if caveat else []
    parts.append(f"*Why:* {escape(answer.cause)}")
    if answer.is_closest_match:
        parts.append(closest_match_text(answer))
    guides = [answer.guide] if answer.guide is not None else list(answer.choices)
    if answer.guide is None and answer.choices:
        parts.append(f"*{escape(answer.variant_question)}* {escape(answer.variant_hint)}")
    parts += [steps_text(guide) for guide in guides]
    parts += [f"*Note:* {escape(note)}" for note in answer.notes]
    parts.append(source_text(answer))
    return "\n\n".join(parts)
