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
