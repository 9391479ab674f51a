"""Turn a message as Slack delivers it into plain words the matcher can compare.

Slack wraps mentions, channels and links in angle brackets and HTML-escapes
``&``, ``<`` and ``>``. We keep link labels and channel names (they can carry
meaning), drop user ids, emoji, code fences and quote markers, fold accents and
case, and split on anything that is not a letter or a digit.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata

MAX_TEXT_CHARS = 4000  # longer messages are cut: a question fits well inside this

_USER_MENTION = re.compile(r"<[@!][^>]*>")
_CHANNEL = re.compile(r"<#[A-Z0-9]+\|([^>]*)>|<#[A-Z0-9]+>")
_LINK_WITH_LABEL = re.compile(r"<(?:https?|mailto):[^|>]*\|([^>]*)>")
_BARE_LINK = re.compile(r"<(?:https?|mailto):[^>]*>")
_EMOJI = re.compile(r":[a-z0-9_+\-']+:")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_EMAIL_WORD = re.compile(r"\be[\s-]+mail(s?)\b")
_NEGATION = re.compile(r"n[’']t\b")
_ELISION = re.compile(r"\b([cdjlmnst]|qu)[’']")


def strip_slack_markup(text: str) -> str:
    """Slack mrkdwn → readable text (labels kept, ids, emoji and escapes removed)."""
    text = _CONTROL.sub(" ", text[:MAX_TEXT_CHARS])
    text = _LINK_WITH_LABEL.sub(r" \1 ", text)
    text = _BARE_LINK.sub(" ", text)
    text = _CHANNEL.sub(r" \1 ", text)
    text = _USER_MENTION.sub(" ", text)
    text = _EMOJI.sub(" ", text)
    return html.unescape(text)


MAX_PARTS = 8  # a long paste: its first parts carry the question far more often than the tail
MIN_PART_WORDS = 3  # "thanks all", "quick one:": never a question on their own
# Shorter messages are decided whole: too little around the question to dilute it, and
# a clause of a short near-miss scored alone looks on-topic more often than not.
MIN_SPLIT_WORDS = 20
_FENCE = re.compile(r"```(.*?)(?:```|$)", re.DOTALL)
_LINE_MARKERS = re.compile(r"^\s*(?:(?:>|&gt;)\s*)*(?:[-*•·]|\d{1,2}[.)])?\s*")
_SENTENCE_END = re.compile(r"(?<=[.?!;…:])\s+|\s+(?=\d\)\s)")


def split_parts(text: str) -> list[str]:
    """The message's parts: its lines (quote and list markers dropped), the sentences inside
    them, and pasted blocks, each with at least ``MIN_PART_WORDS`` words.

    A question is often one part of a longer message (a greeting, an update, a quoted
    email); the matcher scores each part as well as the whole. One part only: ``[]``.
    """
    text = text[:MAX_TEXT_CHARS]
    if len(normalise(text).split()) < MIN_SPLIT_WORDS:
        return []
    blocks = [b.strip() for b in _FENCE.findall(text)]
    rest = _FENCE.sub("\n", text)
    lines = [_LINE_MARKERS.sub("", line).strip() for line in rest.splitlines()]
    sentences = [s.strip() for line in lines for s in _SENTENCE_END.split(line)]
    parts: list[str] = []
    seen = {normalise(text)}  # a part that is the whole message adds nothing
    for piece in [*lines, *sentences, *blocks]:
        words = normalise(piece)
        if len(set(words.split())) >= MIN_PART_WORDS and words not in seen:
            seen.add(words)
            parts.append(piece)
    return parts[:MAX_PARTS] if len(parts) > 1 else []


def fold(text: str) -> str:
    """Lower-case and remove accents: 'Öffnungen' → 'offnungen', 'É' → 'e'."""
    if text.isascii():  # most messages: nothing to decompose (4x faster)
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise(text: str) -> str:
    """Markup-free, folded text with single spaces between words."""
    text = fold(strip_slack_markup(text))
    text = _NEGATION.sub(" not", text)  # "isn't" → "is not", "can't" → "ca not"
    text = _ELISION.sub(r"\1 ", text)  # "l'e-mail" → "l e-mail", "d'ouverture" → "d ouverture"
    text = _EMAIL_WORD.sub(r"email\1", text)  # "e-mail", "E Mails" → "email"
    return _NOT_WORD.sub(" ", text).strip()


@functools.lru_cache(maxsize=4096)
def normalised_term(term: str) -> str:
    """``normalise`` for the fixed words of the knowledge files (aliases, trigger words).

    Cached because every answer checks them all against the question: normalising
    them afresh each time was most of the cost of composing an answer. Questions are
    not cached here (they are many, and may be private).
    """
    return normalise(term)


def padded_words(text: str) -> str:
    """The normalised text with a space on each side, for whole-word ``in`` tests."""
    return f" {normalise(text)} "


def has_term(padded: str, term: str) -> bool:
    """Whether ``term`` appears as whole words in ``padded`` (from ``padded_words``)."""
    return f" {normalised_term(term)} " in padded
