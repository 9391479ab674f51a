"""Labelled examples → a fitted classifier, its thresholds and its k-fold figures.

The classes are the articles plus ``none``. Features are TF-IDF character n-grams inside
word boundaries (robust to typos, accents and cognates across languages), word n-grams,
and the concept rules' evidence (``bot.concepts``) as extra columns. The model is a
scikit-learn LogisticRegression.

The answer and suggest thresholds are chosen by cross-validation on the training
examples alone (never on an evaluation set): the answer threshold is the one with the
best out-of-fold F1 whose false-positive rate stays within ``ANSWER_MAX_FPR``.

Training is deterministic. A fitted model is cached (in memory and on disk) under a hash
of everything it learned from, so a restart or a second engine in one process reuses it.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import pickle
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.decision import Thresholds
from bot.examples import Example, Label
from bot.linear import (
    NO_PARTS,
    NONE,
    LinearModel,
    PartRule,
    VectorPart,
    best_article,
    combine_parts,
    most_answerable,
    prefer,
    with_context,
)
from bot.text import split_parts

if TYPE_CHECKING:
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

logger = logging.getLogger(__name__)

__all__ = [
    "NONE",
    "Inputs",
    "Trained",
    "TrainingSet",
    "best_article",
    "cross_validation_lines",
    "train",
]

MODEL_FORMAT = 12  # bump when features or training change, to retire cached models
FOLDS = 5
SEED = 0
# Chosen by cross-validation on the training examples (random and leave-one-near-miss-
# family-out folds), never on an evaluation set.
REGULARISATION_C = 100.0
CONCEPT_SCALE = 0.1
CHAR_NGRAMS = (2, 5)
WORD_NGRAMS = (1, 2)  # weight of the concept columns next to the TF-IDF ones
# Policy, not tuning: how many out-of-fold near-misses each level may answer.
ANSWER_MAX_FPR = 0.015
SUGGEST_MAX_FPR = 0.05
# When the most answerable part of a longer message may decide instead of the whole
# message (bot.linear.combine_parts); one is chosen by cross-validation.
PART_RULES = tuple(
    PartRule(penalty, floor)
    for penalty in (0.2, 0.1, 0.05, 0.02, 0.0)
    for floor in (0.0, 0.25, 0.5)
)
# When the message read after the articles' context may decide: the message alone must
# reach the floor (context is evidence, never the reason); one is chosen by cross-validation.
CONTEXT_RULES = tuple(
    PartRule(penalty, floor) for penalty in (0.1, 0.05, 0.02, 0.0) for floor in (0.25, 0.5)
)
COMPOSITES_PER_FOLD = 200
# Fine near 1: the scores of a confident model crowd there, and a 0.01 step can cost a
# point of recall at the same false-positive policy.
THRESHOLD_GRID = tuple(
    sorted({round(float(t), 4) for t in np.arange(0.30, 0.9, 0.01)}
           | {round(float(t), 4) for t in np.arange(0.9, 0.9901, 0.0025)})
)  # fmt: skip


@dataclass(frozen=True)
class TrainingSet:
    texts: list[str]  # as written (Slack markup and all)
    labels: list[str]  # an article id or NONE
    families: list[str]
    langs: list[str]

    @classmethod
    def from_examples(cls, examples: Sequence[Example]) -> TrainingSet:
        labels = [e.article_id if e.label is Label.POSITIVE else NONE for e in examples]
        return cls(
            texts=[e.text for e in examples],
            labels=labels,
            families=[e.family for e in examples],
            langs=[e.lang for e in examples],
        )

    def __len__(self) -> int:
        return len(self.texts)


Prepare = Callable[[list[str]], "Inputs"]


@dataclass(frozen=True)
class Inputs:
    """A batch of messages as the model reads them (see ``Matcher.inputs``)."""

    clean: list[str]  # normalised text
    corrected: list[str]  # normalised words, typos of known topic words corrected
    concepts: np.ndarray  # concept evidence, one row per message


class Model:
    """scikit-learn's vectorisers and classifier, for fitting. Serving uses the
    :class:`~bot.linear.LinearModel` that :meth:`compile` copies out of it."""

    def __init__(self) -> None:
        from sklearn.linear_model import LogisticRegression

        self.chars = _char_vectoriser()
        self.words = _word_vectoriser()
        self.corrected = _word_vectoriser()
        # newton-cg: the same optimum as lbfgs, reached ~20x faster on this sparse problem
        # (scipy's L-BFGS-B spends seconds per fit in its bound-handling routine here).
        self.classifier = LogisticRegression(
            C=REGULARISATION_C, max_iter=3000, class_weight="balanced", solver="newton-cg"
        )

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.classifier.classes_]

    def fit(self, inputs: Inputs, labels: list[str]) -> Model:
        import scipy.sparse as sp

        matrix = sp.hstack(
            [
                self.chars.fit_transform(inputs.clean),
                self.words.fit_transform(inputs.clean),
                self.corrected.fit_transform(inputs.corrected),
                sp.csr_matrix(inputs.concepts * CONCEPT_SCALE),
            ]
        ).tocsr()
        self.classifier.fit(matrix, labels)
        return self

    def fit_rows(self, tokens: Tokens, rows: np.ndarray, labels: list[str]) -> Model:
        """``fit`` on the training texts ``rows`` (ascending), from their counted n-grams."""
        import scipy.sparse as sp

        concepts = tokens.concepts(rows)
        matrix = sp.hstack(
            [
                tokens.fit("char", self.chars, rows),
                tokens.fit("word", self.words, rows),
                tokens.fit("word*", self.corrected, rows),
                sp.csr_matrix(concepts * CONCEPT_SCALE),
            ]
        ).tocsr()
        self.classifier.fit(matrix, labels)
        return self

    def features(self, inputs: Inputs, tokens: Tokens | None = None) -> sp.csr_matrix:
        """The model's features of the messages; with the ``tokens`` it was just fitted
        from (``fit_rows``), their n-grams are counted once for all the folds."""
        import scipy.sparse as sp

        if tokens is None:
            texts = [
                self.chars.transform(inputs.clean),
                self.words.transform(inputs.clean),
                self.corrected.transform(inputs.corrected),
            ]
        else:
            texts = [
                tokens.transform("char", self.chars, inputs.clean),
                tokens.transform("word", self.words, inputs.clean),
                tokens.transform("word*", self.corrected, inputs.corrected),
            ]
        return sp.hstack([*texts, sp.csr_matrix(inputs.concepts * CONCEPT_SCALE)]).tocsr()

    def probabilities(self, inputs: Inputs, tokens: Tokens | None = None) -> np.ndarray:
        """One row per message, one column per class (``self.classes`` order)."""
        return np.asarray(self.classifier.predict_proba(self.features(inputs, tokens)))

    def compile(self, concept_names: list[str]) -> LinearModel:
        """What serving needs, as plain arrays (no scikit-learn objects)."""
        coef = self.classifier.coef_.astype(np.float64)
        parts, start = [], 0
        vectorisers = (("char", self.chars), ("word", self.words), ("word*", self.corrected))
        for name, vectoriser in vectorisers:
            width = len(vectoriser.vocabulary_)
            parts.append(
                VectorPart(
                    name=name,
                    analyser=vectoriser.analyzer,
                    ngrams=vectoriser.ngram_range,
                    vocabulary={str(k): int(v) for k, v in vectoriser.vocabulary_.items()},
                    idf=vectoriser.idf_.astype(np.float64),
                    weights=np.ascontiguousarray(coef[:, start : start + width]),
                )
            )
            start += width
        return LinearModel(
            classes=self.classes,
            parts=tuple(parts),
            concept_weights=np.ascontiguousarray(coef[:, start:]),
            intercept=self.classifier.intercept_.astype(np.float64),
            concept_scale=CONCEPT_SCALE,
            concept_names=list(concept_names),
        )


def _char_vectoriser() -> TfidfVectorizer:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True, min_df=2, dtype=np.float32
    )


class Tokens:
    """The training texts' n-gram counts, computed once for the whole fit and all the
    cross-validation folds.

    Splitting a text into n-grams and counting them is most of a fit's time, and it does not
    depend on the fold. A fold's vectoriser is then made from these counts exactly as
    scikit-learn would fit it on the fold's texts: the same vocabulary (terms in at least
    ``min_df`` of them, in sorted order), the same counts, the same idf and the same order
    of entries inside each row, so the same features bit for bit. Held-out texts are read
    the same way (``transform``): their n-grams are counted once, whatever the fold."""

    def __init__(self, inputs: Inputs) -> None:
        self._inputs = inputs
        self._counted: dict[str, _Counts] = {}
        # per vectoriser: the vocabulary fitted last and its column for each term id
        self._columns: dict[str, tuple[dict[str, int], np.ndarray]] = {}

    def fit(self, name: str, vectoriser: TfidfVectorizer, rows: np.ndarray) -> sp.csr_matrix:
        """Fit ``vectoriser`` on the training texts ``rows`` (ascending); their TF-IDF rows."""
        counts, vocabulary, column = self._counts(name, vectoriser).of_rows(rows, vectoriser.min_df)
        tfidf = _tfidf(vectoriser).fit(counts)
        vectoriser.vocabulary_ = vocabulary
        vectoriser.idf_ = tfidf.idf_
        self._columns[name] = (vocabulary, column)
        return tfidf.transform(counts, copy=False)

    def transform(self, name: str, vectoriser: TfidfVectorizer, texts: list[str]) -> sp.csr_matrix:
        """``vectoriser.transform(texts)`` for a vectoriser fitted by :meth:`fit`, bit for
        bit: the same counts, in column order within each row, through the same TF-IDF."""
        vocabulary, column = self._columns.get(name, (None, None))
        if column is None or vocabulary is not vectoriser.vocabulary_:
            raise ValueError(f"the {name} vectoriser was not the last one this fitted")
        counts = self._counted[name].of_texts(texts, column, len(vocabulary))
        tfidf = _tfidf(vectoriser)
        tfidf.idf_ = vectoriser.idf_
        return tfidf.transform(counts, copy=False)

    def _counts(self, name: str, vectoriser: TfidfVectorizer) -> _Counts:
        if name not in self._counted:
            texts = self._inputs.corrected if name == "word*" else self._inputs.clean
            analyse = vectoriser.build_analyzer()
            self._counted[name] = _Counts(texts, analyse, by_word=vectoriser.analyzer == "char_wb")
        return self._counted[name]

    def concepts(self, rows: np.ndarray) -> np.ndarray:
        return self._inputs.concepts[rows]


def _tfidf(vectoriser: TfidfVectorizer) -> TfidfTransformer:
    from sklearn.feature_extraction.text import TfidfTransformer

    return TfidfTransformer(
        norm=vectoriser.norm,
        use_idf=vectoriser.use_idf,
        smooth_idf=vectoriser.smooth_idf,
        sublinear_tf=vectoriser.sublinear_tf,
    )


class _Counts:
    """Each training text's n-grams as term ids (in order of first appearance) and counts,
    and the known terms of any other text."""

    def __init__(self, texts: list[str], analyse: Callable[[str], list[str]], by_word: bool):
        self.analyse = analyse
        # Character grams never cross words (char_wb): each word's term ids, found once.
        self.words: dict[str, tuple[int, ...]] | None = {} if by_word else None
        self.index: dict[str, int] = {}  # term -> id, numbered as first met
        self.rows: dict[str, int] = {}  # training text -> its first row
        # Every training text's term ids and counts, one text after another.
        ids: list[int] = []
        counts: list[int] = []
        lengths: list[int] = []
        for row, text in enumerate(texts):
            seen: dict[int, int] = {}
            for term in self._terms(text, add=True):
                seen[term] = seen.get(term, 0) + 1
            ids += seen.keys()
            counts += seen.values()
            lengths.append(len(seen))
            self.rows.setdefault(text, row)
        self._ids_flat = np.array(ids, dtype=np.int64)
        self._counts_flat = np.array(counts, dtype=np.float32)
        self._lengths = np.array(lengths, dtype=np.int64)
        self._starts = np.cumsum(self._lengths) - self._lengths
        self._owners = np.repeat(np.arange(len(lengths)), self._lengths)
        self.terms = list(self.index)  # id -> term
        self.alphabetical = np.empty(len(self.terms), dtype=np.int64)  # id -> sorted place
        order = np.argsort(np.array(self.terms, dtype=object), kind="stable")
        self.alphabetical[order] = np.arange(len(self.terms))

    def _terms(self, text: str, add: bool) -> list[int]:
        """The text's grams in scikit-learn's order, as ids; ``add``: number new grams
        (training texts), else leave them out."""
        if self.words is None:
            return self._ids(self.analyse(text), add)
        # scikit-learn lowercases the text, then pads and cuts each whitespace-separated
        # word: the same grams, in the same order, as the words' own one after another.
        terms: list[int] = []
        for word in text.split():
            known = self.words.get(word)
            if known is None:
                known = self.words[word] = tuple(self._ids(self.analyse(word), add))
            terms += known
        return terms

    def _ids(self, grams: list[str], add: bool) -> list[int]:
        index = self.index
        if add:
            return [index.setdefault(gram, len(index)) for gram in grams]
        return [index[gram] for gram in grams if gram in index]

    def of_rows(
        self, rows: np.ndarray, min_df: int
    ) -> tuple[sp.csr_matrix, dict[str, int], np.ndarray]:
        """The count matrix and vocabulary scikit-learn's fit would build from ``rows``, and
        the vocabulary's column of each term id (-1: not in it)."""
        import scipy.sparse as sp

        chosen = np.zeros(len(self._lengths), dtype=bool)
        chosen[rows] = True
        selected = chosen[self._owners]
        ids, counts = self._ids_flat[selected], self._counts_flat[selected]
        owner = (np.cumsum(chosen) - 1)[self._owners[selected]]
        # scikit-learn numbers terms as it first meets them, keeps each row in that order,
        # then renumbers the kept terms alphabetically without reordering the rows.
        first_seen = np.full(len(self.terms), len(ids), dtype=np.int64)
        np.minimum.at(first_seen, ids, np.arange(len(ids)))
        kept = np.bincount(ids, minlength=len(self.terms)) >= min_df
        kept_terms = np.flatnonzero(kept)
        kept_terms = kept_terms[np.argsort(self.alphabetical[kept_terms], kind="stable")]
        column = np.full(len(self.terms), -1, dtype=np.int64)
        column[kept_terms] = np.arange(len(kept_terms))
        keep = kept[ids]
        ids, counts, owner = ids[keep], counts[keep], owner[keep]
        order = np.argsort(owner * (len(first_seen) + len(keep)) + first_seen[ids])  # unique
        indptr = np.zeros(len(rows) + 1, dtype=np.int32)
        np.cumsum(np.bincount(owner, minlength=len(rows)), out=indptr[1:])
        matrix = sp.csr_matrix(
            (counts[order], column[ids[order]].astype(np.int32), indptr),
            shape=(len(rows), len(kept_terms)),
        )
        # ... and its vocabulary keeps the terms in the order it met them.
        met_order = kept_terms[np.argsort(first_seen[kept_terms], kind="stable")]
        vocabulary = {self.terms[t]: int(column[t]) for t in met_order}
        return matrix, vocabulary, column

    def of_texts(self, texts: list[str], column: np.ndarray, width: int) -> sp.csr_matrix:
        """The count matrix scikit-learn's transform builds for any texts, given the fitted
        vocabulary's ``column`` of each term id: known terms only, columns sorted in a row."""
        import scipy.sparse as sp

        # The training texts' counts are at hand; the others' grams are listed here, and
        # counted below (duplicate entries of a row add up).
        training, rows, listed, lengths = [], [], [], []
        for i, text in enumerate(texts):
            row = self.rows.get(text)
            if row is None:
                terms = self._terms(text, add=False)
                listed += terms
                lengths.append(len(terms))
            else:
                training.append(i)
                rows.append(row)
                lengths.append(0)
        entries = self._entries(np.array(rows, dtype=np.int64))
        ids = np.concatenate([self._ids_flat[entries], np.array(listed, dtype=np.int64)])
        values = np.concatenate(
            [self._counts_flat[entries], np.ones(len(listed), dtype=np.float32)]
        )
        owners = np.concatenate([
            np.repeat(np.array(training, dtype=np.int64), self._lengths[rows]),
            np.repeat(np.arange(len(texts), dtype=np.int64), lengths),
        ])  # fmt: skip
        columns = column[ids]
        keep = columns >= 0
        matrix = sp.coo_matrix(
            (values[keep], (owners[keep], columns[keep])), shape=(len(texts), width)
        ).tocsr()
        matrix.sum_duplicates()  # and sorted columns in each row, as scikit-learn sorts them
        return matrix

    def _entries(self, rows: np.ndarray) -> np.ndarray:
        """Where the training texts ``rows`` have their entries in the flat arrays."""
        lengths = self._lengths[rows]
        offsets = np.repeat(self._starts[rows] - (np.cumsum(lengths) - lengths), lengths)
        return offsets + np.arange(int(lengths.sum()), dtype=np.int64)


