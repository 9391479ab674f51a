"""`run`: the local console with no Slack tokens, Socket Mode with them."""

from __future__ import annotations

import sys

import click

from bot.config import ConfigError, Settings
from bot.console import run_console
from bot.engine import Engine


def _prompting_lines(interactive: bool):  # type: ignore[no-untyped-def]
    """stdin lines; with a terminal, show a prompt before each."""
    if not interactive:
        yield from sys.stdin
        return
    while True:
        try:
            yield input("you> ")
        except EOFError:
            return


@click.command()
def run() -> None:
    """Start the bot: Socket Mode with Slack tokens, else the local console.

    Socket Mode needs SLACK_BOT_TOKEN (xoxb-) and SLACK_APP_TOKEN (xapp-). With neither
    set, a console chat starts on the same engine (SQLite included).

    \b
    Example:
      printf 'why does times opened stay at 0 for outlook 2010 users?\\n' | emailstatus-bot run
    """
    settings = Settings.from_env()
    try:
        mode = settings.runtime_mode()
    except ConfigError as exc:
        click.echo(f"configuration error: {exc}", err=True)
        sys.exit(2)
    engine = Engine.from_settings(settings)
    for problem in engine.knowledge.problems:
        click.echo(f"knowledge: {problem}", err=True)
    if not engine.knowledge.articles:
        click.echo(f"configuration error: no valid articles in {settings.knowledge_dir}", err=True)
        sys.exit(2)
    if mode == "console":
        interactive = sys.stdin.isatty()
        run_console(engine, _prompting_lines(interactive), click.echo, interactive)
        return
    click.echo("Socket Mode is not available in this build.", err=True)
    sys.exit(2)


COMMANDS: list[click.Command] = [run]
