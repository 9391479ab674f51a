"""The fitted matcher model as plain arrays: TF-IDF vocabularies, IDF weights and the
classifier's coefficients. No scikit-learn here.

Training (``bot.training``) fits scikit-learn's vectorisers and LogisticRegression, then
copies what they learned into a :class:`LinearModel`. Serving only needs a sparse dot
product, so loading a cached model does not import scikit-learn (about 0.8 s of start-up).
The analysers below reproduce scikit-learn's ``char_wb`` and word n-grams exactly; a test
compares the probabilities of both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

NONE = "none"  # the class of messages no article answers
WORD_CACHE_SIZE = 50_000  # words whose character-gram columns are kept
_WORD_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern


def char_wb_grams(text: str, low: int, high: int) -> list[str]:
    """Character n-grams inside word boundaries, each word padded with one space."""
    grams: list[str] = []
    for word in text.lower().split():
        padded = f" {word} "
        for n in range(low, high + 1):
            grams.extend(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
            if len(padded) <= n:  # the whole word was one gram: longer ones repeat it
                break
    return grams


def word_grams(text: str, low: int, high: int) -> list[str]:
    tokens = _WORD_TOKEN.findall(text.lower())
    grams = list(tokens) if low == 1 else []
    for n in range(max(2, low), min(high, len(tokens)) + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


@dataclass(frozen=True)
class VectorPart:
    """One TF-IDF vectoriser (sublinear tf, L2 norm) and its block of the weights."""

    name: str  # how its features are shown: "char", "word", "word*"
    analyser: str  # "char_wb" or "word"
    ngrams: tuple[int, int]
    vocabulary: dict[str, int]
    idf: np.ndarray
    weights: np.ndarray  # classes x this part's columns

    def grams(self, text: str) -> list[str]:
        low, high = self.ngrams
        if self.analyser == "char_wb":
            return char_wb_grams(text, low, high)
        return word_grams(text, low, high)

    def tfidf(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The message's sparse row: columns and values, as scikit-learn computes them."""
        columns, counts = np.unique(np.array(self._columns(text), dtype=np.int64),
                                    return_counts=True)  # fmt: skip
        values = (np.log(counts.astype(np.float64)) + 1.0) * self.idf[columns]
        norm = np.sqrt(values @ values)
        return columns, (values / norm if norm else values)

    def _columns(self, text: str) -> list[int]:
        """The vocabulary column of every gram of the text found in the vocabulary."""
        if self.analyser != "char_wb":
            found = (self.vocabulary.get(g) for g in self.grams(text))
            return [c for c in found if c is not None]
        # Character grams never cross words: look each word up once (the parts of a long
        # message repeat its words, and so do messages).
        cache = self._word_cache()
        low, high = self.ngrams
        columns: list[int] = []
        for word in text.lower().split():
            hits = cache.get(word)
            if hits is None:
                found = (self.vocabulary.get(g) for g in char_wb_grams(word, low, high))
                hits = tuple(c for c in found if c is not None)
                if len(cache) >= WORD_CACHE_SIZE:
                    cache.clear()
                cache[word] = hits
            columns.extend(hits)
        return columns

    def _word_cache(self) -> dict[str, tuple[int, ...]]:
        cache = self.__dict__.get("_words")
        if cache is None:
            cache = {}
            object.__setattr__(self, "_words", cache)
        return cache

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def feature_name(self, column: int) -> str:
        gram = self._names()[column]
        return f"'{gram}'" if self.analyser == "char_wb" else f"{self.name} '{gram}'"

    def _names(self) -> list[str]:
        names = self.__dict__.get("_names_cache")
        if names is None:  # built on the first explanation only
            names = [""] * len(self.vocabulary)
            for gram, column in self.vocabulary.items():
                names[column] = gram
            object.__setattr__(self, "_names_cache", names)
        return names


