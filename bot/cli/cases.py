"""`cases`, `summary` and `replay` commands (the case log)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
