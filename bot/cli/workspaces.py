"""`workspaces`: the installations of multi-workspace mode, and their encryption key."""

from __future__ import annotations

import json
import sys

import click

from bot.config import Settings


@click.group()
def workspaces() -> None:
    """Multi-workspace mode: installed workspaces and the key their tokens are kept with."""


@workspaces.command(name="list")
def list_workspaces() -> None:
    """Every installation in the database: workspace, org, installer, when, token state.

    Tokens are never shown (nor decrypted).

    \b
    Example:
      emailstatus-bot workspaces list
    """
    from bot.cli.cases import open_store

    store = open_store()
    try:
        rows = store.installations.all()
    finally:
        store.close()
    if not rows:
        click.echo("No workspace has installed the app (multi-workspace mode: /slack/install).")
        return
    for row in rows:
        details = json.loads(row.details)
        where = row.team_id or f"{row.enterprise_id} (org-wide)"
        name = details.get("team_name") or details.get("enterprise_name") or ""
        state = "tokens stored" if row.bot_secrets else "bot token revoked"
        if details.get("bot_token_expires_at"):
            state += ", rotating"
        click.echo(f"{where}\t{name}\tinstalled {row.installed_at} by {row.user_id}\t{state}")


@workspaces.command(name="new-key")
def new_key_command() -> None:
    """Print a new random TOKEN_ENCRYPTION_KEY (a Fernet key); nothing is stored.

    Keep it with the other secrets: without it the stored tokens cannot be read, and
    every workspace must install the app again.

    \b
    Example:
      emailstatus-bot workspaces new-key
    """
    from bot.tokens import new_key

    click.echo(new_key())


@workspaces.command(name="rotate-key")
def rotate_key() -> None:
    """Encrypt every stored token again with the first key of TOKEN_ENCRYPTION_KEY.

    Rotation: set TOKEN_ENCRYPTION_KEY=NEW,OLD and restart the bot (it reads with both,
    writes with NEW), run this command, then set TOKEN_ENCRYPTION_KEY=NEW and restart.
    Nothing is written if any token cannot be decrypted with the keys given.

    \b
    Example:
      TOKEN_ENCRYPTION_KEY=NEW,OLD emailstatus-bot workspaces rotate-key
    """
    from bot.cli.cases import open_store
    from bot.tokens import TokenCipher, TokenKeyError, UnreadableToken, reencrypt

    settings = Settings.from_env()
    try:
        cipher = TokenCipher(settings.token_encryption_key)
    except TokenKeyError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    store = open_store(settings)
    try:
        rotation = reencrypt(store.installations, cipher)
    except UnreadableToken as exc:
        click.echo(f"error: {exc}; nothing was changed.", err=True)
        sys.exit(1)
    finally:
        store.close()
    click.echo(f"re-encrypted {rotation.rows} installation(s) with the first key.")
    if rotation.changed_meanwhile:
        click.echo(
            f"{rotation.changed_meanwhile} installation(s) were rewritten by the running bot "
            "meanwhile; run the command again once it runs with the new key first."
        )


COMMANDS: list[click.Command] = [workspaces]
