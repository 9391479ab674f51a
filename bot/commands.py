"""The /emailstatus command language, shared by Slack, the console and the CLI help.

``USAGE`` is the single source of the help text: the ``/emailstatus help`` reply and
``emailstatus-bot --help`` are both generated from it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process, utils

from bot.versions import detect_version

COMMAND = "/emailstatus"

USAGE: tuple[tuple[str, str], ...] = (
    ("", "quick help{picker}"),
    ("2010", "the Safe Senders steps for one Outlook version: 2007, 2010, 2013, 2016, 2019, "
             "2021, 2024, 365, o365, m365, ltsc; 'outlook' is optional (outlook2010)"),
    ("2010 de", "the same steps in a language: de, es, fr, it, nl, pt (en is the default)"),
    ("mac", "Outlook for Mac, on the web, the new Outlook or mobile: what the article covers"),
    ("<question>", "match a question as if it were posted in a channel"),
    ("<article> [variant]", "one article by its id or alias (`knowledge list`), "
                            "e.g. {example}"),
    ("summary [last|current|YYYY-Www]",
     "the weekly case summary (default: the last complete week), visible only to you"),
    ("settings", "this workspace's settings: summary and escalation channels, suggestions, "
                 "the weekly schedule (admins change them)"),
    ("help", "this help"),
)  # fmt: skip

CommandKind = Literal["picker", "help", "version", "summary", "question", "unknown"]

HELP_WORDS = {"help", "-h", "--help", "?", "usage", "aide", "ayuda", "hilfe"}
# Words that may surround a version without making the text a question.
VERSION_FILLER = {"outlook", "office", "ms", "microsoft", "ol", "for", "the", "version", "v",
                  "on", "in", "desktop", "windows", "app", "new", "web", "classic"}  # fmt: skip
SUGGESTIONS = ("help", "summary", "settings", "2007", "2010", "2013", "2016", "2019", "2021",
               "2024", "365", "o365", "m365", "ltsc", "outlook2007", "outlook2010", "outlook2013",
               "outlook2016", "mac", "web", "mobile")  # fmt: skip
MAX_UNKNOWN_WORDS = 1
# Usage lines about Outlook versions: shown only when the main article has variants.
VARIANT_USAGE = frozenset({"2010", "2010 de", "mac"})


@dataclass(frozen=True)
class Command:
    kind: CommandKind
    text: str = ""
    version: str | None = None
    argument: str = ""
    suggestion: str | None = None
    language: str | None = None  # "/emailstatus outlook2010 de": the answer's language


def parse_command(raw: str) -> Command:
    """Parse the text after ``/emailstatus`` (Slack sends it HTML-escaped)."""
    text = " ".join(html.unescape(raw or "").split())
    if not text:
        return Command("picker")
    first, _, rest = text.partition(" ")
    if first.lower() in HELP_WORDS:
        return Command("help", text)
    if first.lower() == "summary":
        return Command("summary", text, argument=rest.strip().lower() or "last")
    text, language = _language_suffix(text)
    if not text:
        return Command("picker", language=language)
    version = _only_a_version(text)
    if version is not None:
        return Command("version", text, version=version, language=language)
    if len(text.split()) > MAX_UNKNOWN_WORDS:
        return Command("question", text)
    return Command("unknown", text, suggestion=did_you_mean(text))


def _language_suffix(text: str) -> tuple[str, str | None]:
    """``outlook2010 de`` -> (``outlook2010``, ``de``): a language code after a version (or
    alone) picks the answer's language; in a question it is just a word."""
    from bot.i18n import available_languages

    words = text.split()
    if words[-1].lower() not in available_languages():
        return text, None
    rest = " ".join(words[:-1])
    if rest and _only_a_version(rest) is None:
        return text, None
    return rest, words[-1].lower()


def _only_a_version(text: str) -> str | None:
    # "outlook2010" → "outlook 2010", but "2k10" and "o365" stay whole.
    words = re.sub(r"(?<=[a-z]{2})(?=\d)", " ", text.lower()).replace("'", " ").split()
    if len(words) > 4:  # a sentence that names a version is a question
        return None
    version = detect_version(text, bare=True)
    if version is None:
        return None
    leftovers = [
        w for w in words if w not in VERSION_FILLER and detect_version(w, bare=True) is None
    ]
    return version if len(leftovers) <= 1 else None


def did_you_mean(text: str) -> str | None:
    found = process.extractOne(
        text, SUGGESTIONS, scorer=fuzz.ratio, processor=utils.default_process, score_cutoff=60
    )
    return found[0] if found else None


SHIPPED_EXAMPLE = "'considerations' or 'outlook 2010'"


def usage_lines(
    command: str = COMMAND, *, variants: bool = True, example: str = SHIPPED_EXAMPLE
) -> list[str]:
    """The help lines, for the shipped articles by default. ``variants=False`` (the main
    article has none) leaves out the version lines; ``example`` names real aliases."""
    picker = " and a version picker" if variants else ""
    return [
        f"{command} {syntax}".rstrip() + " — " + summary.format(picker=picker, example=example)
        for syntax, summary in USAGE
        if variants or syntax not in VARIANT_USAGE
    ]
