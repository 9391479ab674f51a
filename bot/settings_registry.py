"""Every setting the bot reads, declared once: name, default, help, and whether it is secret.

``Settings.from_env`` reads only names declared here (it raises on any other), and
``config check``, ``deploy/.env.example`` and ``docs/configuration.md`` are built from
this table, so none of them can leave a setting out. After changing the table run
``python -m bot.settings_registry`` to rewrite the two files; a test fails until you do.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV_EXAMPLE = ROOT / "deploy" / ".env.example"
CONFIGURATION_DOC = ROOT / "docs" / "configuration.md"


@dataclass(frozen=True)
class Setting:
    name: str  # the environment variable
    section: str
    help: str  # one or more sentences; .env.example wraps them as comments
    default: str = ""  # as a person would write it ("" = not set)
    example: str = ""  # the commented-out line's value, when it differs from the default
    secret: bool = False  # masked by `config check`, never logged
    fill_in: bool = False  # an empty, uncommented line in .env.example: set it to use the bot
    field: str | None = None  # the ``Settings`` attribute, when `config check` shows it

    @property
    def shown_value(self) -> str:
        return self.example or self.default


SETTINGS: tuple[Setting, ...] = (
    Setting("SLACK_BOT_TOKEN", "Slack", "Bot token (xoxb-...), from OAuth & Permissions. "
            "Needed for Socket Mode and HTTP.", secret=True, fill_in=True,
            field="slack_bot_token"),
    Setting("SLACK_SIGNING_SECRET", "Slack", "Signing secret, from Basic Information. Needed "
            "for HTTP (`serve`).", secret=True, fill_in=True, field="slack_signing_secret"),
    Setting("SLACK_APP_TOKEN", "Slack", "App-level token (xapp-...) with connections:write. "
            "Only for Socket Mode (`run`).", secret=True, fill_in=True,
            field="slack_app_token"),
    Setting("SLACK_API_URL", "Slack", "Slack Web API base URL. Default "
            "https://slack.com/api/ (GovSlack: https://slack-gov.com/api/).",
            example="https://slack.com/api/", field="slack_api_url"),
    Setting("SLACK_RETRY_BACKOFF", "Slack", "Seconds before the first retry of a Slack "
            "call that met a dropped connection or a 5xx answer; each later wait doubles, up "
            "to 5 s, until the call's deadline (a 429 waits for Slack's Retry-After instead). "
            "From 0.01 to 5.", default="0.5", field="slack_retry_backoff"),
    Setting("SLACK_CLIENT_ID", "Slack", "OAuth client id, from Basic Information. Set it "
            "with SLACK_CLIENT_SECRET and TOKEN_ENCRYPTION_KEY, and no SLACK_BOT_TOKEN, to "
            "serve several workspaces: `serve` then runs Slack's OAuth install "
            "(/slack/install) and keeps each workspace's tokens in the database "
            "(docs/workspaces.md). HTTP only: Socket Mode serves one workspace.",
            example="1234567890.1234567890", field="slack_client_id"),
    Setting("SLACK_CLIENT_SECRET", "Slack", "OAuth client secret; see SLACK_CLIENT_ID.",
            secret=True, example="your-client-secret", field="slack_client_secret"),
    Setting("TOKEN_ENCRYPTION_KEY", "Slack", "Multi-workspace mode: the Fernet key that "
            "encrypts the workspaces' tokens in the database. Make one with `emailstatus-bot "
            "workspaces new-key`. To rotate, put the new key first, comma, then the old "
            "one(s), run `emailstatus-bot workspaces rotate-key`, then drop the old key.",
            secret=True, example="new-key,old-key", field="token_encryption_key"),
    Setting("UNINSTALL_PURGES_CASES", "Slack", "Multi-workspace mode: when a workspace "
            "uninstalls the app, also delete its cases and knowledge gaps (false: keep them "
            "for the summary and `learn`). Its tokens are deleted either way.",
            default="false", field="uninstall_purges_cases"),
    Setting("EMAILSTATUS_DB", "Storage", "SQLite case log; its folder is created. Default: "
            "the user's data folder (~/.local/share/emailstatus-bot/emailstatus.db on "
            "Linux), whatever the current folder; `make run` uses the checkout's "
            "data/emailstatus.db. The image sets /data/emailstatus.db and the systemd unit "
            "/var/lib/emailstatus-bot/emailstatus.db.",
            example="/var/lib/emailstatus-bot/emailstatus.db", field="db_path"),
    Setting("DATABASE_URL", "Storage", "PostgreSQL case log (postgresql://user:password@host/db"
            "name); when set it wins over EMAILSTATUS_DB. Unset: SQLite. See docs/scaling.md.",
            secret=True, example="postgresql://emailstatus@db.internal/emailstatus",
            field="database_url"),
    Setting("KNOWLEDGE_DIR", "Storage", "Folder of knowledge article YAML files. Default: "
            "knowledge/ of the checkout (editable install). The image sets /app/knowledge, "
            "the systemd unit /opt/emailstatus-bot/knowledge.", example="./knowledge",
            field="knowledge_dir"),
    Setting("MODEL_CACHE_DIR", "Storage", "Where the trained matcher is cached, or off. "
            "Default: the user's cache folder (~/.cache/emailstatus-bot).",
            example="/var/cache/emailstatus-bot", field="model_cache_dir"),
    Setting("EMAILSTATUS_HISTORY", "Storage", "The console's line-editing history file.",
            default="~/.emailstatus_history", field="console_history"),
    Setting("ESCALATION_CHANNEL", "Channels", "Channel id where \"Ask a human\" posts "
            "escalations (invite the bot if it is private).", fill_in=True,
            field="escalation_channel"),
    Setting("SUMMARY_CHANNEL", "Channels", "Channel id for the weekly case summary. Empty: "
            "no scheduled post.", fill_in=True, field="summary_channel"),
    Setting("SUMMARY_TZ", "Weekly summary", "Time zone of summary weeks and of the "
            "schedule, e.g. Europe/Paris.", default="UTC", field="summary_tz"),
    Setting("SUMMARY_SCHEDULE", "Weekly summary", "When the built-in scheduler posts the "
            "summary: DAY HH:MM. (The one value with a space: uncomment it only for docker "
            "compose or systemd, not for cron.)", default="MON 09:00",
            field="summary_schedule"),
    Setting("FOLLOW_UP_AFTER", "Weekly summary", "After how long an answer nobody clicked "
            "gets one \"did it fix it?\" in its thread: a duration (24h, 90m, 90s) or off.",
            default="24h", field="follow_up_after"),
    Setting("STORE_QUESTION_TEXT", "Privacy and matching", "false: store and log no "
            "question text, only the match data.", default="true",
            field="store_question_text"),
    Setting("SUGGESTIONS", "Privacy and matching", "off: never post \"Is this about ...?\" "
            "suggestions in channels.", default="on", field="suggestions_enabled"),
    Setting("SUGGESTIONS_OFF_CHANNELS", "Privacy and matching", "Channel ids, comma "
            "separated, where suggestions are off. Default none.",
            example="C0123456789,C0987654321", field="suggestions_off_channels"),
    Setting("MATCH_ANSWER_THRESHOLD", "Privacy and matching", "Matcher score (0-100) to "
            "answer. Default: the one the matcher learned by cross-validation on its examples "
            "(`emailstatus-bot eval` prints it); set it only to override the learned value.",
            example="90", field="answer_threshold"),
    Setting("MATCH_SUGGEST_THRESHOLD", "Privacy and matching", "Matcher score (0-100) to "
            "suggest. Default: the learned threshold, as above.", example="70",
            field="suggest_threshold"),
    Setting("INBOX_REPLAY_MAX_AGE", "Privacy and matching", "Seconds: at start-up, acked "
            "events a killed run left unanswered and younger than this are re-run once.",
            default="600", field="inbox_replay_max_age"),
    Setting("INBOX_SWEEP_EVERY", "Privacy and matching", "Seconds between two looks, in each "
            "running process, for acked events still unanswered: its own replies that "
            "stalled, and those of a replica that died, which it takes over. From 0.1 to "
            "3600.", default="5", field="inbox_sweep_every"),
    Setting("LOG_FORMAT", "Logs", "json (one object per line) or text. The image sets json.",
            default="text", example="json", field="log_format"),
    Setting("LOG_LEVEL", "Logs", "DEBUG, INFO, WARNING, ERROR.", default="INFO",
            field="log_level"),
    Setting("PORT", "HTTP", "Port `serve` binds (its --port option wins); the image's health "
            "check asks /healthz on the same port.", default="3000", field="port"),
    Setting("SERVE_READ_TIMEOUT", "HTTP", "Seconds `serve` waits for each read of a "
            "request before it drops the client: a client that stops mid-request frees its "
            "thread after this. Slack sends a request in one go. From 0.1 to 300.",
            default="5", field="serve_read_timeout"),
    Setting("SERVE_REQUEST_DEADLINE", "HTTP", "Seconds a whole request (head and body) may "
            "take to arrive, however it trickles in; at least SERVE_READ_TIMEOUT. From 0.1 to "
            "300.", default="8", field="serve_request_deadline"),
)  # fmt: skip

BY_NAME = {setting.name: setting for setting in SETTINGS}
SECRET_NAMES = tuple(s.name for s in SETTINGS if s.secret)


def setting(name: str) -> Setting:
    """The declared setting; a KeyError names a setting someone forgot to declare."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"{name} is not declared in bot/settings_registry.py") from None


