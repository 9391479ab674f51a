"""`config check`: the effective configuration (secrets masked) and every problem.

``run`` and ``serve`` run the same checks at start, so a misconfigured bot says what is
wrong, one line per problem, instead of failing later with a traceback.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urlsplit

from bot.config import Settings
from bot.decision import Thresholds  # not bot.matching: checks run before scikit-learn loads
from bot.examples import load_examples
from bot.knowledge import examples_path, load_knowledge
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
        if declared.field is None:  # read only to warn (the OAuth pair)
            lines.append(f"{name}={'(set)' if name in settings.oauth_variables else '(not set)'}")
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
    if not settings.has_any_slack_token:
        return "console"
    return "socket" if settings.slack_app_token else "http"


def problems(settings: Settings, mode: str = "auto", database: Probe | None = None) -> list[str]:
    """Every configuration problem, one line each; empty when all is well.

    ``database``: the database as ``database_probe`` saw it (probed here when not given).
    """
    mode = resolve_mode(settings, mode)
    found = list(settings.parse_problems)
    if mode == "socket":
        found += settings.token_problems(need_app_token=True)
    elif mode == "http":
        found += settings.token_problems(need_secret=True)
    elif settings.has_any_slack_token:
        found += settings.token_problems()
    found += (database or database_probe(settings)).problems
    found += schedule_problems(settings.summary_schedule, settings.summary_tz)
    found += knowledge_problems(settings.knowledge_dir)
    found += other_problems(settings)
    return found


def database_probe(settings: Settings) -> Probe:
    """The database the settings name: kind, version, migration level and problems."""
    return probe_database(settings.db_path, settings.database_url)


def knowledge_problems(knowledge_dir: str) -> list[str]:
    """The articles' problems and their examples files' (the files training reads): a
    file too large or hostile is one line here, before `serve` would train on it."""
    knowledge = load_knowledge(knowledge_dir)
    files = [examples_path(a.path, a.id) for a in knowledge.articles if a.path]
    examples = load_examples(f for f in files if f.exists())
    found = [f"knowledge: {problem}" for problem in [*knowledge.problems, *examples.problems]]
    if not knowledge.articles:
        found.append(f"KNOWLEDGE_DIR {knowledge_dir} has no valid knowledge articles.")
    return found


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


def oauth_problems(settings: Settings) -> list[str]:
    """bolt switches to OAuth (file stores, /slack/install) when these are set; we don't."""
    if not settings.oauth_variables:
        return []
    names = " and ".join(settings.oauth_variables)
    return [f"{names} set, but this bot is single-workspace (no OAuth): unset."]


def other_problems(settings: Settings) -> list[str]:
    found = api_url_problems(settings.slack_api_url) + oauth_problems(settings)
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