def _word_vectoriser() -> TfidfVectorizer:
    from sklearn.feature_extraction.text import TfidfVectorizer

    # min_df=2: a word pair seen once teaches little and costs a column (training time).
    return TfidfVectorizer(
        analyzer="word", ngram_range=WORD_NGRAMS, sublinear_tf=True, min_df=2, dtype=np.float32
    )


@dataclass(frozen=True)
class Figures:
    precision: float
    recall: float
    f1: float
    false_positive_rate: float


@dataclass(frozen=True)
class CrossValidation:
    folds: int
    thresholds: Thresholds  # learned, on the 0-100 scale
    answer: Figures  # out-of-fold, at the answer threshold
    suggest: Figures  # out-of-fold, counting suggestions as answers
    by_family: dict[str, tuple[int, int]] = field(default_factory=dict)  # family -> (lines, wrong)
    by_article: dict[str, Figures] = field(default_factory=dict)  # out-of-fold, at answer
    # the right class -> what was answered at the answer threshold ("none": silent) -> lines
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    part_rule: PartRule = NO_PARTS  # when a part of a longer message may decide
    by_part_rule: dict[PartRule, float] = field(default_factory=dict)  # rule -> F1, all lines
    long_messages: Figures | None = None  # the composites made of held-out examples
    context_rule: PartRule = NO_PARTS  # when the message read in context may decide
    by_context_rule: dict[PartRule, float] = field(default_factory=dict)  # rule -> F1

    @property
    def routing(self) -> float:
        """Share of examples given the right article, or silence when none answers."""
        total = sum(sum(row.values()) for row in self.confusion.values())
        right = sum(row.get(cls, 0) for cls, row in self.confusion.items())
        return right / total if total else 0.0


