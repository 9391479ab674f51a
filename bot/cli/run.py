"""`run` (console or Socket Mode) and `serve` (production HTTP)."""

from __future__ import annotations

import sys
from dataclasses import replace

import click

from bot.config import ConfigError, Settings


def _refuse_on_problems(settings: Settings, mode: str) -> None:
    """The same checks as `config check`; one line per problem, then exit 2."""
    from bot import configcheck  # loads the matcher: only when a command starts the bot

    found = configcheck.problems(settings, mode)
    for problem in found:
        click.echo(f"configuration error: {problem}", err=True)
    if found:
        sys.exit(2)


def _refuse_unless_slack_accepts(settings: Settings) -> None:
    """auth.test before starting: a token Slack rejects is one line and exit 2.

    Slack unreachable at start is refused too (systemd and Docker restart the service):
    a bot that cannot reach Slack answers nothing, and would only look healthy.
    """
    from bot.slack.app import build_client
    from bot.slack.auth import check_token

    status = check_token(build_client(settings))
    if status.problem:
        hint = "SLACK_BOT_TOKEN" if status.rejected else "SLACK_API_URL and the network"
        click.echo(f"configuration error: {status.problem}; check {hint}.", err=True)
        sys.exit(2)


def _refuse_unless_the_key_opens_the_tokens(settings: Settings) -> None:
    """Multi-workspace mode: a key that opens no stored token is one line and exit 2.

    Otherwise the bot would start and answer nothing: every request would find its
    workspace's token unreadable.
    """
    from bot.cli.cases import open_store
    from bot.tokens import TokenCipher, unreadable

    store = open_store(settings)
    try:
        locked = unreadable(store.installations, TokenCipher(settings.token_encryption_key))
    finally:
        store.close()
    if locked:
        click.echo(
            f"configuration error: {locked} stored installation(s) cannot be decrypted with "
            "TOKEN_ENCRYPTION_KEY; keep the old key after the new one (NEW,OLD) until "
            "`emailstatus-bot workspaces rotate-key` has run (docs/workspaces.md).",
            err=True,
        )
        sys.exit(2)


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
        for line in str(exc).splitlines():
            click.echo(f"configuration error: {line}", err=True)
        sys.exit(2)
    _refuse_on_problems(settings, mode)
    if mode == "console":
        from bot.console import run_console, terminal_lines
        from bot.engine import Engine

        engine = Engine.from_settings(settings)
        interactive = sys.stdin.isatty()
        lines = terminal_lines(interactive, settings.console_history)
        run_console(engine, lines, click.echo, interactive, settings)
        engine.store.close()
        return
    from bot.logs import configure_logging
    from bot.slack.serve import run_socket_mode

    _refuse_unless_slack_accepts(settings)
    configure_logging(settings)
    run_socket_mode(settings)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=int, help="Port to bind (default: PORT, else 3000).")
@click.option("--workers", type=int, help="Gunicorn worker processes (default 2).")
@click.option("--threads", type=int, help="Request threads per worker (default 64).")
def serve(host: str, port: int | None, workers: int | None, threads: int | None) -> None:
    """Serve Slack over HTTP under gunicorn: POST /slack/events, GET /healthz, GET /metrics.

    Needs SLACK_BOT_TOKEN (xoxb-) and SLACK_SIGNING_SECRET. Or, for several workspaces,
    SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and TOKEN_ENCRYPTION_KEY without a bot token:
    workspaces then install at /slack/install (docs/workspaces.md). Stops gracefully on
    SIGTERM.

    \b
    Example:
      emailstatus-bot serve --host 0.0.0.0 --port 3000
    """
    settings = Settings.from_env()
    _refuse_on_problems(settings, "http")  # before the imports below load the matcher
    if settings.oauth_mode:  # multi-workspace: no one token to check, but the key
        _refuse_unless_the_key_opens_the_tokens(settings)
    else:
        _refuse_unless_slack_accepts(settings)
    from bot.logs import configure_logging
    from bot.slack.serve import ServerSettings, run_http

    server = ServerSettings(
        host=host, port=port or settings.port, read_timeout=settings.serve_read_timeout,
        request_deadline=settings.serve_request_deadline,
    )  # fmt: skip
    server = replace(server, workers=workers or server.workers, threads=threads or server.threads)
    configure_logging(settings, background=True)
    run_http(settings, server)


COMMANDS: list[click.Command] = [run, serve]
