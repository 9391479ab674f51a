"""Where a question came from, and what that implies, defined once for every layer.

The stored vocabularies (``Status``, ``Action`` — also the feedback buttons' ids — and
``GapReason``) are defined once in ``bot.store.models``; ``SOURCES`` there is this enum.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Source", "Where"]


class Source(StrEnum):
    """Where a question came from; stored in ``cases.source`` and ``gaps.source``."""

    CHANNEL = "channel"  # a channel message the bot overheard
    DM = "dm"
    MENTION = "mention"  # an @mention, in a channel or a thread
    SLASH = "slash"  # /emailstatus <question>
    SHORTCUT = "shortcut"  # the "Find email-status fix" message shortcut
    CONSOLE = "console"  # the local console (`make run` without tokens)
    WORKFLOW = "workflow"  # the Workflow Builder step

    @property
    def direct(self) -> bool:
        """The asker spoke to the bot: silence would be rude, and a miss is a knowledge gap."""
        return self is not Source.CHANNEL

    @property
    def follows_up(self) -> bool:
        """The answer sits in a conversation the bot can come back to ("did it fix it?")."""
        return self in (Source.CHANNEL, Source.DM, Source.MENTION)

    @property
    def confirms_suggestions(self) -> bool:
        """A weak match asks "Is this about …?" first instead of answering with a caveat.

        In a channel nobody asked the bot; in the console a yes/no costs nothing.
        """
        return self in (Source.CHANNEL, Source.CONSOLE)

    @property
    def typed_replies(self) -> bool:
        """No buttons: "that fixed it", "yes" and "no" are typed, and read as clicks."""
        return self is Source.CONSOLE

    @property
    def label(self) -> str:
        """How the summary and `cases list` name the source."""
        return SOURCE_LABELS[self]


SOURCE_LABELS = {
    Source.CHANNEL: "channel messages",
    Source.DM: "direct messages",
    Source.MENTION: "@mentions",
    Source.SLASH: "/emailstatus",
    Source.SHORTCUT: "message shortcut",
    Source.CONSOLE: "console",
    Source.WORKFLOW: "Workflow Builder step",
}


@dataclass(frozen=True)
class Where:
    """Where a question came from (all but the source optional outside Slack)."""

    source: Source | str
    team: str | None = None
    channel: str | None = None
    thread_ts: str | None = None
    user: str | None = None
    enterprise: str | None = None  # the Enterprise Grid org (an org-wide install serves it)

    @property
    def kind(self) -> Source:
        return Source(self.source)
