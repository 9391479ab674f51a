"""Small helpers shared by the listener modules (posting, updating, reading payloads)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.render.blocks import Payload
from bot.slack.workspaces import Workspace

logger = logging.getLogger(__name__)


def post_in_thread(client: WebClient, channel: str, thread_ts: str, payload: Payload) -> str:
    """Post a threaded reply and return its ts. No unfurls: the source link stays small."""
    response = client.chat_postMessage(
        channel=channel, thread_ts=thread_ts, unfurl_links=False, unfurl_media=False, **payload
    )
    return str(response.get("ts") or "")


def slack_error(exc: SlackApiError) -> str:
    return str(exc.response.get("error") or "") if exc.response is not None else ""


def workspace_of(context: Mapping[str, Any], body: Mapping[str, Any]) -> Workspace:
    """The workspace a request is for: bolt's reading of it (the installing team of an
    event, ``view.app_installed_team_id`` of a modal), else the body's own fields."""
    found = Workspace.of(body)
    team, enterprise = context.get("team_id"), context.get("enterprise_id")
    if team and team == enterprise:  # an org-wide install's modal: the org, not a workspace
        team = None
    return Workspace(team or found.team_id, enterprise or found.enterprise_id)


# -- block_actions payloads ------------------------------------------------------------


def clicker(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


def container(body: dict[str, Any]) -> dict[str, Any]:
    return body.get("container") or {}


def is_ephemeral(body: dict[str, Any]) -> bool:
    return bool(container(body).get("is_ephemeral"))


def thread_root(body: dict[str, Any]) -> str | None:
    message = body.get("message") or {}
    return message.get("thread_ts") or container(body).get("thread_ts")


def update_in_place(
    body: dict[str, Any], client: WebClient, respond: Respond, payload: Payload
) -> None:
    """Replace the clicked message: chat.update for channel messages, response_url otherwise.

    Ephemeral messages (slash replies, shortcut fallbacks) cannot be edited with
    chat.update; messages posted through a response_url may not be ours to edit.
    """
    where = container(body)
    if where.get("is_ephemeral") or not where.get("message_ts"):
        respond(replace_original=True, **payload)
        return
    try:
        client.chat_update(channel=where["channel_id"], ts=where["message_ts"], **payload)
    except SlackApiError as exc:
        logger.info("chat.update failed (%s); replacing through response_url", slack_error(exc))
        respond(replace_original=True, **payload)


def tell_clicker(
    body: dict[str, Any], client: WebClient, respond: Respond, payload: Payload
) -> None:
    """An ephemeral message only the clicker sees, in the thread of the clicked message."""
    where = container(body)
    channel = where.get("channel_id") or (body.get("channel") or {}).get("id")
    if where.get("is_ephemeral") or not channel:
        respond(response_type="ephemeral", replace_original=False, **payload)
        return
    try:
        client.chat_postEphemeral(
            channel=channel,
            user=clicker(body),
            thread_ts=thread_root(body) or where.get("message_ts"),
            **payload,
        )
    except SlackApiError as exc:
        logger.info("chat.postEphemeral failed (%s); using response_url", slack_error(exc))
        respond(response_type="ephemeral", replace_original=False, **payload)
