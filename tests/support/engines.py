"""The one way tests build an ``Engine``: the session's knowledge, a real SQLite store."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from bot.engine import Engine
from bot.knowledge import KnowledgeBase
from bot.matching import Matcher, Thresholds
from bot.store import Store

# One matcher per knowledge base and thresholds for the whole run (per xdist worker):
# building one reads and checks every examples file (about 0.6 s of CPU), and a matcher
# keeps no state between questions. The knowledge object is kept with it, so a freed
# knowledge base's id can never hand its matcher to another one.
_MATCHERS: dict[tuple[int, Thresholds | None], tuple[KnowledgeBase, Matcher]] = {}


def shared_matcher(knowledge: KnowledgeBase, thresholds: Thresholds | None = None) -> Matcher:
    key = (id(knowledge), thresholds)
    if key not in _MATCHERS or _MATCHERS[key][0] is not knowledge:
        _MATCHERS[key] = (knowledge, Matcher(knowledge, thresholds))
    return _MATCHERS[key][1]


def make_engine(
    knowledge: KnowledgeBase,
    store: Store | str | Path = ":memory:",
    thresholds: Thresholds | None = None,
    *,
    matcher: Matcher | None = None,
) -> Engine:
    """``matcher``: a shared one (the session's), else one built with ``thresholds``."""
    store = store if isinstance(store, Store) else Store(store)
    return Engine(knowledge, store, matcher or shared_matcher(knowledge, thresholds))


def engine_for(settings: Settings, knowledge: KnowledgeBase) -> Engine:
    """The engine ``settings`` describe (thresholds, database, question-text privacy)."""
    store = Store(settings.db_path, store_question_text=settings.store_question_text)
    thresholds = Thresholds.from_config(settings.answer_threshold, settings.suggest_threshold)
    return make_engine(knowledge, store, thresholds)
