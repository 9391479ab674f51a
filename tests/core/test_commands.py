"""The /emailstatus command language, as a table."""

from __future__ import annotations

import pytest

from bot.commands import USAGE, parse_command, usage_lines

COMMANDS = [
    ("", "picker", None, None),
    ("   ", "picker", None, None),
    ("help", "help", None, None),
    ("HELP", "help", None, None),
    ("?", "help", None, None),
    ("outlook2010", "version", "2010", None),
    ("Outlook 2010", "version", "2010", None),
    ("2007", "version", "2007", None),
    ("2013", "version", "2013+", None),
    ("2016 desktop", "version", "2013+", None),
    ("o365", "version", "2013+", None),
    ("365", "version", "2013+", None),
    ("m365", "version", "2013+", None),
    ("ltsc", "version", "2013+", None),
    ("office 2k10", "version", "2010", None),
    ("outlok2016", "version", "2013+", None),
    ("mac", "version", "other", None),
    ("outlook for mac", "version", "other", None),
    ("owa", "version", "other", None),
    ("halp", "unknown", None, "help"),
    ("sumary", "unknown", None, "summary"),
    ("2009", "unknown", None, "2007"),
    ("xyzzy", "unknown", None, None),
    ("times opened stuck at 0", "question", None, None),
    ("tracking broken", "question", None, None),
]


@pytest.mark.parametrize(("text", "kind", "version", "suggestion"), COMMANDS)
def test_parse(text, kind, version, suggestion):
    command = parse_command(text)
    assert (command.kind, command.version, command.suggestion) == (kind, version, suggestion)


@pytest.mark.parametrize(
    ("text", "week"),
    [("summary", "last"), ("summary current", "current"), ("summary 2026-W47", "2026-w47")],
)
def test_summary_weeks(text, week):
    command = parse_command(text)
    assert (command.kind, command.argument) == ("summary", week)


def test_slash_text_arrives_html_escaped_and_is_unescaped():
    command = parse_command("why is &lt;!channel&gt; times opened 0 &amp; stuck")
    assert command.kind == "question"
    assert command.text == "why is <!channel> times opened 0 & stuck"


def test_usage_lines_come_from_the_table():
    lines = usage_lines()
    assert len(lines) == len(USAGE)
    assert lines[-1] == "/emailstatus help — this help"
