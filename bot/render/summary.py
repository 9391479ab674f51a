"""``WeekSummary`` → Block Kit, terminal text and JSON: three views of one data object.

Pure functions over plain dicts; the Block Kit dicts round-trip through slack_sdk's
``Block.parse(...).to_dict()`` (checked in the tests), so no Slack import is needed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.render.kit import (
    MAX_MESSAGE_BLOCKS,
    Block,
    channel_ref,
    context,
    divider,
    escape,
    fields,
    header,
    section,
)
from bot.render.kit import shorten as clip
from bot.store import Case
from bot.summary import HEADLINE_FIELDS, OUTCOMES, RATES, Headline, WeekSummary
from bot.versions import version_label

TOP_ROWS = 8  # per breakdown list
TOP_GAPS = 10
GAP_TEXT = 140  # characters of each gap question shown

SOURCE_NAMES = {
    "channel": "channel messages",
    "dm": "direct messages",
    "mention": "@mentions",
    "slash": "/emailstatus",
    "shortcut": "message shortcut",
    "console": "console",
    "workflow": "Workflow Builder step",
}
# The status words are the case log's own (answered, resolved, unresolved, escalated, rejected).
LABELS = {"cases": "Cases", "answered": "Answered, no outcome yet", "resolved": "Resolved",
          "unresolved": "Unresolved", "escalated": "Escalated",
          "rejected": "Rejected (suggestion refused)",
          "resolution_rate": "Resolution rate (all cases)",
          "resolution_rate_with_outcome": "Resolution rate (cases with an outcome)",
          "median_resolve_seconds": "Median time to resolution",
          "follow_ups_sent": "Follow-ups sent", "follow_up_conversion": "Follow-ups answered",
          "gaps": "Knowledge gaps"}  # fmt: skip
STATUS_FIELDS = 6  # the first headline figures: cases and one per status
EMPTY_WEEK = "No cases or knowledge gaps this week."


# -- formatting helpers ---------------------------------------------------------------------


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = abs(seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = seconds / 60
    if minutes < 60:
        return f"{minutes:.0f} min"
    hours, minutes = divmod(round(minutes), 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def figure(name: str, value: float | None) -> str:
    if name in RATES:
        return "—" if value is None else f"{value:.0%}"
    if name == "median_resolve_seconds":
        return duration(value)
    return str(value)


def change_text(name: str, delta: float | None) -> str:
    """'+3', '−2', 'same'; '' when last week had no comparable figure."""
    if delta is None:
        return ""
    if delta == 0:
        return "same"
    sign = "+" if delta > 0 else "−"
    if name in RATES:
        return f"{sign}{abs(delta) * 100:.0f} pts"
    if name == "median_resolve_seconds":
        return f"{sign}{duration(delta)}"
    return f"{sign}{abs(delta):g}"


def date_range(summary: WeekSummary) -> str:
    start, end = summary.start, summary.end
    if start.year != end.year:
        return f"{start:%-d %b %Y} – {end:%-d %b %Y}"
    if start.month != end.month:
        return f"{start:%-d %b} – {end:%-d %b %Y}"
    return f"{start.day}–{end:%-d %b %Y}"


def version_name(version: str) -> str:
    return version_label(version)


def source_name(source: str) -> str:
    return SOURCE_NAMES.get(source, source)


def channel_mrkdwn(channel: str) -> str:
    return channel_ref(channel)


def headline_pairs(summary: WeekSummary) -> list[tuple[str, str, str]]:
    """(label, value, change vs previous week) for each headline figure."""
    deltas = summary.change()
    return [
        (
            LABELS[name],
            figure(name, getattr(summary.headline, name)),
            change_text(name, deltas[name]),
        )
        for name in HEADLINE_FIELDS
    ]


def title(summary: WeekSummary) -> str:
    return f"Email status cases: week {summary.week}"


# -- Block Kit ------------------------------------------------------------------------------


def _fields(pairs: Sequence[tuple[str, str, str]]) -> Block:
    return fields(
        [f"*{label}*\n{value}" + (f"  ({delta})" if delta else "") for label, value, delta in pairs]
    )


def _ranked_lines(rows: Sequence[tuple[str, int]], name: Any) -> str:
    if not rows:
        return "—"
    lines = [f"• {name(key)}: {count}" for key, count in rows[:TOP_ROWS]]
    if len(rows) > TOP_ROWS:
        lines.append(f"• {len(rows) - TOP_ROWS} more")
    return "\n".join(lines)


def gap_lines(summary: WeekSummary) -> list[str]:
    """One line per group; a group of several wordings lists each one, never hides it."""
    lines = []
    for group in summary.gap_groups[:TOP_GAPS]:
        if not group.stored:
            lines.append(f"{group.count}× _{escape(clip(group.text, GAP_TEXT))}_ (text not stored)")
            continue
        wordings = group.wordings
        if len(wordings) == 1:
            lines.append(f"{group.count}× “{escape(clip(group.text, GAP_TEXT))}”")
            continue
        lines.append(f"{group.count}× in {len(wordings)} similar questions:")
        lines += [f"      ◦ “{escape(clip(text, GAP_TEXT))}” ({n}×)" for text, n in wordings]
    return lines


def summary_blocks(summary: WeekSummary) -> list[dict[str, Any]]:
    """The weekly summary as Block Kit (well under 50 blocks)."""
    blocks = [
        header(title(summary)),
        context(f"{date_range(summary)} · {summary.tz} · in brackets: change vs previous week"),
    ]
    if summary.is_empty:
        blocks.append(section(EMPTY_WEEK))
        return blocks
    pairs = headline_pairs(summary)  # statuses, then rates and follow-ups (10 fields max each)
    blocks += [_fields(pairs[:STATUS_FIELDS]), _fields(pairs[STATUS_FIELDS:])]
    blocks.append(divider())
    blocks.append(
        fields(
            [
                "*By Outlook version*\n" + _ranked_lines(summary.by_version, version_name),
                "*By source*\n" + _ranked_lines(summary.by_source, source_name),
                "*By channel*\n" + _ranked_lines(summary.by_channel, channel_mrkdwn),
                "*By article*\n" + _ranked_lines(summary.by_article, str),
            ]
        )
    )
    gaps = gap_lines(summary)
    if gaps:
        blocks.append(divider())
        heading = "*Questions I could not answer* (similar ones grouped, most frequent first)"
        blocks.append(section(heading + "\n" + "\n".join(gaps)))
    return blocks[:MAX_MESSAGE_BLOCKS]


def summary_fallback_text(summary: WeekSummary) -> str:
    """The plain ``text`` sent with the blocks (notifications, screen readers)."""
    h = summary.headline
    if summary.is_empty:
        return f"{title(summary)}: {EMPTY_WEEK}"
    rate = figure("resolution_rate", h.resolution_rate)
    return (
        f"{title(summary)}: {h.cases} cases, {h.resolved} resolved ({rate}), "
        f"{h.escalated} escalated, {h.answered} answered with no outcome yet, "
        f"{h.follow_ups_sent} follow-ups sent, {h.gaps} knowledge gaps."
    )


def summary_message(summary: WeekSummary) -> dict[str, Any]:
    """``{"text", "blocks"}``, ready for chat.postMessage or ``respond()``."""
    return {"text": summary_fallback_text(summary), "blocks": summary_blocks(summary)}


# -- terminal text --------------------------------------------------------------------------


def summary_text(summary: WeekSummary) -> str:
    lines = [title(summary), f"{date_range(summary)} ({summary.tz})", ""]
    if summary.is_empty:
        return "\n".join([*lines, EMPTY_WEEK])
    width = max(len(label) for label in LABELS.values())
    for label, value, delta in headline_pairs(summary):
        lines.append(
            f"{label:<{width}}  {value:>10}" + (f"  ({delta} vs previous week)" if delta else "")
        )
    for heading, rows, name in (
        ("By Outlook version", summary.by_version, version_name),
        ("By source", summary.by_source, source_name),
        ("By channel", summary.by_channel, str),
        ("By article", summary.by_article, str),
    ):
        lines += ["", heading + ":"] + [f"  {name(k):<30} {n:>6}" for k, n in rows]
    lines += ["", "Per day:      " + " ".join(f"{o:>10}" for o in OUTCOMES)]
    for day in summary.days:
        counts = " ".join(f"{getattr(day, o):>10}" for o in OUTCOMES)
        lines.append(f"  {day.day:%a %d %b}  {counts}")
    if summary.gap_groups:
        lines += ["", "Questions I could not answer (most frequent first):"]
        for group in summary.gap_groups:
            if not group.stored:
                lines.append(f"  {group.count:>4}×  {group.text} (text not stored)")
                continue
            lines.append(f"  {group.count:>4}×  {group.text}")
            if len(group.wordings) > 1:  # every distinct wording, each with its count
                lines += [f"          ◦ {text} ({n}×)" for text, n in group.wordings]
    return "\n".join(lines)


def summary_json(summary: WeekSummary) -> dict[str, Any]:
    return summary.as_dict()


# -- App Home -------------------------------------------------------------------------------


def home_figures_blocks(summary: WeekSummary, recent_cases: Sequence[Case]) -> list[dict[str, Any]]:
    """This week's headline figures and the viewer's own recent cases, for the Home tab."""
    h: Headline = summary.headline
    blocks: list[dict[str, Any]] = [divider(), header(f"This week ({summary.week})")]
    if h.cases == 0:
        blocks.append(section("No cases yet this week."))
    else:
        pairs = [p for p in headline_pairs(summary) if p[0] in _HOME_LABELS]
        blocks.append(_fields(pairs))
    blocks.append(header("Your recent cases"))
    if not recent_cases:
        blocks.append(
            section("You have no cases yet. Ask me in a channel, a DM or with /emailstatus.")
        )
        return blocks
    blocks.append(section("\n".join(_case_line(case, summary.tz) for case in recent_cases[:10])))
    return blocks


_HOME_LABELS = {LABELS[n] for n in ("cases", "resolved", "escalated", "answered",
                                    "resolution_rate", "median_resolve_seconds")}  # fmt: skip


def _case_line(case: Case, tz: str) -> str:
    when = datetime.fromisoformat(case.created_at).astimezone(ZoneInfo(tz))
    parts = [f"{when:%-d %b %H:%M}", f"*{case.status}*"]
    if case.version:
        parts.append(version_name(case.version))
    line = "• " + " · ".join(parts)
    if case.question:
        line += f": {escape(clip(' '.join(case.question.split()), 80))}"
    return line
