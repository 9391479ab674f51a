"""Each workspace's effective settings: what its admin saved, else the environment's.

The settings modal (bot/slack/listeners/workspace_settings.py) saves
``WorkspaceOverrides`` per installation; the conversation, escalations and the weekly
summary read ``config_for``. An org-wide install (Enterprise Grid) saves one row for
the whole org (team ''), which a workspace of it uses until it saves its own.
No Slack import here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config import ConfigError, Settings
from bot.scheduler import Schedule, parse_schedule
from bot.store import Store
from bot.store.models import WORKSPACE_SETTINGS, WorkspaceOverrides

ON_OFF = ("on", "off")


@dataclass(frozen=True)
class WorkspaceConfig:
    """The settings one workspace runs with now."""

    summary_channel: str
    escalation_channel: str
    suggestions_enabled: bool
    summary_schedule: str
    summary_tz: str
    saved: WorkspaceOverrides | None = None  # what its admin saved, if anything

    def timezone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.summary_tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"SUMMARY_TZ '{self.summary_tz}' is not a known time zone.") from exc

    def schedule(self) -> Schedule:
        return parse_schedule(self.summary_schedule)


def defaults(settings: Settings) -> WorkspaceConfig:
    """The environment's values: every workspace's settings until its admin saves."""
    return WorkspaceConfig(
        summary_channel=settings.summary_channel,
        escalation_channel=settings.escalation_channel,
        suggestions_enabled=settings.suggestions_enabled,
        summary_schedule=settings.summary_schedule,
        summary_tz=settings.summary_tz,
    )


def effective(settings: Settings, saved: WorkspaceOverrides | None) -> WorkspaceConfig:
    base = defaults(settings)
    if saved is None:
        return base
    suggestions = (
        base.suggestions_enabled if saved.suggestions is None else saved.suggestions == "on"
    )
    return WorkspaceConfig(
        summary_channel=saved.summary_channel or base.summary_channel,
        escalation_channel=saved.escalation_channel or base.escalation_channel,
        suggestions_enabled=suggestions,
        summary_schedule=saved.summary_schedule or base.summary_schedule,
        summary_tz=saved.summary_tz or base.summary_tz,
        saved=saved,
    )


def saved_for(store: Store, team: str | None, enterprise: str | None) -> WorkspaceOverrides | None:
    """This installation's row: the workspace's own, else its org-wide install's.

    No team and no enterprise is single-workspace background work (the bot token's one
    workspace, whatever its id): it reads the one row saved, if there is exactly one.
    """
    if not team and not enterprise:
        rows = store.workspace_settings.all()
        return rows[0] if len(rows) == 1 else None
    own = store.workspace_settings.get(team, enterprise)
    if own is None and enterprise and team:
        return store.workspace_settings.get(None, enterprise)
    return own


def config_for(
    store: Store, settings: Settings, team: str | None, enterprise: str | None = None
) -> WorkspaceConfig:
    return effective(settings, saved_for(store, team, enterprise))


def problems(values: Mapping[str, str | None]) -> dict[str, str]:
    """What is wrong with values an admin submitted, by setting name (empty: all good)."""
    found: dict[str, str] = {}
    schedule = values.get("summary_schedule")
    if schedule:
        try:
            parse_schedule(schedule)
        except ValueError:
            found["summary_schedule"] = (
                "Use a day and a 24-hour time, like MON 09:00 or friday 16:30."
            )
    tz = values.get("summary_tz")
    if tz:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            found["summary_tz"] = "Use a time zone name such as Europe/Paris or America/New_York."
    suggestions = values.get("suggestions")
    if suggestions and suggestions not in ON_OFF:
        found["suggestions"] = "Choose on or off."
    unknown = set(values) - set(WORKSPACE_SETTINGS)
    for name in sorted(unknown):
        found[name] = "Not a setting."
    return found
