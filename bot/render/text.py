"""Answer → plain text, for the console, the CLI and Slack's notification fallback."""

from __future__ import annotations

from bot.answers import Answer
from bot.knowledge import VersionGuide


def numbered(steps: tuple[str, ...]) -> list[str]:
    return [f"{number}. {step}" for number, step in enumerate(steps, start=1)]


def guide_lines(guide: VersionGuide) -> list[str]:
    return [f"{guide.label}:", *numbered(guide.steps)]


def source_line(answer: Answer) -> str:
    return f"Source: {answer.source_name} — {answer.title}"


def answer_text(answer: Answer) -> str:
    """The full answer. With no version it lists every covered version's steps."""
    lines = [f"Why: {answer.cause}", "", f"Fix: {answer.fix_summary}", ""]
    if answer.is_closest_match:
        lines += [
            f"The article covers {answer.covered_labels}. This Outlook is not one of them,",
            "so here are the closest steps, for Outlook 2013 and later; the menus may differ.",
            "",
        ]
    if answer.guide is not None:
        lines += guide_lines(answer.guide)
    else:
        lines += ["Which Outlook does the recipient use? The steps differ by version.", ""]
        lines += ["How to tell:"] + [f"- {g.how_to_tell}" for g in answer.choices if g.how_to_tell]
        for guide in answer.choices:
            lines += ["", *guide_lines(guide)]
    for note in answer.notes:
        lines += ["", f"Note: {note}"]
    lines += ["", source_line(answer)]
    return "\n".join(lines)


def customer_ready_text(answer: Answer) -> str:
    """Steps an agent can paste into an email to the recipient."""
    guides = [answer.guide] if answer.guide is not None else list(answer.choices)
    lines = [
        "Hello,",
        "",
        "Outlook blocks pictures from the internet by default, so our email tracking cannot "
        "see that you opened our messages. Adding @salesforce.com to your Safe Senders list "
        "lets Outlook download them. Here is how:",
    ]
    for guide in guides:
        lines += ["", *guide_lines(guide)]
    lines += ["", "Thank you!"]
    return "\n".join(lines)
