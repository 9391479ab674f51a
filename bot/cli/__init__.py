"""emailstatus-bot command line: thin click commands over the core."""

from __future__ import annotations

import click

from bot.cli import cases, core, learn, ops, run, workspaces
from bot.commands import usage_lines

EPILOG = (
    "\b\nIn Slack:\n"
    + "\n".join(f"  {line}" for line in usage_lines())
    + ('\n\n\bExample:\n  emailstatus-bot ask "Times Opened stays at 0 for Outlook 2010 users"')
)


@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="emailstatus-bot")
def main() -> None:
    """Answer 'Salesforce HTML Email Status not updating in Outlook' questions.

    With no Slack tokens, `emailstatus-bot run` opens a local console chat on the same
    engine as the Slack bot.
    """


for module in (core, run, ops, cases, learn, workspaces):
    for command in module.COMMANDS:
        main.add_command(command)
