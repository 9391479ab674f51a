"""Text → Match → Answer, logged in the case log: what every question goes through.

``bot.conversation`` is the only caller: it decides what to reply on each surface.
What happens to a case afterwards (version, resolve, escalate, follow-up…) is the
``CaseLifecycle`` the engine holds as ``engine.lifecycle``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot import language, metrics
from bot.answers import OTHER, Answer, choose_variant, compose
from bot.config import Settings
from bot.knowledge import Article, KnowledgeBase, load_knowledge
from bot.lifecycle import CaseLifecycle
from bot.logs import annotate
from bot.matching import Level, Match, Matcher, Thresholds
from bot.store import Case, GapReason, Store, open_store
from bot.vocabulary import Where

__all__ = ["Engine", "Outcome", "Where"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    match: Match
    answer: Answer | None  # composed for answer and suggest levels
    case: Case | None  # opened for answer and suggest levels

    @property
    def level(self) -> Level:
        return self.match.level


class Engine:
    def __init__(self, knowledge: KnowledgeBase, store: Store, matcher: Matcher) -> None:
        self.knowledge = knowledge
        self.store = store
        self.matcher = matcher
        self.lifecycle = CaseLifecycle(knowledge, store)

    @classmethod
    def from_settings(cls, settings: Settings, store: Store | None = None) -> Engine:
        language.warm_up()  # the answer-language model trains while the rest loads
        knowledge = load_knowledge(settings.knowledge_dir)
        thresholds = Thresholds.from_config(settings.answer_threshold, settings.suggest_threshold)
        store = store or open_store(
            settings.db_path,
            database_url=settings.database_url,
            store_question_text=settings.store_question_text,
        )
        return cls(knowledge, store, Matcher(knowledge, thresholds))

    def ask(
        self, text: str, where: Where, *, version: str | None = None, suggest: bool = True
    ) -> Outcome:
        """Match, compose and log one question. With ``suggest=False`` a weak match opens
        no case (suggestions are off where it was asked, so nothing will be sent)."""
        match = self.matcher.match(text)
        metrics.question_seen(match.level.value)
        if match.level is Level.SUGGEST and not suggest:
            logger.info("question from %s: suggestion kept quiet", where.source)
            return Outcome(match, None, None)
        if match.level is Level.SILENT or match.article_id is None:
            # Never the text itself: it may be private (STORE_QUESTION_TEXT=false).
            logger.info("question from %s: silent (score %.0f)", where.source, match.score)
            if where.kind.direct:
                self._gap(where, text, GapReason.NO_MATCH, match)
            return Outcome(match, None, None)
        article = self.knowledge.get(match.article_id)
        assert article is not None
        chosen = version or choose_variant(article, match.version, text)
        answer = compose(article, chosen, text)
        case = self.lifecycle.open(
            where, text, level=match.level.value, article_id=article.id, score=match.score,
            detected_version=match.version,
        )  # fmt: skip
        annotate(case_id=case.id)
        logger.info(
            "question from %s: %s, case %s, article %s, version %s (score %.0f)",
            where.source, match.level.value, case.id, article.id, chosen, match.score,
        )  # fmt: skip
        if match.level is Level.ANSWER:
            metrics.answer_given(chosen)
        if version:
            self.store.cases.choose_version(case.id, version)
        if match.level is Level.ANSWER:
            self._answer_gaps(where, text, match, article, answer)
        return Outcome(match, answer, case)

    def _answer_gaps(
        self, where: Where, text: str, match: Match, article: Article, answer: Answer
    ) -> None:
        """An answer the article only partly covers is a knowledge gap worth recording."""
        if answer.version == OTHER and article.uncovered is not None:
            self._gap(where, text, article.uncovered.gap, match)
        elif answer.other_client is not None:
            self._gap(where, text, f"mail client not covered: {answer.other_client}", match)

    def _gap(self, where: Where, text: str, reason: GapReason | str, match: Match) -> None:
        self.store.gaps.record(
            source=where.source, reason=str(reason), question=text, score=match.score,
            version=match.version, team=where.team, enterprise=where.enterprise,
            channel=where.channel, user=where.user,
        )  # fmt: skip
