"""A workspace leaves: ``app_uninstalled`` and ``tokens_revoked`` (multi-workspace mode).

Its tokens are deleted at once, so no later call can use them, and its next event
finds no installation (bolt then answers without calling Slack). With
UNINSTALL_PURGES_CASES its cases and knowledge gaps are deleted too; otherwise they
stay for the summary and ``learn``. In single-workspace mode there is nothing to
forget (the one token dies with the install), and these events go to the catch-all.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext

from bot.config import Settings
from bot.engine import Engine

logger = logging.getLogger(__name__)


def register(app: App, engine: Engine, settings: Settings) -> None:
    if not settings.oauth_mode:
        return
    from bot.slack.oauth import installation_store

    installations = installation_store(settings, engine.store)

    def workspace(context: BoltContext) -> tuple[str | None, str | None]:
        # An org-wide install is kept under its enterprise alone (bot.slack.oauth).
        team = None if context.is_enterprise_install else context.team_id
        return context.enterprise_id, team

    @app.event("app_uninstalled")
    def on_uninstalled(context: BoltContext) -> None:
        enterprise_id, team_id = workspace(context)
        installations.delete_all(enterprise_id=enterprise_id, team_id=team_id)
        logger.info("uninstalled from %s: its tokens are deleted", team_id or enterprise_id)
        if settings.uninstall_purges_cases and context.team_id:
            cases, gaps = engine.store.purge_workspace(context.team_id)
            logger.info("purged %d cases and %d gaps of %s", cases, gaps, context.team_id)

    @app.event("tokens_revoked")
    def on_tokens_revoked(event: dict[str, Any], context: BoltContext) -> None:
        enterprise_id, team_id = workspace(context)
        tokens = event.get("tokens") or {}
        if tokens.get("bot"):
            installations.delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        for user_id in tokens.get("oauth") or []:
            installations.delete_installation(
                enterprise_id=enterprise_id, team_id=team_id, user_id=str(user_id)
            )
        logger.info("tokens revoked in %s: deleted", team_id or enterprise_id)
