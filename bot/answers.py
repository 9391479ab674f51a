"""Match + version → Answer: what the bot says, as plain data (no formatting)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.knowledge import Article, VersionGuide
from bot.text import normalise
from bot.versions import COVERED

# For clients the article does not cover we offer the newest Windows steps, labelled as such.
CLOSEST_TO_OTHER = "2013+"


@dataclass(frozen=True)
class Answer:
    article_id: str
    title: str
    source_name: str
    source_url: str
    cause: str
    fix_summary: str
    version: str | None  # what the asker has: a covered id, "other" or None (unknown)
    guide: VersionGuide | None  # the steps shown; None means "ask which version"
    choices: tuple[VersionGuide, ...]  # every covered version, for the picker
    notes: tuple[str, ...] = ()
    see_also: tuple[str, ...] = ()

    @property
    def needs_version(self) -> bool:
        return self.guide is None

    @property
    def is_closest_match(self) -> bool:
        """True when the asker's Outlook is not covered and we show the nearest steps."""
        return self.version == "other"

    @property
    def covered_labels(self) -> str:
        return ", ".join(g.label for g in self.choices)


def compose(article: Article, version: str | None, question: str = "") -> Answer:
    """Build the answer for an article and a detected (or picked) version."""
    guide = None
    if version in COVERED:
        guide = article.version(version)
    elif version == "other":
        guide = article.version(CLOSEST_TO_OTHER)
    return Answer(
        article_id=article.id,
        title=article.title,
        source_name=article.source_name,
        source_url=article.source_url,
        cause=article.cause,
        fix_summary=article.fix_summary,
        version=version if guide is not None or version is None else None,
        guide=guide,
        choices=article.versions,
        notes=relevant_notes(article, question),
        see_also=article.see_also,
    )


def relevant_notes(article: Article, question: str) -> tuple[str, ...]:
    """Notes whose trigger words appear in the question (e.g. stay-in-touch)."""
    text = f" {normalise(question)} "
    return tuple(
        note.text
        for note in article.notes
        if any(f" {normalise(term)} " in text for term in note.applies_when)
    )
