"""Slack surfaces: the bolt App and one listener module per surface."""
