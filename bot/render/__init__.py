"""Renderers: pure functions from core data to Slack Block Kit or plain text."""
