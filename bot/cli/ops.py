"""`config check`: operations commands."""

from __future__ import annotations

import sys

import click

from bot.cli.choices import LazyChoice, config_modes
from bot.config import Settings


@click.group()
def config() -> None:
    """Inspect the configuration."""


@config.command(name="check")
@click.option(
    "--mode", type=LazyChoice(config_modes), default="auto", show_default=True,
    help="Check for this way of running (auto: from the tokens that are set).",
)  # fmt: skip
def config_check(mode: str) -> None:
    """Print the effective configuration (secrets masked), the database (kind, server
    version, migration level; never its password), then every problem, one per line.

    Exits 1 when there is any problem.

    \b
    Example:
      emailstatus-bot config check --mode http
    """
    from bot import configcheck  # loads the matcher: only when the command runs

    settings = Settings.from_env()
    resolved = configcheck.resolve_mode(settings, mode)
    click.echo(f"mode: {resolved}")
    for note in configcheck.mode_notes(settings, resolved):
        click.echo(f"  {note}")
    for line in configcheck.effective_lines(settings):
        click.echo(f"  {line}")
    database = configcheck.database_probe(settings)
    click.echo(database.line())
    found = configcheck.problems(settings, resolved, database)
    for problem in found:
        click.echo(f"problem: {problem}")
    if found:
        click.echo(f"{len(found)} problem(s).", err=True)
        sys.exit(1)
    click.echo("ok: no problems found.")


COMMANDS: list[click.Command] = [config]
