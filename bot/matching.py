"""Decide whether a knowledge article answers a message, and explain why.

The matcher looks for *concepts* that each article declares in its YAML (groups of
words and phrases in any language), not for sentences. A message is answered when
every ``require`` group of an article is present and the summed concept weights reach
the answer threshold. Neighbouring topics (other products, setup questions) carry
negative weights, which keeps the bot quiet on near-misses.

Everything that depends on the knowledge base is precomputed in ``Matcher.__init__``;
a query costs one pass over its words plus rapidfuzz look-ups for words we do not know.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.knowledge import Article, KnowledgeBase
from bot.text import normalise
from bot.versions import detect_version

MIN_TYPO_LENGTH = 5  # shorter words are too easy to confuse ("read" / "real")
MAX_PHRASE_WORDS = 6
UNMET_REQUIREMENT_FACTOR = 0.7


def _is_inflection(word: str, known: str) -> bool:
    """'templated' is not a typo of 'template', nor 'reste' of 'rester'."""
    return word.startswith(known) or known.startswith(word)


class Level(StrEnum):
    ANSWER = "answer"
    SUGGEST = "suggest"
    SILENT = "silent"


@dataclass(frozen=True)
class Thresholds:
    """Score cut-offs (0-100). At or above ``answer`` the bot answers; at or above
    ``suggest`` it asks first; below, it stays silent."""

    answer: float = 60.0
    suggest: float = 50.0

    def __post_init__(self) -> None:
        if not 0 <= self.suggest <= self.answer <= 100:
            raise ValueError("thresholds must satisfy 0 <= suggest <= answer <= 100")


@dataclass(frozen=True)
class Match:
    level: Level
    article_id: str | None
    score: float
    version: str | None
    reasons: tuple[str, ...] = ()
    concepts: tuple[str, ...] = ()
    corrections: tuple[tuple[str, str], ...] = ()

    @property
    def matched(self) -> bool:
        return self.level is Level.ANSWER

    def as_contract(self) -> dict[str, object]:
        """The fixed ``match --jsonl`` output shape."""
        return {
            "match": self.matched,
            "article": self.article_id if self.level is not Level.SILENT else None,
            "score": round(self.score, 1),
            "version": self.version,
            "level": self.level.value,
        }


@dataclass
class _ArticleIndex:
    article: Article
    concept_weights: dict[str, float]
    require: tuple[tuple[str, ...], ...]
    examples: list[str]


@dataclass
class _Hits:
    """Concepts found in one message for one article, with the phrase that showed each."""

    phrases: dict[str, str] = field(default_factory=dict)

    def add(self, concept: str, phrase: str) -> None:
        # Keep the longest phrase as the explanation for the concept.
        if len(phrase) > len(self.phrases.get(concept, "")):
            self.phrases[concept] = phrase


class Matcher:
    def __init__(self, knowledge: KnowledgeBase, thresholds: Thresholds | None = None) -> None:
        self.thresholds = thresholds or Thresholds()
        self.articles: list[_ArticleIndex] = []
        # phrase (tuple of words) -> [(article index, concept name)]
        self.phrases: dict[tuple[str, ...], list[tuple[int, str]]] = defaultdict(list)
        for article in knowledge.articles:
            self._index(article)
        self.vocabulary = {word for phrase in self.phrases for word in phrase}
        self.vocabulary_by_initial: dict[str, list[str]] = defaultdict(list)
        for word in sorted(self.vocabulary):
            if len(word) >= MIN_TYPO_LENGTH - 1:
                self.vocabulary_by_initial[word[0]].append(word)
        self.longest_phrase = max((len(p) for p in self.phrases), default=1)
        self._correct = lru_cache(maxsize=50_000)(self._closest_known_word)

    def _index(self, article: Article) -> None:
        position = len(self.articles)
        rules = article.matching
        self.articles.append(
            _ArticleIndex(
                article=article,
                concept_weights={c.name: c.weight for c in rules.concepts},
                require=rules.require,
                examples=[normalise(e) for e in rules.examples],
            )
        )
        for concept in rules.concepts:
            for term in concept.terms:
                phrase = tuple(normalise(term).split())[:MAX_PHRASE_WORDS]
                if phrase and (position, concept.name) not in self.phrases[phrase]:
                    self.phrases[phrase].append((position, concept.name))

    # -- public -------------------------------------------------------------------------

    def match(self, text: str) -> Match:
        version = detect_version(text)
        words, corrections = self._words(text)
        if not words:
            return Match(Level.SILENT, None, 0.0, version, ("no words to match",))
        hits = self._find_concepts(words)
        if not hits:
            return Match(Level.SILENT, None, 0.0, version, ("no topic words",), (), corrections)
        scored = [(self._score(i, h, words), i, h) for i, h in hits.items()]
        (score, requirement_met), index, best_hits = max(scored, key=lambda s: s[0][0])
        level = self._level(score, requirement_met)
        reasons = self._explain(best_hits, corrections, requirement_met)
        article_id = self.articles[index].article.id
        return Match(
            level=level,
            article_id=article_id,
            score=score,
            version=version,
            reasons=reasons,
            concepts=tuple(sorted(best_hits.phrases)),
            corrections=corrections,
        )

    def closest_example(self, article_id: str, text: str) -> tuple[str, float] | None:
        """The article's example question nearest to the text (for explanations)."""
        entry = next((a for a in self.articles if a.article.id == article_id), None)
        if entry is None or not entry.examples:
            return None
        found = process.extractOne(normalise(text), entry.examples, scorer=fuzz.token_set_ratio)
        return (found[0], float(found[1])) if found else None

    # -- steps ----------------------------------------------------------------------------

    def _words(self, text: str) -> tuple[list[str], tuple[tuple[str, str], ...]]:
        words = normalise(text).split()
        corrections = []
        for position, word in enumerate(words):
            if word in self.vocabulary or len(word) < MIN_TYPO_LENGTH or word.isdigit():
                continue
            known = self._correct(word)
            if known is not None:
                corrections.append((word, known))
                words[position] = known
        return words, tuple(corrections)

    def _closest_known_word(self, word: str) -> str | None:
        """A known word one typo away (two for long words), with the same first letter."""
        candidates = self.vocabulary_by_initial.get(word[0])
        if not candidates:
            return None
        allowed = 1 if len(word) < 10 else 2
        nearest = process.extract(
            word, candidates, scorer=OSA.distance, score_cutoff=allowed, limit=5
        )
        return next((known for known, _, _ in nearest if not _is_inflection(word, known)), None)

    def _find_concepts(self, words: list[str]) -> dict[int, _Hits]:
        hits: dict[int, _Hits] = defaultdict(_Hits)
        for start in range(len(words)):
            for length in range(1, min(self.longest_phrase, len(words) - start) + 1):
                phrase = tuple(words[start : start + length])
                for article_index, concept in self.phrases.get(phrase, ()):
                    hits[article_index].add(concept, " ".join(phrase))
        return hits

    def _score(self, index: int, hits: _Hits, words: list[str]) -> tuple[float, bool]:
        entry = self.articles[index]
        weights = [entry.concept_weights[name] for name in hits.phrases]
        # Evidence for the topic saturates at 100; evidence against it always counts in full.
        evidence = min(100.0, sum(w for w in weights if w > 0))
        total = evidence + sum(w for w in weights if w < 0)
        requirement_met = all(any(c in hits.phrases for c in group) for group in entry.require)
        if not requirement_met:
            total *= UNMET_REQUIREMENT_FACTOR
        return max(0.0, total), requirement_met

    def _level(self, score: float, requirement_met: bool) -> Level:
        if requirement_met and score >= self.thresholds.answer:
            return Level.ANSWER
        if score >= self.thresholds.suggest:
            return Level.SUGGEST
        return Level.SILENT

    @staticmethod
    def _explain(
        hits: _Hits, corrections: tuple[tuple[str, str], ...], requirement_met: bool
    ) -> tuple[str, ...]:
        reasons = [f"{concept}: '{phrase}'" for concept, phrase in sorted(hits.phrases.items())]
        reasons += [f"read '{typo}' as '{word}'" for typo, word in corrections]
        if not requirement_met:
            reasons.append("missing a required concept")
        return tuple(reasons)
