"""Slack surface: commands (being built)."""

from __future__ import annotations

from slack_bolt import App

from bot.config import Settings
from bot.engine import Engine


def register(app: App, engine: Engine, settings: Settings) -> None:
    """Attach this surface's listeners to the app."""
