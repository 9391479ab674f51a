"""`config check`: the effective configuration (secrets masked) and every problem.

``run`` and ``serve`` run the same checks at start, so a misconfigured bot says what is
wrong, one line per problem, instead of failing later with a traceback.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from bot.config import Settings
from bot.decision import Thresholds  # not bot.matching: checks run before scikit-learn loads
from bot.examples import load_examples, vetted_marker
from bot.knowledge import Problem, examples_path, load_knowledge
from bot.scheduler import schedule_problems
from bot.settings_registry import SETTINGS
from bot.store.probe import Probe, probe_database

MODES = ("auto", "console", "socket", "http")


def mask(value: str) -> str:
    """'xoxb-1234-abcd-WXYZ' → 'xoxb-…WXYZ': enough to tell tokens apart, not to use them."""
    if not value:
        return "(not set)"
    prefix = value.split("-", 1)[0] + "-" if value[:5].startswith(("xox", "xapp")) else ""
    return f"{prefix}…{value[-4:]}" if len(value) > 8 else "…"


def effective_lines(settings: Settings) -> list[str]:
    """NAME=value for every declared setting (bot/settings_registry.py), secrets masked."""
    lines = []
    for declared in SETTINGS:
        name = declared.name
        if declared.field is None:  # declared but not shown
            continue
        value = getattr(settings, declared.field)
        if declared.field == "follow_up_after":
            value = _duration(value)
        elif isinstance(value, float) and value.is_integer():
            value = int(value)  # 600, as it would be written
        if declared.secret:
            shown = mask(value)
        elif isinstance(value, bool):  # as it would be written in the environment
            shown = "true" if value else "false"
        elif isinstance(value, frozenset):
            shown = ",".join(sorted(value)) or "(none)"
        else:
            shown = str(value) if value not in ("", None) else "(not set)"
        lines.append(f"{name}={shown}")
    return lines


def _duration(value: timedelta | None) -> str:
    if value is None:
        return "off"
    seconds = int(value.total_seconds())
    for unit, size in (("h", 3600), ("m", 60)):  # as the docs write it: 24h, 90m
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def resolve_mode(settings: Settings, mode: str) -> str:
    if mode != "auto":
        return mode
    if settings.oauth_mode and not settings.slack_app_token:
        return "http"  # multi-workspace: `serve` with the OAuth install
    if not settings.has_any_slack_token:
        return "console"
    return "socket" if settings.slack_app_token else "http"


def mode_notes(settings: Settings, mode: str) -> list[str]:
    """What the mode means, when it is not obvious from the tokens (multi-workspace)."""
    if mode != "http" or not settings.oauth_mode:
        return []
    return [
        "multi-workspace (OAuth): each workspace installs the app at "
        "https://YOUR-HOST/slack/install, Slack sends the installer back to "
        "/slack/oauth_redirect, and the workspace's tokens are kept in the database, "
        "encrypted with TOKEN_ENCRYPTION_KEY. Socket Mode stays single-workspace."
    ]


def problems(settings: Settings, mode: str = "auto", database: Probe | None = None) -> list[str]:
    """Every configuration problem, one line each; empty when all is well.

    ``database``: the database as ``database_probe`` saw it (probed here when not given).
    """
    mode = resolve_mode(settings, mode)
    found = list(settings.parse_problems)
    if mode == "socket":
        found += settings.token_problems(need_app_token=True)
    elif mode == "http" and settings.oauth_mode:
        found += oauth_mode_problems(settings)
    elif mode == "http":
        found += settings.token_problems(need_secret=True)
    elif settings.has_any_slack_token:
        found += settings.token_problems()
    found += (database or database_probe(settings)).problems
    found += schedule_problems(settings.summary_schedule, settings.summary_tz)
    found += knowledge_problems(settings.knowledge_dir)
    found += other_problems(settings)
    found += oauth_problems(settings, mode)
    return found


def database_probe(settings: Settings) -> Probe:
    """The database the settings name: kind, version, migration level and problems."""
    return probe_database(settings.db_path, settings.database_url)


def knowledge_problems(knowledge_dir: str) -> list[str]:
    """The articles' problems and their examples files' (the files training reads): a
    file too large or hostile is one line here, before `serve` would train on it."""
    knowledge = load_knowledge(knowledge_dir)
    files = [examples_path(a.path, a.id) for a in knowledge.articles if a.path]
    problems = [*knowledge.problems, *_examples_problems([f for f in files if f.exists()])]
    found = [f"knowledge: {problem}" for problem in problems]
    if not knowledge.articles:
        found.append(f"KNOWLEDGE_DIR {knowledge_dir} has no valid knowledge articles.")
    return found


def _examples_problems(files: list[Path]) -> list[Problem]:
    """The examples files' problems; files that passed before, unchanged, are not parsed."""
    from bot.training import default_cache_dir

    marker = vetted_marker(default_cache_dir(), files)
    if marker is not None and marker.exists():
        return []
    problems = load_examples(files).problems
    if not problems and marker is not None:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass  # a read-only cache only costs the next check a parse
    return problems