@dataclass
class LinearModel:
    """Classes, the vectorised parts and the linear weights: everything a match needs."""

    classes: list[str]
    parts: tuple[VectorPart, ...]  # read: clean text, clean text, corrected words
    concept_weights: np.ndarray  # classes x concept columns
    intercept: np.ndarray
    concept_scale: float
    concept_names: list[str] = field(default_factory=list)

    def logits(self, clean: str, corrected: str, concepts: Sequence[float]) -> np.ndarray:
        scaled = np.asarray(concepts, dtype=np.float64) * self.concept_scale
        logits = self.intercept + self.concept_weights @ scaled
        for part, text in zip(self.parts, (clean, clean, corrected), strict=True):
            columns, values = part.tfidf(text)
            if len(columns):
                logits = logits + part.weights[:, columns] @ values
        return logits

    def probabilities_of_one(
        self, clean: str, corrected: str, concepts: Sequence[float]
    ) -> np.ndarray:
        """One probability per class (``self.classes`` order), as LogisticRegression's."""
        logits = self.logits(clean, corrected, concepts)
        if len(logits) == 1:  # two classes: the logistic over classes[1]
            positive = 1.0 / (1.0 + np.exp(-logits[0]))
            return np.array([1.0 - positive, positive])
        exp = np.exp(logits - logits.max())
        return exp / exp.sum()

    def probabilities(
        self, clean: Sequence[str], corrected: Sequence[str], concepts: np.ndarray
    ) -> np.ndarray:
        rows = zip(clean, corrected, concepts, strict=True)
        return np.array([self.probabilities_of_one(a, b, list(c)) for a, b, c in rows])

    def contributions(
        self, clean: str, corrected: str, concepts: Sequence[float], cls: str, top: int = 6
    ) -> list[tuple[str, float]]:
        """The features of one message that pushed hardest for (+) or against (-) a class."""
        sign, row = self._class_row(cls)
        scored = []
        for part, text in zip(self.parts, (clean, clean, corrected), strict=True):
            columns, values = part.tfidf(text)
            weights = sign * part.weights[row, columns]
            scored += [(part.feature_name(int(c)), float(v * w))
                       for c, v, w in zip(columns, values, weights, strict=True)]  # fmt: skip
        scaled = np.asarray(concepts, dtype=np.float64) * self.concept_scale
        for index in np.flatnonzero(scaled):
            weight = sign * self.concept_weights[row, index]
            scored.append((f"concept {self.concept_names[index]}", float(scaled[index] * weight)))
        scored.sort(key=lambda item: abs(item[1]), reverse=True)
        return scored[:top]

    def _class_row(self, cls: str) -> tuple[float, int]:
        if len(self.intercept) == 1:  # two classes: one row, for classes[1]
            return (1.0 if cls == self.classes[1] else -1.0), 0
        return 1.0, self.classes.index(cls)

    def char_vectors(self, texts: Iterable[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """The character n-gram rows of many texts (for nearest-example look-ups)."""
        return [self.parts[0].tfidf(t) for t in texts]


def best_article(probabilities: np.ndarray, classes: list[str]) -> tuple[list[str], np.ndarray]:
    """Per row, the most likely article (never NONE) and the probability that *some*
    article answers the message (1 - p(none)).

    Whether to speak and which article to give are separate questions: two neighbouring
    articles that share the probability mass still make a confident "answer".
    """
    columns = [i for i, c in enumerate(classes) if c != NONE]
    if not columns:
        return [NONE] * len(probabilities), np.zeros(len(probabilities))
    best = probabilities[:, columns].argmax(axis=1)
    answerable = probabilities[:, columns].sum(axis=1)
    return [classes[columns[i]] for i in best], answerable


def answerable(probabilities: np.ndarray, classes: list[str]) -> np.ndarray:
    """Per row, the probability that some article answers (1 - p(none))."""
    return best_article(probabilities, classes)[1]


@dataclass(frozen=True)
class PartRule:
    """When a part of a longer message may decide instead of the whole (cross-validated)."""

    penalty: float = 1.0  # what the part's score gives up first (1.0: parts never decide)
    floor: float = 0.0  # the whole message must reach this score: some of it is on topic

    def __str__(self) -> str:
        return f"penalty {self.penalty:g}, floor {self.floor:g}"

    def decides(self, own: float, other: float) -> bool:
        """Whether ``other`` (a part, or the message in context) decides instead of ``own``."""
        return other - self.penalty > own and own >= self.floor

    def score(self, other: float) -> float:
        """The score when ``other`` decides: its own, less the penalty."""
        return other - self.penalty


NO_PARTS = PartRule()


def combine_parts(
    whole: np.ndarray, best_part: np.ndarray, rule: PartRule, classes: list[str]
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The decision from the whole message and its most answerable part.

    The part decides when its score, less the rule's penalty, beats the whole's, and the
    whole reaches the rule's floor: its question is not cancelled by an unrelated greeting
    or update beside it, while the penalty pays for taking the best of several parts (the
    most confident of many guesses is optimistic) and the floor keeps one on-topic-looking
    clause of an off-topic message from speaking for it. Returns (articles, scores,
    decided by part).
    """
    whole_articles, whole_scores = best_article(whole, classes)
    part_articles, part_scores = best_article(best_part, classes)
    return prefer(whole_articles, whole_scores, part_articles, part_scores, rule)


def prefer(
    own_articles: list[str],
    own_scores: np.ndarray,
    other_articles: list[str],
    other_scores: np.ndarray,
    rule: PartRule,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """``own`` unless ``other``, less the penalty, beats it and ``own`` reaches the floor."""
    lifted = other_scores - rule.penalty
    used = (lifted > own_scores) & (own_scores >= rule.floor)
    scores = np.where(used, lifted, own_scores)
    pairs = zip(other_articles, own_articles, used, strict=True)
    articles = [other if chosen else own for other, own, chosen in pairs]
    return articles, scores, used


def most_answerable(
    whole: np.ndarray, parts: np.ndarray, owners: Sequence[int], classes: list[str]
) -> np.ndarray:
    """Per message, the probabilities of its most answerable part (its whole's if none)."""
    best = whole.copy()
    best_score = np.full(len(whole), -1.0)
    for row, (owner, score) in enumerate(zip(owners, answerable(parts, classes), strict=True)):
        if score > best_score[owner]:
            best_score[owner] = score
            best[owner] = parts[row]
    return best


def with_context(context: str, text: str) -> str:
    """The message as read after the context of the channel or the articles."""
    return f"{context}: {text}" if context else text
