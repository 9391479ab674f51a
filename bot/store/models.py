"""What the stores hand out: the case record and the case vocabularies."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from bot.vocabulary import Source

SOURCES = tuple(str(source) for source in Source)  # the one source set: bot/vocabulary.py
# Every table of the case log, parents before children (the order a copy inserts in).
TABLES = ("cases", "case_clicks", "gaps", "follow_ups", "summary_claims", "slack_events",
          "message_claims", "workspace_settings")  # fmt: skip


class Status(StrEnum):
    """The one status vocabulary: the case log, `cases --status`, the summary, App Home."""

    ANSWERED = "answered"  # answered (or suggested), no outcome yet
    RESOLVED = "resolved"  # "That fixed it"
    UNRESOLVED = "unresolved"  # "Still not updating"
    ESCALATED = "escalated"  # "Ask a human"
    REJECTED = "rejected"  # "No": the suggestion was not about the question


class Action(StrEnum):
    """What a person did to a case; stored in ``case_clicks.action``.

    The values are the Block Kit action ids, so a click's id is its action.
    """

    RESOLVED = "case_resolved"
    UNRESOLVED = "case_unresolved"
    ESCALATE = "case_escalate"
    CUSTOMER_TEXT = "case_customer_text"
    SUGGESTION_ACCEPTED = "suggestion_accepted"
    SUGGESTION_REJECTED = "suggestion_rejected"


class GapReason(StrEnum):
    """Why a question became a knowledge gap; stored in ``gaps.reason``."""

    NO_MATCH = "no article matched"
    UNCOVERED_VERSION = "Outlook version not covered by the article"
    SUGGESTION_REJECTED = "suggestion rejected"


STATUSES = tuple(str(status) for status in Status)
# Clicks that settle a case, and the status each one sets.
FINAL_ACTIONS: dict[str, Status] = {
    Action.RESOLVED: Status.RESOLVED,
    Action.UNRESOLVED: Status.UNRESOLVED,
    Action.ESCALATE: Status.ESCALATED,
    Action.SUGGESTION_REJECTED: Status.REJECTED,
}


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
    enterprise: str | None = None  # the Enterprise Grid org, for an org-wide install

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


@dataclass(frozen=True)
class InboxPending:
    """An acked event that was never marked done."""

    event_id: str
    seen_at: str
    payload: str
    posting_at: str | None = None  # set: a reply may have reached Slack


@dataclass(frozen=True)
class FollowUpPending:
    """A follow-up that is due, with what the scheduler needs to decide and to post."""

    case_id: int
    answered_at: str
    source: str
    level: str
    status: str
    channel: str | None
    thread_ts: str | None
    reply_ts: str | None
    user: str | None
    article_id: str | None
    version: str | None
    clicks: int  # clicks other than accepting a suggestion
    accepted: bool  # someone said "Yes, show the fix" to a suggestion
    team: str | None = None  # the workspace whose token asks
    enterprise: str | None = None


# What a workspace admin may set in the settings modal (each empty: the environment's value).
WORKSPACE_SETTINGS = ("summary_channel", "escalation_channel", "suggestions", "summary_schedule",
                      "summary_tz")  # fmt: skip


@dataclass(frozen=True)
class WorkspaceOverrides:
    """One installation's own settings; None: use the environment's value.

    ``team`` and ``enterprise`` are '' when absent: an org-wide install's row has
    ``team`` '' and applies to every workspace of the org without a row of its own.
    """

    team: str = ""
    enterprise: str = ""
    summary_channel: str | None = None
    escalation_channel: str | None = None
    suggestions: str | None = None  # "on" | "off"
    summary_schedule: str | None = None  # "MON 09:00"
    summary_tz: str | None = None
    updated_by: str | None = None
    updated_at: str | None = None

    def values(self) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in WORKSPACE_SETTINGS}


class RowSink(Protocol):
    """What the shared writers (``CaseWriter``, ``GapWriter``) need of a backend."""

    def now(self) -> str: ...
    def insert_row(self, table: str, row: dict[str, Any]) -> int: ...


class StoreClosed(sqlite3.ProgrammingError):
    """The store was closed under a caller (the process is shutting down).

    Both backends raise it. It subclasses ``sqlite3.ProgrammingError`` only so that code
    written against the SQLite store (``except sqlite3.ProgrammingError``) keeps working
    until it catches ``StoreClosed`` instead.
    """


def database_fault(exc: BaseException) -> bool:
    """The database failed in a way time may cure (read-only for a moment, locked, an I/O
    error, the server unreachable); not the store closed under the caller (shutting down)."""
    if isinstance(exc, StoreClosed):
        return False
    return type(exc).__module__.partition(".")[0] in ("sqlite3", "psycopg")
