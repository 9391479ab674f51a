"""The Slack app manifests in deploy/ parse, agree with each other and with the code.

Each subscribed event is sent to the real app over HTTP and must get a reply; each
event the code listens to must be subscribed; the scopes are exactly what the events
and the Web API methods we call need (Slack's method and event reference).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from bot.commands import COMMAND
from bot.slack.listeners import shortcuts
from bot.slack.oauth import BOT_SCOPES, REDIRECT_PATH
from tests.support import payloads as P
from tests.support.http_harness import LiveBot

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
LISTENERS = ROOT / "bot" / "slack"
ON_2010 = "Times Opened never moves past 0 for our rep's emails; recipients run Outlook 2010."

# Slack's event reference: the scope each bot event needs.
EVENT_SCOPES = {
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
    "app_mention": "app_mentions:read",
    "app_home_opened": None,
    "app_uninstalled": None,
    "tokens_revoked": None,
}
# Only the distribution manifest subscribes to these: a workspace that leaves (its tokens
# are forgotten; tests/e2e/oauth/test_install.py sends them to the running app).
LEAVING_EVENTS = {"app_uninstalled", "tokens_revoked"}
# Scopes for what we call: chat.* replies and commands/shortcuts; files_upload_v2 for
# the weekly chart; users.info, to tell a workspace's admins (who may change its
# settings) from its members. chat.getPermalink, views.publish and views.open need no scope.
CALL_SCOPES = {"chat:write", "commands", "files:write", "users:read"}


def load(kind: str) -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / f"slack-manifest-{kind}.yaml").read_text())


@pytest.fixture(params=["socket", "http", "distribution"])
def manifest(request: pytest.FixtureRequest) -> dict[str, Any]:
    return load(request.param)


def test_both_describe_the_same_app_apart_from_transport():
    def without_transport(manifest: dict[str, Any]) -> dict[str, Any]:
        stripped = copy.deepcopy(manifest)
        stripped["settings"].pop("socket_mode_enabled")
        stripped["settings"]["event_subscriptions"].pop("request_url", None)
        stripped["settings"]["interactivity"].pop("request_url", None)
        for command in stripped["features"]["slash_commands"]:
            command.pop("url", None)
        return stripped

    assert without_transport(load("socket")) == without_transport(load("http"))


def test_socket_mode_manifest_has_no_urls():
    manifest = load("socket")
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "url" not in str(manifest["settings"]) + str(manifest["features"])


def test_http_manifest_sends_everything_to_the_served_route(live: LiveBot):
    manifest = load("http")
    assert manifest["settings"]["socket_mode_enabled"] is False
    urls = [
        manifest["settings"]["event_subscriptions"]["request_url"],
        manifest["settings"]["interactivity"]["request_url"],
        *(c["url"] for c in manifest["features"]["slash_commands"]),
    ]
    served = urlparse(live.url).path
    assert [urlparse(u).path for u in urls] == [served] * 3
    assert all(u.startswith("https://") for u in urls)  # Slack requires HTTPS


def test_command_shortcut_and_app_home_match_the_code(manifest: dict[str, Any]):
    features = manifest["features"]
    assert [c["command"] for c in features["slash_commands"]] == [COMMAND]
    [shortcut] = features["shortcuts"]
    assert (
        shortcut["type"] == "message" and shortcut["callback_id"] == shortcuts.SHORTCUT_CALLBACK_ID
    )
    assert shortcut["name"] == "Find email-status fix"
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["app_home"]["messages_tab_enabled"] is True  # DMs to the bot
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert 174 <= len(manifest["display_information"]["long_description"]) <= 4000


def test_scopes_are_exactly_what_events_and_calls_need(manifest: dict[str, Any]):
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    needed = {EVENT_SCOPES[e] for e in events} - {None} | CALL_SCOPES
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == needed
    assert "files_upload_v2" in (LISTENERS / "weekly.py").read_text()
    assert "users_info" in (LISTENERS / "listeners" / "workspace_settings.py").read_text()


def test_every_event_the_code_listens_to_is_subscribed(manifest: dict[str, Any]):
    source = "\n".join(p.read_text() for p in (LISTENERS / "listeners").glob("*.py"))
    listened = set(re.findall(r'@app\.event\("(\w+)"\)', source))
    assert listened == {"message", "app_mention", "app_home_opened"} | LEAVING_EVENTS
    subscribed = {
        e.split(".")[0] for e in manifest["settings"]["event_subscriptions"]["bot_events"]
    }
    distributed = "redirect_urls" in manifest["oauth_config"]
    assert subscribed == (listened if distributed else listened - LEAVING_EVENTS)


POST = "chat.postMessage"
SUBSCRIBED = {
    "message.channels": (P.message(ON_2010, channel_type="channel"), POST),
    "message.groups": (P.message(ON_2010, channel="G0PRIVATE", channel_type="group"), POST),
    "message.im": (P.message(ON_2010, channel="D0AGENT", channel_type="im"), POST),
    "app_mention": (P.mention(ON_2010), POST),
    "app_home_opened": (P.home_opened(), "views.publish"),
}


@pytest.mark.parametrize("subscription", sorted(SUBSCRIBED))
def test_each_subscribed_event_gets_a_reply(subscription: str, live: LiveBot):
    for kind in ("socket", "http"):
        assert subscription in load(kind)["settings"]["event_subscriptions"]["bot_events"]
    event, reply_method = SUBSCRIBED[subscription]
    live.event(copy.deepcopy(event))
    assert len(live.slack.calls(reply_method)) == 1


def test_the_distribution_manifest_is_the_http_one_plus_oauth():
    distribution, http = load("distribution"), load("http")
    redirects = distribution["oauth_config"].pop("redirect_urls")
    events = distribution["settings"]["event_subscriptions"]["bot_events"]
    assert set(events) - set(http["settings"]["event_subscriptions"]["bot_events"]) == (
        LEAVING_EVENTS
    )
    distribution["settings"]["event_subscriptions"]["bot_events"] = [
        e for e in events if e not in LEAVING_EVENTS
    ]
    assert distribution == http
    assert [urlparse(url).path for url in redirects] == [REDIRECT_PATH]
    assert all(url.startswith("https://") for url in redirects)


def test_the_oauth_install_asks_for_the_manifest_scopes():
    for kind in ("socket", "http", "distribution"):
        assert load(kind)["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES), kind
