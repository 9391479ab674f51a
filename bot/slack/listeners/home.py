"""App Home: a quick reference of every version's steps and how to use the bot."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.config import Settings
from bot.conversation import Conversation
from bot.engine import Engine
from bot.render.home import home_view
from bot.render.summary import home_figures_blocks
from bot.render.workspace_settings import settings_button_block
from bot.slack.listeners.common import workspace_of
from bot.slack.workspaces import Workspace


def case_log_blocks(
    conversation: Conversation, user_id: str, workspace: Workspace | None = None
) -> list[dict[str, Any]]:
    """This week's figures and the viewer's recent cases, after the quick reference:
    of the viewer's workspace only (two workspaces may share a user id).

    The whole tab is cut at Slack's 100-block limit, so keep this under about 60 blocks.
    """
    workspace = workspace or Workspace(None)
    figures = conversation.home(user_id, workspace.team_id, workspace.enterprise_id)
    return [settings_button_block(), *home_figures_blocks(*figures)]


def publish_home(
    conversation: Conversation, client: WebClient, user_id: str, workspace: Workspace | None = None
) -> None:
    extra = case_log_blocks(conversation, user_id, workspace)
    articles = conversation.engine.knowledge.articles
    client.views_publish(user_id=user_id, view=home_view(articles, extra))


def register(app: App, engine: Engine, settings: Settings) -> None:
    conversation = Conversation(engine, settings)

    @app.event("app_home_opened")
    def on_home_opened(
        event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        # The same event fires for the Messages tab; only the Home tab has a view to publish.
        if event.get("tab", "home") == "home" and event.get("user"):
            workspace = workspace_of(context, body)
            publish_home(conversation, client, str(event["user"]), workspace)
