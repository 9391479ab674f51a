"""The concept matcher (v1): hand-written evidence for and against each article.

Since matcher v2 the learned classifier in ``bot.matching`` makes the decision; this
module supplies its concept features, its vetoes and half of its explanation, and stays
runnable on its own as the baseline that ``bench`` and ``replay`` compare against.

It looks for *concepts* that each article declares in its YAML (groups of
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
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.decision import Level, Match, Thresholds
from bot.knowledge import Article, KnowledgeBase
from bot.text import normalise
from bot.versions import detect_version

MIN_TYPO_LENGTH = 5  # shorter words are too easy to confuse ("read" / "real")
MAX_PHRASE_WORDS = 6
UNMET_REQUIREMENT_FACTOR = 0.7


def _is_inflection(word: str, known: str) -> bool:
    """'templated' is not a typo of 'template', nor 'reste' of 'rester'."""
    return word.startswith(known) or known.startswith(word)


@dataclass
class _ArticleIndex:
    article: Article
    concept_weights: dict[str, float]
    require: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Evidence:
    """What the concept rules see in one message."""

    match: Match  # the v1 decision
    features: list[float]  # in ``ConceptMatcher.feature_names`` order
    clean: str  # the normalised text (``bot.text.normalise``)
    words: list[str]  # normalised, with typos of known words corrected
    phrases: dict[str, dict[str, str]]  # article id -> concept -> the phrase that showed it


@dataclass
class _Hits:
    """Concepts found in one message for one article, with the phrase that showed each."""

    phrases: dict[str, str] = field(default_factory=dict)

    def add(self, concept: str, phrase: str) -> None:
        # Keep the longest phrase as the explanation for the concept.
        if len(phrase) > len(self.phrases.get(concept, "")):
            self.phrases[concept] = phrase


class ConceptMatcher:
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
            )
        )
        for concept in rules.concepts:
            for term in concept.terms:
                phrase = tuple(normalise(term).split())[:MAX_PHRASE_WORDS]
                if phrase and (position, concept.name) not in self.phrases[phrase]:
                    self.phrases[phrase].append((position, concept.name))

    # -- public -------------------------------------------------------------------------

    def match(self, text: str) -> Match:
        return self.analyse(text).match

    def analyse(self, text: str) -> Evidence:
        """The v1 decision and the concept features, from one pass over the words."""
        version = detect_version(text)
        clean, words, corrections = self._words(text)
        hits = self._find_concepts(words) if words else {}
        scored = {i: self._score(i, h) for i, h in hits.items()}
        features = self._features(hits, scored)
        if not words:
            why = ("no words to match",)
            return Evidence(
                Match(Level.SILENT, None, 0.0, version, why), features, clean, words, {}
            )
        if not hits:
            why = ("no topic words",)
            silent = Match(Level.SILENT, None, 0.0, version, why, (), corrections)
            return Evidence(silent, features, clean, words, {})
        index = max(scored, key=lambda i: scored[i][0])
        score, requirement_met = scored[index]
        best_hits = hits[index]
        match = Match(
            level=self.thresholds.level(score, may_answer=requirement_met),
            article_id=self.articles[index].article.id,
            score=score,
            version=version,
            reasons=self._explain(best_hits, corrections, requirement_met),
            concepts=tuple(sorted(best_hits.phrases)),
            corrections=corrections,
        )
        phrases = {self.articles[i].article.id: dict(h.phrases) for i, h in hits.items()}
        return Evidence(match, features, clean, words, phrases)

    @property
    def feature_names(self) -> list[str]:
        names = []
        for entry in self.articles:
            prefix = entry.article.id
            names += [f"{prefix}:{name}" for name in entry.concept_weights]
            names += [f"{prefix}:v1_score", f"{prefix}:v1_requirements_met"]
        return names

    def _features(
        self, hits: dict[int, _Hits], scored: dict[int, tuple[float, bool]]
    ) -> list[float]:
        """Concept presence, then the v1 score (0-1) and whether its requirements hold."""
        values: list[float] = []
        for index, entry in enumerate(self.articles):
            present = hits[index].phrases if index in hits else {}
            values += [1.0 if name in present else 0.0 for name in entry.concept_weights]
            score, met = scored.get(index, (0.0, False))
            values += [score / 100.0, 1.0 if met else 0.0]
        return values

    # -- steps ----------------------------------------------------------------------------

    def _words(self, text: str) -> tuple[str, list[str], tuple[tuple[str, str], ...]]:
        """The normalised text, its words with known-word typos corrected, the corrections."""
        clean = normalise(text)
        words = clean.split()
        corrections = []
        for position, word in enumerate(words):
            if word in self.vocabulary or len(word) < MIN_TYPO_LENGTH or word.isdigit():
                continue
            known = self._correct(word)
            if known is not None:
                corrections.append((word, known))
                words[position] = known
        return clean, words, tuple(corrections)

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

    def _score(self, index: int, hits: _Hits) -> tuple[float, bool]:
        entry = self.articles[index]
        weights = [entry.concept_weights[name] for name in hits.phrases]
        # Evidence for the topic saturates at 100; evidence against it always counts in full.
        evidence = min(100.0, sum(w for w in weights if w > 0))
        total = evidence + sum(w for w in weights if w < 0)
        requirement_met = all(any(c in hits.phrases for c in group) for group in entry.require)
        if not requirement_met:
            total *= UNMET_REQUIREMENT_FACTOR
        return max(0.0, total), requirement_met

    @staticmethod
    def _explain(
        hits: _Hits, corrections: tuple[tuple[str, str], ...], requirement_met: bool
    ) -> tuple[str, ...]:
        reasons = [f"{concept}: '{phrase}'" for concept, phrase in sorted(hits.phrases.items())]
        reasons += [f"read '{typo}' as '{word}'" for typo, word in corrections]
        if not requirement_met:
            reasons.append("missing a required concept")
        return tuple(reasons)
