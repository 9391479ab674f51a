"""What the stores hand out: the case record and the case vocabularies."""

from __future__ import annotations

from dataclasses import dataclass

SOURCES = ("channel", "dm", "mention", "slash", "shortcut", "console")
STATUSES = ("answered", "resolved", "unresolved", "escalated")
# Clicks that settle a case, and the status each one sets.
FINAL_ACTIONS = {"case_resolved": "resolved", "case_unresolved": "unresolved",
                 "case_escalate": "escalated"}  # fmt: skip


@dataclass(frozen=True)
class Case:
    id: int
    created_at: str
    source: str
    status: str
    level: str
    team: str | None = None
    channel: str | None = None
    thread_ts: str | None = None
    reply_ts: str | None = None
    user: str | None = None
    question: str | None = None
    article_id: str | None = None
    score: float | None = None
    detected_version: str | None = None
    chosen_version: str | None = None
    status_by: str | None = None
    status_at: str | None = None
    resolve_seconds: float | None = None

    @property
    def version(self) -> str | None:
        return self.chosen_version or self.detected_version


# A question is stored whole up to this many characters; a 10 MB paste is not a question,
# and the case log, exports and App Home must stay small.
QUESTION_LIMIT = 4_000
CUT_MARKER = " […{cut:,} more characters not stored]"


def stored_question(text: str, keep: bool) -> str | None:
    """The question as stored: None under STORE_QUESTION_TEXT=false, else capped with a marker."""
    if not keep:
        return None
    if len(text) <= QUESTION_LIMIT:
        return text
    return text[:QUESTION_LIMIT] + CUT_MARKER.format(cut=len(text) - QUESTION_LIMIT)
