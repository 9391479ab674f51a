"""Which workspace a piece of work belongs to, and the client that speaks for it.

Listeners get the right token from bolt (``context.client``). Work that runs outside a
request (weekly summaries, follow-ups, the inbox re-run) asks a ``WorkspaceClients``
for the client of the workspace the work belongs to, so a workspace is never answered
with another's token. ``OneWorkspace`` is the single-workspace mode (``SLACK_BOT_TOKEN``);
the OAuth mode answers from the installation store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from slack_sdk import WebClient


@dataclass(frozen=True)
class Workspace:
    """A Slack workspace; ``enterprise_id`` is set on Enterprise Grid."""

    team_id: str | None
    enterprise_id: str | None = None

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> Workspace:
        """The workspace a Slack request body comes from (events, commands, interactions)."""
        team = body.get("team")
        team_id = body.get("team_id") or (team.get("id") if isinstance(team, dict) else team)
        enterprise = body.get("enterprise")
        enterprise_id = body.get("enterprise_id") or (
            enterprise.get("id") if isinstance(enterprise, dict) else enterprise
        )
        return cls(_text_or_none(team_id), _text_or_none(enterprise_id))


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


class WorkspaceClients(Protocol):
    def client_for(self, workspace: Workspace) -> WebClient | None:
        """The client holding this workspace's bot token; None once it is uninstalled."""
        ...

    def workspaces(self) -> list[Workspace]:
        """Every workspace the bot is installed in now."""
        ...


class OneWorkspace:
    """Single-workspace mode: one bot token, one workspace (whatever its id)."""

    def __init__(self, client: WebClient, workspace: Workspace | None = None) -> None:
        self.client = client
        self.workspace = workspace or Workspace(None)

    def client_for(self, workspace: Workspace) -> WebClient | None:
        return self.client

    def workspaces(self) -> list[Workspace]:
        return [self.workspace]