def api_url_problems(url: str) -> list[str]:
    """SLACK_API_URL must be an absolute http(s) URL; slack_sdk would only fail per call."""
    if not url:
        return []
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a port that is not a number)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return [f"SLACK_API_URL '{url}' is not an http(s) URL such as https://slack.com/api/."]
    if parts.query or parts.fragment:
        return [f"SLACK_API_URL '{url}' must not have a query or fragment."]
    return []


def oauth_problems(settings: Settings, mode: str) -> list[str]:
    """The OAuth pair switches to multi-workspace mode, which only ``serve`` (HTTP) runs.

    bolt itself switches to OAuth (with file stores) whenever both variables are in the
    environment, so a set pair anywhere else is refused, with the reason.
    """
    names = settings.oauth_variables
    if not names:
        return []
    shown = " and ".join(names)
    if len(names) == 1:
        return [
            f"{shown} is set alone: multi-workspace mode needs both SLACK_CLIENT_ID and "
            "SLACK_CLIENT_SECRET (Basic Information > App Credentials); unset it otherwise."
        ]
    if mode == "socket":
        return [
            f"{shown} set, but Socket Mode (`run`) is single-workspace here: it answers "
            "with the one SLACK_BOT_TOKEN and serves no web page, while installing into "
            "other workspaces needs Slack's OAuth redirect to a public HTTPS URL (and Slack "
            "does not list Socket Mode apps in its public Marketplace). Unset them, or run "
            "`emailstatus-bot serve` without SLACK_BOT_TOKEN for several workspaces "
            "(docs/workspaces.md)."
        ]
    if settings.slack_bot_token:
        return [
            f"{shown} set with SLACK_BOT_TOKEN: choose one. A bot token serves its one "
            "workspace (unset the OAuth pair); for several workspaces unset SLACK_BOT_TOKEN "
            "and each workspace installs through /slack/install (docs/workspaces.md)."
        ]
    if mode != "http":
        return [
            f"{shown} set: multi-workspace mode runs only under `emailstatus-bot serve` "
            "(HTTP, with /slack/install); `run` is the console or Socket Mode. Unset them "
            "for `run`."
        ]
    return []


def oauth_mode_problems(settings: Settings) -> list[str]:
    """Multi-workspace mode (client id and secret, no bot token): what it needs besides."""
    from bot.tokens import key_problems  # cryptography loads only for this mode

    found = []
    if not settings.slack_signing_secret:
        found.append("SLACK_SIGNING_SECRET is missing: HTTP mode verifies every request.")
    if settings.slack_app_token:
        found.append(
            "SLACK_APP_TOKEN set in multi-workspace mode: Socket Mode is single-workspace; "
            "unset it (events come over HTTP to /slack/events)."
        )
    return found + key_problems(settings.token_encryption_key)


def other_problems(settings: Settings) -> list[str]:
    found = api_url_problems(settings.slack_api_url)
    if settings.log_format not in ("json", "text"):
        found.append(f"LOG_FORMAT '{settings.log_format}' must be json or text.")
    if not isinstance(logging.getLevelName(settings.log_level), int):
        found.append(f"LOG_LEVEL '{settings.log_level}' is not a level (DEBUG, INFO, …).")
    try:
        Thresholds.from_config(settings.answer_threshold, settings.suggest_threshold)
    except ValueError as exc:
        found.append(_threshold_problem(exc))
    return found


def _threshold_problem(exc: ValueError) -> str:
    if "set both" in str(exc):
        return "Set both MATCH_ANSWER_THRESHOLD and MATCH_SUGGEST_THRESHOLD, or neither (learned)."
    return "MATCH_SUGGEST_THRESHOLD must be at most MATCH_ANSWER_THRESHOLD, both within 0-100."