def figures_at(
    scores: np.ndarray,
    predicted: list[str],
    labels: list[str],
    threshold: float,
    article: str | None = None,
) -> Figures:
    """Precision, recall, F1 and FP rate when answering at or above the threshold.

    With ``article``, the figures of that article alone: its lines are the positives,
    answers with it the answers, and the false-positive rate counts the lines no article
    answers that got it."""
    answered = scores >= threshold
    true_labels = np.array(labels)
    on = true_labels != NONE
    if article is not None:
        answered = answered & (np.array(predicted) == article)
        off = ~on
        on = true_labels == article
        correct = answered & on
        tp, fp = int(correct.sum()), int((answered & off).sum())
        return _figures(tp, int(answered.sum()), int(on.sum()), fp, int(off.sum()))
    correct = answered & (np.array(predicted) == true_labels) & on
    false_pos = answered & ~on
    tp, fp, total = int(correct.sum()), int(false_pos.sum()), int(answered.sum())
    return _figures(tp, total, int(on.sum()), fp, int((~on).sum()))


def _figures(right: int, answered: int, positives: int, false_pos: int, negatives: int) -> Figures:
    precision = right / answered if answered else 0.0  # a wrong article is a wrong answer too
    recall = right / positives if positives else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    fpr = false_pos / negatives if negatives else 0.0
    return Figures(precision, recall, f1, fpr)


