"""`cases migrate-to DATABASE_URL`: copy the SQLite case log into PostgreSQL, once."""

from __future__ import annotations

import click
from tabulate import tabulate

from bot.config import Settings


@click.command(name="migrate-to")
@click.argument("database_url", metavar="DATABASE_URL")
def migrate_to_command(database_url: str) -> None:
    """Copy the SQLite case log (EMAILSTATUS_DB) into an empty PostgreSQL database.

    Every table is copied in one transaction, ids kept, then counted on both sides.
    A database that already holds rows is refused, so running it twice copies nothing.
    Stop the bot first (or copy a backup), then start it with DATABASE_URL set.

    \b
    Example:
      emailstatus-bot cases migrate-to postgresql://bot@db.internal/emailstatus
    """
    # The store loads in the command, so that `--help` starts at once.
    from bot.store import Store, is_database_url, redact_url
    from bot.store.copy import TargetNotEmpty, copy_case_log

    if not is_database_url(database_url):
        raise click.BadParameter("use a postgresql://... URL", param_hint="DATABASE_URL")
    settings = Settings.from_env()
    source = Store(settings.db_path, store_question_text=settings.store_question_text)
    try:
        target = Store(database_url)
    except Exception as exc:
        source.close()
        raise click.ClickException(f"cannot open {redact_url(database_url)}: {exc}") from exc
    where = target.path
    try:
        copies = copy_case_log(source, target)
    except TargetNotEmpty as exc:
        raise click.ClickException(str(exc)) from exc
    except Exception as exc:  # one transaction: the target is as it was
        raise click.ClickException(f"copy failed, nothing copied: {exc}") from exc
    finally:
        source.close()
        target.close()
    rows = [(c.table, c.source, c.target, "ok" if c.ok else "MISMATCH") for c in copies]
    click.echo(tabulate(rows, headers=("table", "SQLite", "PostgreSQL", "check")))
    if not all(c.ok for c in copies):
        raise click.ClickException("the counts differ: check the target before using it")
    click.echo(f"Copied {settings.db_path} into {where}.")
