"""Realistic Slack payloads (as Slack sends them) for the listener and end-to-end tests.

Shapes follow Slack's reference for event_callback, slash commands, block_actions and
message_action payloads, trimmed to the fields a bot may read.
"""

from __future__ import annotations

import itertools
import json
from typing import Any
from urllib.parse import urlencode

TEAM = "T0TEAM"
BOT_USER = "UBOT"
BOT_ID = "BBOT"
APP_ID = "A0APP"

_ids = itertools.count(1)


def next_ts() -> str:
    return f"1760000000.{next(_ids):06d}"


def event_body(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {
        "token": "legacy",
        "team_id": TEAM,
        "api_app_id": APP_ID,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):08d}",
        "event_time": 1760000000,
        "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
        "event": event,
    }


def message(
    text: str,
    *,
    channel: str = "C0SUPPORT",
    user: str = "U0AGENT",
    ts: str | None = None,
    thread_ts: str | None = None,
    channel_type: str = "channel",
    **extra: Any,
) -> dict[str, Any]:
    event = {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts or next_ts(),
        "team": TEAM,
        "channel_type": channel_type,
        **extra,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def mention(text: str, **kwargs: Any) -> dict[str, Any]:
    event = message(f"<@{BOT_USER}> {text}", **kwargs)
    event["type"] = "app_mention"
    event.pop("channel_type")
    return event


def bot_message(text: str, *, channel: str = "C0SUPPORT") -> dict[str, Any]:
    return {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": "B0OTHER",
        "text": text,
        "ts": next_ts(),
        "channel": channel,
        "channel_type": "channel",
    }


def edited(channel: str = "C0SUPPORT") -> dict[str, Any]:
    ts = next_ts()
    return {
        "type": "message",
        "subtype": "message_changed",
        "channel": channel,
        "ts": next_ts(),
        "hidden": True,
        "message": {"type": "message", "user": "U0AGENT", "text": "Outlook 2010 opens", "ts": ts},
        "channel_type": "channel",
    }


def deleted(channel: str = "C0SUPPORT") -> dict[str, Any]:
    return {
        "type": "message",
        "subtype": "message_deleted",
        "channel": channel,
        "ts": next_ts(),
        "deleted_ts": next_ts(),
        "hidden": True,
        "channel_type": "channel",
    }


def joined(channel: str = "C0SUPPORT") -> dict[str, Any]:
    return {
        "type": "message",
        "subtype": "channel_join",
        "channel": channel,
        "user": "U0NEW",
        "text": "<@U0NEW> has joined the channel",
        "ts": next_ts(),
        "channel_type": "channel",
    }


def home_opened(user: str = "U0AGENT", tab: str = "home") -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": tab}


def slash_form(
    text: str,
    *,
    response_url: str,
    user: str = "U0AGENT",
    channel: str = "C0SUPPORT",
) -> str:
    """A /emailstatus request body: form-encoded, with Slack's HTML-escaping of the text."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return urlencode(
        {
            "token": "legacy",
            "team_id": TEAM,
            "team_domain": "acme",
            "channel_id": channel,
            "channel_name": "support",
            "user_id": user,
            "user_name": "agent",
            "command": "/emailstatus",
            "text": escaped,
            "api_app_id": APP_ID,
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    )


def interactive_form(payload: dict[str, Any]) -> str:
    """Interactivity requests are form-encoded with one ``payload`` field of JSON."""
    return urlencode({"payload": json.dumps(payload)})


def block_actions(
    posted: dict[str, Any],
    action_id: str,
    *,
    value: str | None = None,
    user: str = "U0AGENT",
    channel: str = "C0SUPPORT",
    ts: str | None = None,
    thread_ts: str | None = None,
    response_url: str,
    ephemeral: bool = False,
) -> dict[str, Any]:
    """A click on ``action_id`` in a message the bot posted (``posted`` has its blocks)."""
    button, block_id = _find_button(posted, action_id, value)
    ts = ts or next_ts()
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": ts,
        "channel_id": channel,
        "is_ephemeral": ephemeral,
    }
    body: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "username": "agent", "team_id": TEAM},
        "api_app_id": APP_ID,
        "token": "legacy",
        "container": container,
        "trigger_id": "1.2.3",
        "team": {"id": TEAM, "domain": "acme"},
        "channel": {"id": channel, "name": "support"},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "text": button["text"],
                "value": button.get("value", ""),
                "action_ts": next_ts(),
            }
        ],
    }
    if thread_ts:
        container["thread_ts"] = thread_ts
    if not ephemeral:  # Slack sends the message only for non-ephemeral containers
        message = {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "ts": ts,
                   "text": posted.get("text", ""), "blocks": posted.get("blocks", [])}  # fmt: skip
        if thread_ts:
            message["thread_ts"] = thread_ts
        body["message"] = message
    return body


def _find_button(
    posted: dict[str, Any], action_id: str, value: str | None
) -> tuple[dict[str, Any], str]:
    for block in posted.get("blocks") or []:
        if block.get("type") != "actions":
            continue
        for element in block["elements"]:
            if element.get("action_id") == action_id and value in (None, element.get("value")):
                return element, block.get("block_id", "")
    raise AssertionError(f"no {action_id} button (value={value}) in {posted.get('text')!r}")


def message_shortcut(
    text: str,
    *,
    response_url: str,
    channel: str = "C0SUPPORT",
    user: str = "U0AGENT",
    ts: str | None = None,
    thread_ts: str | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "message", "user": "U0CUSTOMER", "text": text,
                               "ts": ts or next_ts()}  # fmt: skip
    if thread_ts:
        message["thread_ts"] = thread_ts
    return {
        "type": "message_action",
        "callback_id": "find_fix",
        "trigger_id": "1.2.3",
        "message_ts": message["ts"],
        "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": user, "name": "agent"},
        "channel": {"id": channel, "name": "support"},
        "message": message,
        "response_url": response_url,
        "token": "legacy",
    }
