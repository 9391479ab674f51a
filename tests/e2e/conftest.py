"""End-to-end fixtures: the bot served over real HTTP against the fake Slack Web API."""

from tests.support.http_harness import live, live_settings, slack, slack_server

__all__ = ["live", "live_settings", "slack", "slack_server"]