def choose_thresholds(scores: np.ndarray, predicted: list[str], labels: list[str]) -> Thresholds:
    """Best-F1 answer threshold within ANSWER_MAX_FPR; lowest suggest threshold within
    SUGGEST_MAX_FPR (never above the answer threshold)."""
    table = _figures_by_threshold(scores, predicted, labels)
    safe = [t for t in THRESHOLD_GRID if table[t].false_positive_rate <= ANSWER_MAX_FPR]
    # A model that cannot meet the policy anywhere only suggests (answer = 1.0: never).
    answer = max(safe, key=lambda t: (table[t].f1, -t)) if safe else 1.0
    loose = [t for t in THRESHOLD_GRID if table[t].false_positive_rate <= SUGGEST_MAX_FPR]
    suggest = min(min(loose, default=answer), answer)
    return Thresholds(answer=round(float(answer) * 100, 2), suggest=round(float(suggest) * 100, 2))


def _figures_by_threshold(
    scores: np.ndarray, predicted: list[str], labels: list[str]
) -> dict[float, Figures]:
    """``figures_at`` for every threshold of the grid at once (sorted scores, counts)."""
    true_labels = np.array(labels)
    on = true_labels != NONE
    right = on & (np.array(predicted) == true_labels)
    grid = np.array(THRESHOLD_GRID)

    def at_or_above(values: np.ndarray) -> np.ndarray:
        return len(values) - np.searchsorted(np.sort(values), grid, side="left")

    answered, correct, wrong = (
        at_or_above(scores),
        at_or_above(scores[right]),
        at_or_above(scores[~on]),
    )
    positives, negatives = int(on.sum()), int((~on).sum())
    return {
        float(t): _figures(int(c), int(a), positives, int(w), negatives)
        for t, a, c, w in zip(THRESHOLD_GRID, answered, correct, wrong, strict=True)
    }


