"""Settings from the environment, with one clear line per configuration problem."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from platformdirs import user_data_dir

from bot.knowledge import default_knowledge_dir
from bot.settings_registry import SECRET_NAMES, setting

__all__ = ["SECRET_NAMES", "ConfigError", "Settings"]

APP_NAME = "emailstatus-bot"
# One home for data whatever the current folder: the user's data folder
# (~/.local/share/emailstatus-bot on Linux), unless EMAILSTATUS_DB names another file.
DATA_DIR = Path(user_data_dir(APP_NAME, appauthor=False))
DEFAULT_DB = str(DATA_DIR / "emailstatus.db")
DEFAULT_HISTORY = "~/.emailstatus_history"
DEFAULT_KNOWLEDGE_DIR = str(default_knowledge_dir())  # the checkout's, or the installed package's


class ConfigError(Exception):
    """Raised with one line per problem; the CLI prints it and exits 2."""


TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
OAUTH_NAMES = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")


def _flag(name: str, value: str | None, default: bool, problems: list[str]) -> bool:
    """Only the usual spellings: a typo such as ``ture`` must not silently read as false."""
    if value is None or value.strip() == "":
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    shown = "true" if default else "false"
    problems.append(
        f"{name} '{value.strip()}' is not a boolean (true/false, 1/0, yes/no, on/off); "
        f"using {shown}."
    )
    return default


def _number(
    name: str, value: str | None, default: float | None, problems: list[str]
) -> float | None:
    if value is None or not value.strip():
        return default
    try:
        return float(value)
    except ValueError:
        shown = "the learned value" if default is None else f"{default:g}"
        problems.append(f"{name} '{value}' is not a number; using {shown}.")
        return default


def _port(value: str | None, problems: list[str]) -> int:
    """``serve``'s port (``--port`` wins); the image's HEALTHCHECK reads the same variable."""
    if value is None or not value.strip():
        return 3000
    if value.strip().isdigit() and 0 < int(value) < 65536:
        return int(value)
    problems.append(f"PORT '{value.strip()}' is not a port number (1-65535); using 3000.")
    return 3000


def _seconds(
    name: str, value: str | None, default: float, low: float, high: float, problems: list[str]
) -> float:
    """Seconds from ``low`` to ``high`` (nan and inf refused); ``default`` when unset or wrong."""
    number = _number(name, value, default, problems)
    if number is None or not low <= number <= high:  # nan compares false: refused too
        problems.append(
            f"{name} '{value}' must be seconds from {low:g} to {high:g}; using {default:g}."
        )
        return default
    return number


# `serve`'s deadlines for a client's request (bot/slack/worker.py), in seconds.
SERVE_READ_TIMEOUT, SERVE_REQUEST_DEADLINE = 5.0, 8.0
SERVE_DEADLINE_RANGE = (0.1, 300.0)


def _serve_deadlines(
    read: str | None, request: str | None, problems: list[str]
) -> tuple[float, float]:
    """SERVE_READ_TIMEOUT and SERVE_REQUEST_DEADLINE: seconds, the request's at least the read's."""
    low, high = SERVE_DEADLINE_RANGE
    read_timeout = _seconds("SERVE_READ_TIMEOUT", read, SERVE_READ_TIMEOUT, low, high, problems)
    request_deadline = _seconds(
        "SERVE_REQUEST_DEADLINE", request, SERVE_REQUEST_DEADLINE, low, high, problems
    )
    if request_deadline < read_timeout:
        problems.append(
            f"SERVE_REQUEST_DEADLINE ({request_deadline:g} s) is shorter than "
            f"SERVE_READ_TIMEOUT ({read_timeout:g} s); using {read_timeout:g}."
        )
        request_deadline = read_timeout
    return read_timeout, request_deadline


def _bare_prefix(token: str) -> bool:
    """``xoxb-`` or ``xoxb-...`` (the placeholder in docs): the prefix without a token."""
    return bool(token) and not token.partition("-")[2].strip(".…")


DURATION = re.compile(r"^(\d+)\s*([smhd])$")
DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
FOLLOW_UP_DEFAULT = timedelta(hours=24)
FOLLOW_UP_MAX = timedelta(days=365)


def _follow_up_after(value: str | None, problems: list[str]) -> timedelta | None:
    """FOLLOW_UP_AFTER: ``24h`` (default), ``90s``, ``30m``, ``2d``, or ``off``."""
    text = (value or "").strip().lower()
    if not text:
        return FOLLOW_UP_DEFAULT
    if text in {"off", "0", "false", "no", "never"}:
        return None
    found = DURATION.match(text)
    if not found or int(found.group(1)) == 0:
        problems.append(f"FOLLOW_UP_AFTER '{value}' is not a duration (24h, 90s, 30m) or off.")
        return FOLLOW_UP_DEFAULT
    after = timedelta(**{DURATION_UNITS[found.group(2)]: int(found.group(1))})
    if after > FOLLOW_UP_MAX:  # also keeps date arithmetic far from datetime's limits
        problems.append(f"FOLLOW_UP_AFTER '{value}' is longer than 365 days; using 24h.")
        return FOLLOW_UP_DEFAULT
    return after


MAX_REPLAY_AGE = 7 * 24 * 3600.0  # seconds: Slack's own retries stop after about 5 minutes


def _replay_age(value: str | None, problems: list[str]) -> float:
    """INBOX_REPLAY_MAX_AGE in seconds: finite, 0 (no re-run) up to a week."""
    number = _number("INBOX_REPLAY_MAX_AGE", value, 600.0, problems)
    if number is None or not math.isfinite(number) or not 0 <= number <= MAX_REPLAY_AGE:
        if number is not None and number != 600.0:
            problems.append(
                f"INBOX_REPLAY_MAX_AGE '{value}' must be seconds from 0 to "
                f"{MAX_REPLAY_AGE:.0f} (a week); using 600."
            )
        return 600.0
    return number


SWEEP_RANGE = (0.1, 3600.0)  # seconds between two looks for owed replies


def _sweep_every(value: str | None, problems: list[str]) -> float | None:
    """INBOX_SWEEP_EVERY in seconds; None (unset): the built-in 5 s (inbox_rerun.SWEEP_EVERY)."""
    if value is None or not value.strip():
        return None
    found = len(problems)
    number = _seconds("INBOX_SWEEP_EVERY", value, 5.0, *SWEEP_RANGE, problems)
    return None if len(problems) > found else number  # refused: the built-in, as unset


# Seconds before the first retry of a Slack call that failed (bot.slack.deadline): doubled
# at each retry, up to MAX_RETRY_BACKOFF. Not 0: that would retry with no wait at all.
RETRY_BACKOFF = 0.5
MIN_RETRY_BACKOFF, MAX_RETRY_BACKOFF = 0.01, 5.0


def _retry_backoff(value: str | None, problems: list[str]) -> float:
    """SLACK_RETRY_BACKOFF in seconds, from 0.01 to 5."""
    return _seconds(
        "SLACK_RETRY_BACKOFF", value, RETRY_BACKOFF, MIN_RETRY_BACKOFF, MAX_RETRY_BACKOFF, problems
    )


def _text(value: str | None) -> str:
    return (value or "").strip()


def _words(value: str | None) -> frozenset[str]:
    return frozenset(w for w in (value or "").replace(",", " ").split() if w)


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str = ""
    slack_app_token: str = ""
    slack_signing_secret: str = ""
    slack_api_url: str = ""
    slack_retry_backoff: float = RETRY_BACKOFF  # seconds; doubles per retry, up to 5 s
    db_path: str = DEFAULT_DB
    database_url: str = ""  # postgresql://...; wins over db_path when set
    knowledge_dir: str = DEFAULT_KNOWLEDGE_DIR
    escalation_channel: str = ""
    summary_channel: str = ""
    summary_tz: str = "UTC"
    summary_schedule: str = "MON 09:00"
    follow_up_after: timedelta | None = FOLLOW_UP_DEFAULT  # None: FOLLOW_UP_AFTER=off
    store_question_text: bool = True
    suggestions_enabled: bool = True
    suggestions_off_channels: frozenset[str] = field(default_factory=frozenset)
    # None: use the thresholds the matcher learned by cross-validation on its examples.
    answer_threshold: float | None = None
    suggest_threshold: float | None = None
    inbox_replay_max_age: float = 600.0  # seconds: undone events younger than this are re-run
    inbox_sweep_every: float | None = None  # seconds; None: the built-in 5 s
    log_format: str = "text"
    log_level: str = "INFO"
    port: int = 3000
    serve_read_timeout: float = SERVE_READ_TIMEOUT  # seconds per read of a client's request
    serve_request_deadline: float = SERVE_REQUEST_DEADLINE  # seconds for a whole request
    console_history: str = DEFAULT_HISTORY  # the console's line-editing history file
    model_cache_dir: str = ""  # "" = the user's cache folder (read by bot.training)
    # Multi-workspace (OAuth) mode: see ``oauth_mode``.
    slack_client_id: str = ""
    slack_client_secret: str = ""
    token_encryption_key: str = ""  # Fernet keys, comma separated: the first encrypts
    uninstall_purges_cases: bool = False
    # Values that could not be read from the environment (reported by `config check`).
    parse_problems: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        problems: list[str] = []

        def get(name: str, default: str | None = None) -> str | None:
            """Only declared settings are read (bot/settings_registry.py)."""
            return env.get(setting(name).name, default)

        read_timeout, request_deadline = _serve_deadlines(
            get("SERVE_READ_TIMEOUT"), get("SERVE_REQUEST_DEADLINE"), problems
        )
        return cls(
            slack_bot_token=_text(get("SLACK_BOT_TOKEN")),
            slack_app_token=_text(get("SLACK_APP_TOKEN")),
            slack_signing_secret=_text(get("SLACK_SIGNING_SECRET")),
            slack_api_url=_text(get("SLACK_API_URL")),
            slack_retry_backoff=_retry_backoff(get("SLACK_RETRY_BACKOFF"), problems),
            db_path=_text(get("EMAILSTATUS_DB")) or DEFAULT_DB,
            database_url=_text(get("DATABASE_URL")),
            knowledge_dir=_text(get("KNOWLEDGE_DIR")) or DEFAULT_KNOWLEDGE_DIR,
            escalation_channel=_text(get("ESCALATION_CHANNEL")),
            summary_channel=_text(get("SUMMARY_CHANNEL")),
            summary_tz=_text(get("SUMMARY_TZ")) or "UTC",
            summary_schedule=_text(get("SUMMARY_SCHEDULE")) or "MON 09:00",
            follow_up_after=_follow_up_after(get("FOLLOW_UP_AFTER"), problems),
            store_question_text=_flag(
                "STORE_QUESTION_TEXT", get("STORE_QUESTION_TEXT"), True, problems
            ),
            suggestions_enabled=_flag("SUGGESTIONS", get("SUGGESTIONS"), True, problems),
            suggestions_off_channels=_words(get("SUGGESTIONS_OFF_CHANNELS")),
            answer_threshold=_number(
                "MATCH_ANSWER_THRESHOLD", get("MATCH_ANSWER_THRESHOLD"), None, problems
            ),
            suggest_threshold=_number(
                "MATCH_SUGGEST_THRESHOLD", get("MATCH_SUGGEST_THRESHOLD"), None, problems
            ),
            inbox_replay_max_age=_replay_age(get("INBOX_REPLAY_MAX_AGE"), problems),
            inbox_sweep_every=_sweep_every(get("INBOX_SWEEP_EVERY"), problems),
            log_format=(_text(get("LOG_FORMAT")) or "text").lower(),
            log_level=(_text(get("LOG_LEVEL")) or "INFO").upper(),
            port=_port(get("PORT"), problems),
            serve_read_timeout=read_timeout,
            serve_request_deadline=request_deadline,
            console_history=_text(get("EMAILSTATUS_HISTORY")) or DEFAULT_HISTORY,
            model_cache_dir=_text(get("MODEL_CACHE_DIR")),
            slack_client_id=_text(get("SLACK_CLIENT_ID")),
            slack_client_secret=_text(get("SLACK_CLIENT_SECRET")),
            token_encryption_key=_text(get("TOKEN_ENCRYPTION_KEY")),
            uninstall_purges_cases=_flag(
                "UNINSTALL_PURGES_CASES", get("UNINSTALL_PURGES_CASES"), False, problems
            ),
            parse_problems=tuple(problems),
        )

    @property
    def data_dir(self) -> Path:
        """The folder beside the case log, for the other files the bot keeps."""
        return Path(self.db_path).expanduser().parent

    @property
    def oauth_variables(self) -> tuple[str, ...]:
        """The OAuth variables that are set."""
        values = (self.slack_client_id, self.slack_client_secret)
        return tuple(name for name, value in zip(OAUTH_NAMES, values, strict=True) if value)

    @property
    def oauth_mode(self) -> bool:
        """Multi-workspace: client id and secret set, no bot token (installs bring tokens)."""
        return len(self.oauth_variables) == 2 and not self.slack_bot_token

    @property
    def has_any_slack_token(self) -> bool:
        return bool(self.slack_bot_token or self.slack_app_token)

    def runtime_mode(self) -> str:
        """'console' with no tokens, 'socket' with a bot and an app token; else ConfigError."""
        if not self.has_any_slack_token:
            return "console"
        problems = self.token_problems(need_app_token=True)
        if problems:
            raise ConfigError("\n".join(problems))
        return "socket"

    def token_problems(
        self, *, need_app_token: bool = False, need_secret: bool = False
    ) -> list[str]:
        problems = []
        if not self.slack_bot_token:
            problems.append("SLACK_BOT_TOKEN is missing: set the bot token (xoxb-...).")
        elif not self.slack_bot_token.startswith("xoxb-"):
            problems.append("SLACK_BOT_TOKEN must be a bot token starting with xoxb-.")
        elif _bare_prefix(self.slack_bot_token):
            problems.append("SLACK_BOT_TOKEN is only the xoxb- prefix: paste the whole token.")
        if need_app_token and not self.slack_app_token:
            problems.append(
                "SLACK_APP_TOKEN is missing: Socket Mode needs an app-level token (xapp-...)."
            )
        elif self.slack_app_token and not self.slack_app_token.startswith("xapp-"):
            problems.append("SLACK_APP_TOKEN must be an app-level token starting with xapp-.")
        elif _bare_prefix(self.slack_app_token):
            problems.append("SLACK_APP_TOKEN is only the xapp- prefix: paste the whole token.")
        if need_secret and not self.slack_signing_secret:
            problems.append("SLACK_SIGNING_SECRET is missing: HTTP mode verifies every request.")
        return problems

    def timezone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.summary_tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"SUMMARY_TZ '{self.summary_tz}' is not a known time zone.") from exc
