"""Decide whether a knowledge article answers a message, and explain why (matcher v2).

The decision is learned: a classifier over the articles plus "none", trained at start-up
from the labelled examples next to each article (``bot.training``). The concept rules
(``bot.concepts``) feed it evidence, and explain it. Thresholds come from
cross-validation on the examples unless the configuration sets them.

Everything that depends on the knowledge is prepared in ``Matcher.__init__``; a query
costs one concept pass and one sparse dot product.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from bot.concepts import ConceptMatcher, Evidence
from bot.decision import Level, Match, Thresholds
from bot.examples import ExampleSet, examples_file, load_examples
from bot.knowledge import KnowledgeBase
from bot.linear import NO_PARTS, PartRule, with_context
from bot.text import normalise, split_parts
from bot.training import (
    NONE,
    Inputs,
    Trained,
    TrainingSet,
    best_article,
    cached,
    default_cache_dir,
    learner_header,
    train,
)

__all__ = ["Explanation", "Level", "Match", "Matcher", "Thresholds"]

_DEFAULT_CACHE = object()
# "2013", "opens?", "open open open…": never a question to answer on their own (in a
# thread, a bare version is a follow-up, handled before matching).
MIN_DISTINCT_WORDS = 2


@dataclass(frozen=True)
class _Decision:
    """What one text (the whole message, or one of its parts) says."""

    probabilities: dict[str, float]
    evidence: Evidence
    part: str | None  # None: the whole message
    article_id: str | None
    score: float  # 0-1: that some article answers
    context: str = ""  # the context it was read in, when that decided


@dataclass(frozen=True)
class Explanation:
    match: Match
    probabilities: list[tuple[str, float]]  # class -> probability, most likely first
    pushes: list[tuple[str, float]]  # feature -> contribution to the chosen class
    nearest: list[tuple[str, str, float]]  # (class, training text, similarity 0-100)
    concept_match: Match  # what the v1 concept rules alone decided


class Matcher:
    def __init__(
        self,
        knowledge: KnowledgeBase,
        thresholds: Thresholds | None = None,
        *,
        examples: ExampleSet | None = None,
        cache_dir: Path | object | None = _DEFAULT_CACHE,
    ) -> None:
        self.knowledge = knowledge
        self.concepts = ConceptMatcher(knowledge)
        self._examples = examples
        cache = default_cache_dir() if cache_dir is _DEFAULT_CACHE else cache_dir
        cache = cache if isinstance(cache, Path) else None
        # The articles' contexts ("Salesforce email tracking"): evidence for messages that
        # never name the product (a channel may pass its own to ``match``).
        self.context = "; ".join(dict.fromkeys(a.context for a in knowledge.articles if a.context))
        signature = _concept_signature(knowledge)
        # A start whose examples files are byte for byte those of a cached model loads it
        # without parsing them (most of a start's time); the examples load when asked for.
        index = ExamplesIndex(cache, self._files(), f"{signature}\x00{self.context}")
        self.trained: Trained | None = None if examples is not None else index.trained()
        if self.trained is None and len(set(self.training.labels)) >= 2:
            self.trained = train(
                self.training, self.inputs, self.concepts.feature_names, signature, cache,
                self.context,
            )  # fmt: skip
            if examples is None and not self.examples.problems:
                index.remember(self.trained)
        learned = self.trained.cross_validation.thresholds if self.trained else None
        self.thresholds = thresholds or learned or Thresholds()
        self._classes = self.trained.model.classes if self.trained else []
        self._example_vectors: Any = None  # a scipy sparse matrix, built for explanations

    def _files(self) -> list[Path]:
        return [f for f in article_example_files(self.knowledge) if f.exists()]

    @cached_property
    def examples(self) -> ExampleSet:
        """The labelled examples (parsed on first use when the model came from the index)."""
        return self._examples if self._examples is not None else load_examples(self._files())

    @cached_property
    def training(self) -> TrainingSet:
        return TrainingSet.from_examples(self.examples.examples)

    @property
    def example_problems(self) -> list[Any]:
        """Problems in the examples files; none when the model came from the index (it is
        only written for files without problems)."""
        if "examples" not in self.__dict__ and self._examples is None and self.trained:
            return []
        return list(self.examples.problems)

    @property
    def learned(self) -> bool:
        """False when the knowledge has no examples to learn from (concept rules decide)."""
        return self.trained is not None

    def match(self, text: str, context: str | None = None) -> Match:
        """The decision for a message; ``context`` (say, a channel's topic) replaces the
        articles' own as evidence for messages that never name the product."""
        evidence = self.concepts.analyse(text)
        if self.trained is None or not evidence.clean:
            return evidence.match
        if len(set(evidence.clean.split())) < MIN_DISTINCT_WORDS:
            why = ("one word is not a question: a reply in a conversation, or a test",)
            return Match(Level.SILENT, None, 0.0, evidence.match.version, why)
        decision = self._decide(text, evidence, self.context if context is None else context)
        score = _percent(decision.score)
        level = self.thresholds.level(score)
        article_id = decision.article_id
        concept_match = evidence.match
        return Match(
            level=level,
            article_id=article_id if level is not Level.SILENT else None,
            score=score,
            version=concept_match.version,
            reasons=self._reasons(decision, article_id),
            concepts=tuple(sorted(decision.evidence.phrases.get(article_id or "", {}))),
            corrections=concept_match.corrections,
            part=decision.part,
        )

    def _decide(self, text: str, evidence: Evidence, context: str = "") -> _Decision:
        """The whole message, its most answerable part and the message read in context,
        combined as cross-validation chose."""
        decision = self._decide_on_parts(text, evidence)
        rule = self.context_rule
        if not context or rule == NO_PARTS or decision.score < rule.floor:
            return decision  # context is evidence for a message that has some of its own
        found = self.concepts.analyse(with_context(context, text))
        probabilities = self._probabilities(found)
        article_id, score = self._best_article(probabilities)
        if not rule.decides(decision.score, score):
            return decision
        combined = rule.score(score)
        return _Decision(probabilities, found, None, article_id, combined, context)

    def _decide_on_parts(self, text: str, evidence: Evidence) -> _Decision:
        whole = self._probabilities(evidence)
        decision = _Decision(whole, evidence, None, *self._best_article(whole))
        rule = self.part_rule
        parts = split_parts(text) if rule != NO_PARTS and decision.score >= rule.floor else []
        best = None
        for part in parts:
            found = self.concepts.analyse(part)
            if len(set(found.clean.split())) < MIN_DISTINCT_WORDS:
                continue
            probabilities = self._probabilities(found)
            candidate = _Decision(probabilities, found, part, *self._best_article(probabilities))
            if best is None or candidate.score > best.score:
                best = candidate
        if best is None or not rule.decides(decision.score, best.score):
            return decision
        return replace(best, score=rule.score(best.score))

    def explain(self, text: str, nearest: int = 3) -> Explanation:
        """Why: the class probabilities and features of the text that decided (the whole
        message, or the part named in ``match.part``), and the nearest examples."""
        match = self.match(text)
        evidence = self.concepts.analyse(text)
        if self.trained is None or not evidence.clean:
            return Explanation(match, [], [], [], evidence.match)
        decision = self._decide(text, evidence, self.context)
        ranked = sorted(decision.probabilities.items(), key=lambda item: item[1], reverse=True)
        chosen = match.article_id or ranked[0][0]
        found = decision.evidence
        pushes = self.trained.model.contributions(
            found.clean, " ".join(found.words), found.features, chosen, top=8
        )
        closest = self.nearest(decision.part or text, nearest)
        return Explanation(match, ranked, pushes, closest, evidence.match)

    def nearest(self, text: str, limit: int = 3) -> list[tuple[str, str, float]]:
        """The training examples most like the text (cosine of the model's character
        n-grams, 0-100), with their class."""
        if self.trained is None:
            return []
        model = self.trained.model
        if self._example_vectors is None:  # built on the first explanation only
            self._example_vectors = _sparse_rows(
                model.char_vectors(normalise(t) for t in self.training.texts),
                len(model.parts[0].vocabulary),
            )
        columns, values = model.char_vectors([normalise(text)])[0]
        similarity = np.asarray(self._example_vectors[:, columns] @ values).ravel()
        best = np.argsort(-similarity, kind="stable")[:limit]
        return [
            (self.training.labels[i], self.training.texts[i], round(float(similarity[i]) * 100, 1))
            for i in best
        ]

    # -- steps ----------------------------------------------------------------------------

    def inputs(self, texts: list[str], evidence: list[Evidence] | None = None) -> Inputs:
        """What the model reads: clean text, typo-corrected words and concept evidence."""
        found = evidence or [self.concepts.analyse(t) for t in texts]
        return Inputs(
            clean=[e.clean for e in found],
            corrected=[" ".join(e.words) for e in found],
            concepts=np.array([e.features for e in found], dtype=np.float32),
        )

    def _probabilities(self, evidence: Evidence) -> dict[str, float]:
        assert self.trained is not None
        row = self.trained.model.probabilities_of_one(
            evidence.clean, " ".join(evidence.words), evidence.features
        )
        return {cls: float(p) for cls, p in zip(self._classes, row, strict=True)}

    @property
    def context_rule(self) -> PartRule:
        """When the message read in context may decide (cross-validated)."""
        return self.trained.cross_validation.context_rule if self.trained else NO_PARTS

    @property
    def part_rule(self) -> PartRule:
        """When a part of a longer message may decide instead of it (cross-validated)."""
        return self.trained.cross_validation.part_rule if self.trained else NO_PARTS

    def _best_article(self, probabilities: dict[str, float]) -> tuple[str | None, float]:
        """The most likely article, and the probability that some article answers."""
        row = np.array([[probabilities[c] for c in self._classes]])
        chosen, answerable = best_article(row, self._classes)
        return (chosen[0] if chosen[0] != NONE else None), float(answerable[0])

    @staticmethod
    def _reasons(decision: _Decision, article_id: str | None) -> tuple[str, ...]:
        evidence = decision.evidence
        shown = sorted(decision.probabilities.items(), key=lambda item: item[1], reverse=True)
        reasons = ["classifier: " + ", ".join(f"{c} {p:.2f}" for c, p in shown)]
        if decision.part is not None:
            reasons.append(f"decided by the part: '{' '.join(decision.part.split())[:120]}'")
        if decision.context:
            reasons.append(f"read in the context '{decision.context}'")
        phrases = evidence.phrases.get(article_id or "", {})
        reasons += [f"{concept}: '{phrase}'" for concept, phrase in sorted(phrases.items())]
        reasons += [f"read '{typo}' as '{word}'" for typo, word in evidence.match.corrections]
        return tuple(reasons)


def _percent(probability: float) -> float:
    """The 0-100 score, to 0.1 and rounded down: 100 only for a certain answer (a
    probability of 0.9996 is not, and must stay below a threshold of 100)."""
    return math.floor(probability * 1000 + 1e-9) / 10


def article_examples(knowledge: KnowledgeBase) -> ExampleSet:
    """The examples files that sit next to the loaded articles."""
    return load_examples(f for f in article_example_files(knowledge) if f.exists())


def article_example_files(knowledge: KnowledgeBase) -> list[Path]:
    return [Path(examples_file(a.path, a.id)) for a in knowledge.articles if a.path]


class ExamplesIndex:
    """Which fitted model the examples files, byte for byte, were last trained into.

    ``index-<hash of the files' bytes, the concept rules and the context>`` in the model
    cache holds the model's fingerprint. Any edit to a file is a new hash: the files are
    then parsed and the model is trained (or found by its own fingerprint) as before.
    """

    def __init__(self, cache_dir: Path | None, files: list[Path], signature: str) -> None:
        self.path: Path | None = None
        if cache_dir is None:
            return
        digest = hashlib.sha256(f"{learner_header()}\x00{signature}".encode())
        try:
            for file in files:
                digest.update(f"{file.name}\x00".encode() + file.read_bytes() + b"\x01")
        except OSError:
            return  # unreadable: parsed and reported as usual
        self.path = cache_dir / f"index-{digest.hexdigest()[:24]}.txt"

    def trained(self) -> Trained | None:
        if self.path is None:
            return None
        try:
            key = self.path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return cached(self.path.parent, key) if key.isalnum() else None

    def remember(self, trained: Trained) -> None:
        if self.path is None:
            return
        try:
            partial = self.path.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(trained.fingerprint, encoding="ascii")
            partial.replace(self.path)
        except OSError:
            pass  # only costs the next start a parse


def _concept_signature(knowledge: KnowledgeBase) -> str:
    """What the concept features depend on, for the model's cache key."""
    return repr([(a.id, a.matching.concepts, a.matching.require) for a in knowledge.articles])


def _sparse_rows(rows: list[tuple[np.ndarray, np.ndarray]], width: int) -> Any:
    """(columns, values) rows as one CSR matrix (scipy: imported for explanations only)."""
    import scipy.sparse as sp

    lengths = [len(columns) for columns, _ in rows]
    pointers = np.concatenate([[0], np.cumsum(lengths)])
    columns = np.concatenate([c for c, _ in rows]) if rows else np.zeros(0, dtype=np.int64)
    values = np.concatenate([v for _, v in rows]) if rows else np.zeros(0)
    return sp.csr_matrix((values, columns, pointers), shape=(len(rows), width))