@dataclass(frozen=True)
class _Messages:
    """Messages to score out of fold: their texts, their parts with owners, and each
    message read after the articles' context."""

    labels: list[str]
    whole: list[str]
    parts: list[str]
    owners: list[int]  # per part, the message it belongs to
    in_context: list[str] | None

    @classmethod
    def of(cls, texts: list[str], labels: list[str], context: str) -> _Messages:
        split = [split_parts(t) for t in texts]
        owners = [i for i, parts in enumerate(split) for _ in parts]
        parts = [p for ps in split for p in ps]
        in_context = [with_context(context, t) for t in texts] if context else None
        return cls(labels, texts, parts, owners, in_context)

    def scored(
        self, probabilities: Callable[[list[str]], np.ndarray], classes: list[str]
    ) -> np.ndarray:
        """Probabilities (one column per class) of: the whole message, its most answerable
        part, and the message in context; stacked as 3 x messages x classes."""
        whole = probabilities(self.whole)
        best = whole
        if self.owners:
            best = most_answerable(whole, probabilities(self.parts), self.owners, classes)
        in_context = whole if self.in_context is None else probabilities(self.in_context)
        return np.stack([whole, best, in_context])


class _FoldScores:
    """A fold model's probabilities (columns in ``classes`` order), each distinct text
    scored once: the two-example messages repeat the held-out examples and their parts.
    Every row is computed on its own, so scoring a text once changes no figure."""

    def __init__(self, model: Model, prepare: Prepare, classes: list[str], tokens: Tokens) -> None:
        self._model, self._prepare, self._classes = model, prepare, classes
        self._tokens = tokens  # what the model was fitted from
        self._rows: dict[str, np.ndarray] = {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self._rows]
        if new:
            found = self._model.probabilities(self._prepare(new), self._tokens)
            self._rows.update(zip(new, _in_order(self._model, found, self._classes), strict=True))
        rows = [self._rows[t] for t in texts]
        return np.array(rows) if rows else np.zeros((0, len(self._classes)))


