"""`serve` and `config` commands (production HTTP and operations)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
