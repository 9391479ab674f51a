"""The one way tests build an ``Engine``: the session's knowledge, a real SQLite store."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from bot.engine import Engine
from bot.knowledge import KnowledgeBase
from bot.matching import Matcher, Thresholds
from bot.store import Store


def make_engine(
    knowledge: KnowledgeBase,
    store: Store | str | Path = ":memory:",
    thresholds: Thresholds | None = None,
    *,
    matcher: Matcher | None = None,
) -> Engine:
    """``matcher``: a shared one (the session's), else one built with ``thresholds``."""
    store = store if isinstance(store, Store) else Store(store)
    return Engine(knowledge, store, matcher or Matcher(knowledge, thresholds))


def engine_for(settings: Settings, knowledge: KnowledgeBase) -> Engine:
    """The engine ``settings`` describe (thresholds, database, question-text privacy)."""
    store = Store(settings.db_path, store_question_text=settings.store_question_text)
    thresholds = Thresholds.from_config(settings.answer_threshold, settings.suggest_threshold)
    return make_engine(knowledge, store, thresholds)