class _PreparedOnce:
    """``prepare`` that reads each distinct text once: the folds' held-out messages, their
    parts and the two-example messages made of them repeat the same texts."""

    def __init__(self, prepare: Prepare, texts: list[str], inputs: Inputs) -> None:
        self._prepare = prepare
        self._rows: dict[str, int] = {}
        self._clean: list[str] = []
        self._corrected: list[str] = []
        self._concepts: list[np.ndarray] = []
        self._add(texts, inputs)

    def _add(self, texts: list[str], inputs: Inputs) -> None:
        for i, text in enumerate(texts):
            if text not in self._rows:
                self._rows[text] = len(self._clean)
                self._clean.append(inputs.clean[i])
                self._corrected.append(inputs.corrected[i])
                self._concepts.append(inputs.concepts[i])

    def __call__(self, texts: list[str]) -> Inputs:
        new = [t for t in dict.fromkeys(texts) if t not in self._rows]
        if new:
            self._add(new, self._prepare(new))
        if not texts:
            return self._prepare(texts)
        rows = [self._rows[t] for t in texts]
        return Inputs(
            clean=[self._clean[r] for r in rows],
            corrected=[self._corrected[r] for r in rows],
            concepts=np.array([self._concepts[r] for r in rows], dtype=np.float32),
        )


def _in_order(model: Model, probabilities: np.ndarray, classes: list[str]) -> np.ndarray:
    ordered = np.zeros((len(probabilities), len(classes)))
    for column, cls in enumerate(model.classes):
        ordered[:, classes.index(cls)] = probabilities[:, column]
    return ordered


def composites(data: TrainingSet, rows: np.ndarray, seed: int) -> tuple[list[str], list[str]]:
    """Longer messages made of held-out examples, to measure dilution: each question with
    an unrelated near-miss beside it (labelled with the question's article), and pairs of
    near-misses (labelled none, so a part cannot make the bot speak where it should not)."""
    rng = np.random.default_rng(seed)
    labels = np.array(data.labels)[rows]
    positives, negatives = rows[labels != NONE], rows[labels == NONE]
    if not len(positives) or len(negatives) < 2:
        return [], []
    count = min(COMPOSITES_PER_FOLD, len(positives), len(negatives))
    texts, truth = [], []
    for question in rng.choice(positives, count, replace=False):
        texts.append(_join(rng, data.texts[question], data.texts[rng.choice(negatives)]))
        truth.append(data.labels[question])
    for first, second in (rng.choice(negatives, 2, replace=False) for _ in range(count)):
        texts.append(_join(rng, data.texts[first], data.texts[second]))
        truth.append(NONE)
    return texts, truth


def _join(rng: np.random.Generator, text: str, other: str) -> str:
    first, second = (text, other) if rng.random() < 0.5 else (other, text)
    separator = "\n" if rng.random() < 0.5 else " "  # another line, or the same one
    return first + separator + second


