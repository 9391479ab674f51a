"""Per-workspace settings: a modal from App Home or ``/emailstatus settings``.

Anyone may open it; only a workspace admin or owner (``users.info`` ``is_admin``,
``is_owner``, ``is_primary_owner``), or the person who installed the app, gets the
editable form, and a submission is checked again (a view can be submitted by whoever
holds it). A bad value is shown in the modal, next to its field
(``response_action: errors``), and nothing is saved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.engine import Engine
from bot.render.workspace_settings import (
    OPEN_SETTINGS,
    SETTINGS_CALLBACK,
    settings_modal,
    submitted_values,
)
from bot.scheduler import parse_schedule
from bot.slack.listeners.common import slack_error, workspace_of
from bot.slack.workspaces import Workspace
from bot.workspace_config import config_for, defaults, problems

logger = logging.getLogger(__name__)

InstallerOf = Callable[[Workspace], str | None]  # the installing user's id, if recorded
ADMIN_FLAGS = ("is_admin", "is_owner", "is_primary_owner")


def installer_from(app: Any) -> InstallerOf | None:
    """The installing user of a workspace, from bolt's installation store (OAuth mode);
    None with one bot token, where no install record names anyone."""
    store = getattr(app, "installation_store", None)
    if store is None:
        return None

    def installer_of(workspace: Workspace) -> str | None:
        try:
            found = store.find_installation(
                enterprise_id=workspace.enterprise_id, team_id=workspace.team_id,
                is_enterprise_install=workspace.team_id is None,
            )  # fmt: skip
        except Exception:  # the store is down: admins still pass through users.info
            logger.exception("installation lookup failed")
            return None
        return getattr(found, "user_id", None) if found is not None else None

    return installer_of


def may_change(
    client: WebClient, user: str, workspace: Workspace, installer_of: InstallerOf | None = None
) -> bool:
    """Is ``user`` an admin or owner of this workspace, or the app's installer?"""
    if not user:
        return False
    if installer_of is not None and installer_of(workspace) == user:
        return True
    try:
        found = client.users_info(user=user).get("user") or {}
    except SlackApiError as exc:  # e.g. missing users:read: nobody is an admin then
        logger.warning("users.info failed (%s): settings shown read-only", slack_error(exc))
        return False
    return any(bool(found.get(flag)) for flag in ADMIN_FLAGS)


def open_settings(
    engine: Engine,
    settings: Settings,
    client: WebClient,
    body: dict[str, Any],
    *,
    installer_of: InstallerOf | None = None,
    workspace: Workspace | None = None,
) -> None:
    """Open the modal for the person in ``body`` (needs its ``trigger_id``, 3 seconds)."""
    workspace = workspace or Workspace.of(body)
    user = str((body.get("user") or {}).get("id") or body.get("user_id") or "")
    editable = may_change(client, user, workspace, installer_of)
    now = config_for(engine.store, settings, workspace.team_id, workspace.enterprise_id)
    view = settings_modal(now, defaults(settings), editable=editable)
    client.views_open(trigger_id=str(body["trigger_id"]), view=view)


def normalised(values: dict[str, str | None]) -> dict[str, str | None]:
    """The values as stored: a schedule in the one spelling (``FRI 16:30``)."""
    schedule = values.get("summary_schedule")
    if schedule:
        values = {**values, "summary_schedule": str(parse_schedule(schedule))}
    return values


def register(
    app: App, engine: Engine, settings: Settings, *, installer_of: InstallerOf | None = None
) -> None:
    """``installer_of``: who installed the app in a workspace (default: bolt's installation
    store's record, in OAuth mode); that person may change the settings too."""
    installer_of = installer_of or installer_from(app)

    @app.action(OPEN_SETTINGS)
    def on_open(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        workspace = workspace_of(context, body)
        open_settings(
            engine, settings, client, body, installer_of=installer_of, workspace=workspace
        )

    @app.view(SETTINGS_CALLBACK)
    def on_submit(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        workspace = workspace_of(context, body)
        user = str((body.get("user") or {}).get("id") or "")
        state = ((body.get("view") or {}).get("state") or {}).get("values")
        if not isinstance(state, dict) or not state:
            logger.warning("settings submission without its values: ignored")
            ack()
            return
        if not may_change(client, user, workspace, installer_of):
            logger.warning("settings submitted by %s, who may not change them", user)
            first = next(iter(state), "summary_channel")
            ack(response_action="errors", errors={first: "Only workspace admins can change these."})
            return
        values = submitted_values(state)
        wrong = problems(values)
        if wrong:
            ack(response_action="errors", errors=wrong)
            return
        ack()
        engine.store.workspace_settings.save(
            workspace.team_id, workspace.enterprise_id, normalised(values), user
        )
        logger.info("workspace settings saved by %s", user)