# -- generated files ----------------------------------------------------------------------

ENV_HEADER = """\
# emailstatus-bot configuration. Copy to deploy/.env (docker compose) or
# /etc/emailstatus-bot/env (systemd, mode 600) and fill in. Then check it:
#   emailstatus-bot config check
#
# Format: one NAME=value per line, no quotes and no spaces in values, so that docker
# (--env-file and compose), systemd (EnvironmentFile=) and sh (`set -a; . file`, for cron)
# all read it the same way.
# Lines left commented out keep the default shown. Leave them commented rather than
# empty: an empty line here overrides what the image or the systemd unit sets.
#
# Generated from bot/settings_registry.py (python -m bot.settings_registry): edit that.
"""


def _wrap(text: str, width: int = 88) -> list[str]:
    lines: list[str] = []
    line = "#"
    for word in text.split():
        if len(line) + 1 + len(word) > width:
            lines.append(line)
            line = "#"
        line += " " + word
    return [*lines, line]


def env_example_text() -> str:
    out = [ENV_HEADER.rstrip("\n")]
    section = ""
    for item in SETTINGS:
        if item.section != section:
            section = item.section
            out += ["", f"# --- {section} " + "-" * (80 - len(section))]
        helptext = item.help + (f" Default {item.default}." if item.default else "")
        out += _wrap(helptext)
        out.append(f"{item.name}=" if item.fill_in else f"# {item.name}={item.shown_value}")
    return "\n".join(out) + "\n"


CONFIG_DOC_HEADER = """\
# Configuration

Every setting is an environment variable. `emailstatus-bot config check` shows the
effective value of each (secrets masked) and every problem, one line each;
`deploy/.env.example` lists them all with their defaults.

This page is generated from `bot/settings_registry.py` (`python -m bot.settings_registry`).

| Setting | Default | Secret | What it does |
|---|---|---|---|
"""


def configuration_doc() -> str:
    rows = [
        f"| `{s.name}` | {f'`{s.default}`' if s.default else '—'} | "
        f"{'yes' if s.secret else ''} | {s.help.replace('|', '/')} |"
        for s in SETTINGS
    ]
    return CONFIG_DOC_HEADER + "\n".join(rows) + "\n"


GENERATED = {ENV_EXAMPLE: env_example_text, CONFIGURATION_DOC: configuration_doc}


def main() -> int:
    for path, render in GENERATED.items():
        path.write_text(render(), encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