def cross_validate(
    data: TrainingSet,
    inputs: Inputs,
    prepare: Prepare | None = None,
    folds: int = FOLDS,
    context: str = "",
    tokens: Tokens | None = None,
) -> CrossValidation:
    """Out-of-fold predictions for every example (and for longer messages made of held-out
    examples); the rules for parts and context, and the thresholds, are chosen on them."""
    from sklearn.model_selection import StratifiedKFold

    labels = np.array(data.labels)
    classes = sorted(set(data.labels))
    folds = max(2, min(folds, min(int((labels == c).sum()) for c in classes)))
    mine = np.zeros((3, len(data), len(classes)))  # whole, best part, in context
    extra, extra_labels = [], []
    splitter = StratifiedKFold(folds, shuffle=True, random_state=SEED)
    tokens = tokens if tokens is not None else Tokens(inputs)  # n-grams counted once
    if prepare is not None:
        prepare = _PreparedOnce(prepare, data.texts, inputs)
    for fold, (train, test) in enumerate(splitter.split(data.texts, labels)):
        model = Model().fit_rows(tokens, train, list(labels[train]))
        if prepare is None:  # no parts, no context: the whole message decides
            found = model.probabilities(_subset(inputs, test), tokens)
            mine[:, test] = _in_order(model, found, classes)
            continue
        held_out = [data.texts[i] for i in test]
        probabilities = _FoldScores(model, prepare, classes, tokens)
        messages = _Messages.of(held_out, list(labels[test]), context)
        mine[:, test] = messages.scored(probabilities, classes)
        texts, truth = composites(data, test, SEED + fold)
        if texts:
            extra.append(_Messages.of(texts, truth, context).scored(probabilities, classes))
            extra_labels.extend(truth)
    scored = np.concatenate([mine, *extra], axis=1)
    all_labels = data.labels + extra_labels
    n = len(data)

    def decided(
        parts: PartRule, in_context: PartRule
    ) -> tuple[list[str], np.ndarray, Thresholds, float]:
        # Thresholds keep the policy on the examples themselves; the rules are judged on
        # them and on the longer messages together.
        predicted, scores, _ = combine_parts(scored[0], scored[1], parts, classes)
        if in_context != NO_PARTS:
            other, other_scores = best_article(scored[2], classes)
            predicted, scores, _ = prefer(predicted, scores, other, other_scores, in_context)
        thresholds = choose_thresholds(scores[:n], predicted[:n], data.labels)
        f1 = figures_at(scores, predicted, all_labels, thresholds.answer / 100).f1
        return predicted, scores, thresholds, f1

    rules = (NO_PARTS, *PART_RULES) if extra_labels else (NO_PARTS,)
    tried = {rule: decided(rule, NO_PARTS) for rule in rules}
    rule = max(rules, key=lambda r: round(tried[r][3], 4))  # ties: the first, the safer
    context_rules = (NO_PARTS, *CONTEXT_RULES) if context and prepare else (NO_PARTS,)
    with_context_tried = {c: decided(rule, c) for c in context_rules}
    context_rule = max(context_rules, key=lambda c: round(with_context_tried[c][3], 4))
    predicted, scores, thresholds, _ = with_context_tried[context_rule]
    answer_cut, suggest_cut = thresholds.answer / 100, thresholds.suggest / 100
    own, own_scores = predicted[:n], scores[:n]
    return CrossValidation(
        folds=folds,
        thresholds=thresholds,
        answer=figures_at(own_scores, own, data.labels, answer_cut),
        suggest=figures_at(own_scores, own, data.labels, suggest_cut),
        by_family=_errors_by_family(data, own, own_scores, answer_cut),
        by_article={
            cls: figures_at(own_scores, own, data.labels, answer_cut, article=cls)
            for cls in classes
            if cls != NONE
        },
        confusion=_confusion(data.labels, own, own_scores, answer_cut),
        part_rule=rule,
        by_part_rule={r: round(tried[r][3], 4) for r in rules},
        long_messages=figures_at(scores[n:], predicted[n:], extra_labels, answer_cut),
        context_rule=context_rule,
        by_context_rule={c: round(with_context_tried[c][3], 4) for c in context_rules},
    )


def _confusion(
    labels: list[str], predicted: list[str], scores: np.ndarray, cut: float
) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {}
    for label, chosen, score in zip(labels, predicted, scores, strict=True):
        decided = chosen if score >= cut else NONE
        row = table.setdefault(label, {})
        row[decided] = row.get(decided, 0) + 1
    return table


def _subset(inputs: Inputs, rows: np.ndarray) -> Inputs:
    return Inputs(
        clean=[inputs.clean[i] for i in rows],
        corrected=[inputs.corrected[i] for i in rows],
        concepts=inputs.concepts[rows],
    )


def _errors_by_family(
    data: TrainingSet, predicted: list[str], scores: np.ndarray, cut: float
) -> dict[str, tuple[int, int]]:
    table: dict[str, tuple[int, int]] = {}
    for i, family in enumerate(data.families):
        answered = scores[i] >= cut and predicted[i] != NONE
        right = answered == (data.labels[i] != NONE) and (
            not answered or predicted[i] == data.labels[i]
        )
        key = f"{'+' if data.labels[i] != NONE else '-'} {family}"
        lines, wrong = table.get(key, (0, 0))
        table[key] = (lines + 1, wrong + (not right))
    return dict(sorted(table.items()))


@dataclass
class Trained:
    model: LinearModel
    cross_validation: CrossValidation
    fingerprint: str
    training_size: int
    seconds: float = 0.0  # to train or load, in this process
    source: str = "trained"  # trained | disk cache | memory


def learner_header() -> str:
    """What, beside the examples, a fitted model depends on (part of every cache key)."""
    learner = version("scikit-learn")  # the metadata only: importing it costs 0.8 s
    header = {"format": MODEL_FORMAT, "sklearn": learner, "C": REGULARISATION_C}
    return json.dumps(header, sort_keys=True)


def fingerprint(data: TrainingSet, concept_signature: str) -> str:
    digest = hashlib.sha256()
    digest.update(learner_header().encode())
    digest.update(concept_signature.encode())
    for text, label in zip(data.texts, data.labels, strict=True):
        digest.update(f"{label}\x00{text}\x01".encode())
    return digest.hexdigest()[:24]


_MEMORY: dict[str, Trained] = {}


