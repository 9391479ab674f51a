"""Where a support team or a developer extends the bot: one short map, checked by tests.

In the spirit of datasette's ``hookspecs.py``: each point says where to add a thing, how,
and which real registry holds what exists today. ``tests/core/test_extension_points.py``
compares every registry with ``known`` here and with docs/extension-points.md, so a
registry cannot grow without this map (and the page) saying so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ExtensionPoint:
    name: str
    where: str  # the file or folder you edit
    how: str
    known: tuple[str, ...]  # what the registry holds today
    registry: Callable[[], Iterable[str]]  # reads the real registry


def _surfaces() -> list[str]:
    from bot.slack.app import LISTENER_MODULES

    return [module.__name__.rsplit(".", 1)[-1] for module in LISTENER_MODULES]


def _article_fields() -> list[str]:
    from bot.knowledge import ARTICLE

    return [field.key for field in ARTICLE]


def _languages() -> list[str]:
    from bot.examples import LANGUAGES

    return sorted(LANGUAGES)


def _settings() -> list[str]:
    from bot.settings_registry import SETTINGS

    return [setting.name for setting in SETTINGS]


def _metrics() -> list[str]:
    from bot.metrics import metric_names

    return metric_names()


def _stores() -> list[str]:
    from dataclasses import fields

    from bot.store import Parts

    return [part.name for part in fields(Parts)]


EXTENSION_POINTS: tuple[ExtensionPoint, ...] = (
    ExtensionPoint(
        "surface", "bot/slack/listeners/<surface>.py, then LISTENER_MODULES in bot/slack/app.py",
        "A module with register(app, engine, settings): parse what Slack sent into a Where "
        "and a text, ask bot.conversation.Conversation, render the Reply, post it, report "
        "posted(). Add its Source (bot/vocabulary.py) if it opens cases.",
        ("messages", "commands", "actions", "shortcuts", "home", "workflow",
         "workspace_settings", "uninstall"), _surfaces,
    ),
    ExtensionPoint(
        "article", "knowledge/<id>.yaml (+ <id>.examples.yaml)",
        "Data, no code: the fields below are the article schema (bot/knowledge.py ARTICLE, "
        "documented in knowledge/README.md); `knowledge check` enforces it.",
        ("id", "title", "topic", "aliases", "source", "cause", "fix_summary", "points",
         "steps", "variant_question", "variant_noun", "variant_hint", "variants",
         "uncovered", "other_clients", "notes", "customer_text", "see_also", "domains",
         "matching", "context"),
        _article_fields,
    ),
    ExtensionPoint(
        "language", "knowledge/<id>.examples.yaml (lang: on each example), and for answers "
        "knowledge/translations/<id>.<lang>.yaml + ui.<lang>.yaml",
        "Write labelled examples in the language (the codes they accept are bot/examples.py "
        "LANGUAGES); to answer in it, add its translation and UI-strings files, no code "
        "(docs/languages.md; `knowledge check` holds them to the English article).",
        ("ar", "bg", "ca", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "he", "hi",
         "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "nl", "no", "pl", "pt", "ro", "ru",
         "sk", "sl", "sr", "sv", "th", "tr", "uk", "vi", "zh"),
        _languages,
    ),
    ExtensionPoint(
        "setting", "bot/settings_registry.py SETTINGS, then a Settings field in bot/config.py",
        "Declare it once (name, section, help, default, secret); run python -m "
        "bot.settings_registry to rewrite deploy/.env.example and docs/configuration.md.",
        ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL",
         "SLACK_RETRY_BACKOFF", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "TOKEN_ENCRYPTION_KEY",
         "UNINSTALL_PURGES_CASES", "EMAILSTATUS_DB", "DATABASE_URL", "INBOX_SWEEP_EVERY",
         "SERVE_READ_TIMEOUT", "SERVE_REQUEST_DEADLINE", "KNOWLEDGE_DIR",
         "MODEL_CACHE_DIR", "EMAILSTATUS_HISTORY", "ESCALATION_CHANNEL", "SUMMARY_CHANNEL",
         "SUMMARY_TZ", "SUMMARY_SCHEDULE", "FOLLOW_UP_AFTER", "STORE_QUESTION_TEXT",
         "SUGGESTIONS", "SUGGESTIONS_OFF_CHANNELS", "MATCH_ANSWER_THRESHOLD",
         "MATCH_SUGGEST_THRESHOLD", "INBOX_REPLAY_MAX_AGE", "LOG_FORMAT", "LOG_LEVEL",
         "PORT"),
        _settings,
    ),
    ExtensionPoint(
        "metric", "bot/metrics.py _create(), plus one small function to count it",
        "A counter or histogram on the bot's own registry; /metrics shows it in every "
        "process.",
        ("emailstatus_answers", "emailstatus_case_events", "emailstatus_event_dedupe_hits",
         "emailstatus_feedback",
         "emailstatus_follow_ups", "emailstatus_inbox_replayed", "emailstatus_questions",
         "emailstatus_reply_queue", "emailstatus_reply_queue_wait_seconds",
         "emailstatus_request_seconds", "emailstatus_slack_api_errors",
         "emailstatus_slack_api_retries"),
        _metrics,
    ),
    ExtensionPoint(
        "store", "a Protocol in bot/store/protocols.py, implemented for SQLite (bot/store/) "
        "and PostgreSQL (bot/store/postgres/), then a field of Parts in bot/store/__init__.py",
        "Only bot/store has SQL; the store contract suite (tests/store) runs on both "
        "backends. Case writes go through bot/lifecycle.py.",
        ("cases", "gaps", "inbox", "claims", "follow_ups", "runs", "reports", "backend",
         "workspace_settings", "installations", "oauth_states"),
        _stores,
    ),
)  # fmt: skip


MAP_DOC_HEADER = """\
# Extension points

Where to add a surface, an article, a language, a setting, a metric or a store. Each
point names the real registry that holds what exists today; a test compares every
registry with this map (bot/extension_points.py), so none grows unannounced. This page
is generated from that module: `python -m bot.extension_points`.
"""


def extension_points_doc() -> str:
    parts = [MAP_DOC_HEADER]
    for point in EXTENSION_POINTS:
        known = ", ".join(f"`{item}`" for item in point.known)
        parts.append(
            f"## {point.name.capitalize()}\n\n- **Where:** `{point.where}`\n"
            f"- **How:** {point.how}\n- **Today:** {known}\n"
        )
    return "\n".join(parts)


def main() -> None:
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "docs" / "extension-points.md"
    path.write_text(extension_points_doc(), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
