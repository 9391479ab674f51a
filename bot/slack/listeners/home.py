"""App Home: a quick reference of every version's steps and how to use the bot."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.config import Settings
from bot.engine import Engine
from bot.render.home import home_view
from bot.render.summary import home_figures_blocks
from bot.store import utc_now
from bot.summary import summary_for


def case_log_blocks(engine: Engine, settings: Settings, user_id: str) -> list[dict[str, Any]]:
    """Hook for the case-log issue (4): this week's figures and the viewer's recent cases.

    Return Block Kit dicts; they are appended after the quick reference. The whole tab
    is cut at Slack's 100-block limit, so keep this under about 60 blocks.
    """
    tz = settings.timezone()
    summary = summary_for(engine.store, "current", tz, utc_now())
    return home_figures_blocks(summary, engine.store.cases.recent(user_id))


def publish_home(engine: Engine, settings: Settings, client: WebClient, user_id: str) -> None:
    extra = case_log_blocks(engine, settings, user_id)
    client.views_publish(user_id=user_id, view=home_view(engine.knowledge.articles, extra))


def register(app: App, engine: Engine, settings: Settings) -> None:
    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], client: WebClient) -> None:
        # The same event fires for the Messages tab; only the Home tab has a view to publish.
        if event.get("tab", "home") == "home" and event.get("user"):
            publish_home(engine, settings, client, str(event["user"]))