def train(
    data: TrainingSet,
    prepare: Prepare,
    concept_names: list[str],
    concept_signature: str,
    cache_dir: Path | None,
    context: str = "",
) -> Trained:
    """The fitted model and its cross-validation, from memory, the disk cache or training."""
    started = time.perf_counter()
    key = fingerprint(data, f"{concept_signature}\x00{context}")
    if key in _MEMORY:
        return _MEMORY[key]
    trained = _load(cache_dir, key)
    if trained is None:
        _progress(f"training the matcher on {len(data)} examples ({FOLDS}-fold cross-validation"
                  " included; the fitted model is cached for the next start)...")  # fmt: skip
        inputs = prepare(data.texts)
        tokens = Tokens(inputs)  # n-grams counted once, for the model and every fold
        fitted = Model().fit_rows(tokens, np.arange(len(data)), data.labels)
        model = fitted.compile(concept_names)
        validation = cross_validate(data, inputs, prepare, context=context, tokens=tokens)
        trained = Trained(model, validation, key, len(data))
        gc.collect()  # the fold models are gone: give their memory back before serving
        _save(cache_dir, trained)
    trained.seconds = time.perf_counter() - started
    _MEMORY[key] = trained
    logger.info(
        "matcher model %s: %d examples, %s in %.2f s",
        key, len(data), trained.source, trained.seconds,
    )  # fmt: skip
    return trained


def cached(cache_dir: Path | None, key: str) -> Trained | None:
    """The model with this fingerprint, from memory or the disk cache; None when neither
    holds it (never trains)."""
    if key in _MEMORY:
        return _MEMORY[key]
    trained = _load(cache_dir, key)
    if trained is not None:
        _MEMORY[key] = trained
    return trained


def _progress(line: str) -> None:
    """One line on stderr while training takes seconds (the log may not be set up yet)."""
    print(line, file=sys.stderr, flush=True)


def default_cache_dir() -> Path | None:
    """MODEL_CACHE_DIR, else the user's cache folder; 'off' disables the disk cache.

    Read through the settings registry, like every other setting (bot/settings_registry.py).
    """
    from platformdirs import user_cache_dir

    from bot.config import APP_NAME, Settings

    configured = Settings.from_env().model_cache_dir
    if configured.lower() in ("off", "none", "false", "0"):
        return None
    if configured:
        return Path(configured)
    return Path(user_cache_dir(APP_NAME, appauthor=False))  # honours XDG_CACHE_HOME


def _load(cache_dir: Path | None, key: str) -> Trained | None:
    if cache_dir is None:
        return None
    path = cache_dir / f"model-{key}.pickle"
    try:
        with path.open("rb") as handle:
            trained = pickle.load(handle)  # our own file, written by _save below
    except FileNotFoundError:
        return None
    except Exception as exc:  # a damaged cache (bad bytes, a torn write) only costs a retrain
        logger.warning("model cache %s unreadable (%s): discarded, training again",
                       path.name, type(exc).__name__)  # fmt: skip
        return None
    if not isinstance(trained, Trained) or trained.fingerprint != key:
        return None
    trained.source = "disk cache"
    return trained


def _save(cache_dir: Path | None, trained: Trained) -> None:
    """Write atomically; a cache that cannot be written only costs the next start time."""
    if cache_dir is None:
        return
    path = cache_dir / f"model-{trained.fingerprint}.pickle"
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        with partial.open("wb") as handle:
            pickle.dump(trained, handle, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(path)
    except OSError as exc:
        logger.warning("model cache %s not written (%s); training again next start", path, exc)


def cross_validation_lines(cv: CrossValidation) -> list[str]:
    """Per-article k-fold figures and the routing table, for ``eval`` and ``knowledge train``."""
    from bot.evaluation import confusion_table  # only when printing

    lines = ["  per article (answer level):"]
    for cls, f in cv.by_article.items():
        lines.append(
            f"    {cls[:34]:<34} precision {f.precision:.3f}  recall {f.recall:.3f}"
            f"  F1 {f.f1:.3f}  false answers {f.false_positive_rate:.3f}"
        )
    lines.append(f"  routing (right article or silence): {cv.routing:.3f}")
    if cv.long_messages is not None:
        f, baseline = cv.long_messages, cv.by_part_rule.get(NO_PARTS, 0.0)
        lines.append(
            f"  parts decide when: {cv.part_rule} (F1 on examples and two-example messages"
            f" {cv.by_part_rule.get(cv.part_rule, 0.0):.3f}; whole messages only {baseline:.3f})"
        )
        context = cv.by_context_rule
        if len(context) > 1:
            lines.append(
                f"  context decides when: {cv.context_rule} (F1 {context[cv.context_rule]:.3f};"
                f" without context {context[NO_PARTS]:.3f})"
            )
        lines.append(
            f"    two-example messages: precision {f.precision:.3f}  recall {f.recall:.3f}"
            f"  F1 {f.f1:.3f}  false answers {f.false_positive_rate:.3f}"
        )
    lines += ["    " + line for line in confusion_table(cv.confusion)]
    return lines
