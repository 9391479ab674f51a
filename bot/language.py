"""Which language a question is written in, offline: en, fr, de, es, nl, pt or it.

The matcher already learns from labelled examples that each name their language
(``knowledge/*.examples.yaml``, ``lang:``); the same lines teach a small language model:
character n-grams inside word boundaries (what makes "Öffnungen", "ouvertures" and
"aperturas" tell their language apart, typos and all) counted into a multinomial naive
Bayes, the classic language-id model. (A logistic regression on TF-IDF of the same
n-grams was measured too: 0.964 on non-English lines against 0.998, and five times
slower.) It is the arithmetic of scikit-learn's ``CountVectorizer(analyzer="char_wb")``
and ``MultinomialNB``, written out over ``bot.linear``'s n-grams so that no process
imports scikit-learn for it (a second of start-up in every worker and CLI command); a
test checks the probabilities against scikit-learn's. The counts are cached on disk
beside the matcher's model. A question it is not sure about is English, the bot's own
language: a wrong language costs more than an English answer to a short "outlook 2010?".
``python -m bot.language`` prints its cross-validated accuracy on those examples.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sys
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.examples import Example, load_examples
from bot.knowledge import EXAMPLES_SUFFIX, default_knowledge_dir
from bot.linear import char_wb_grams

logger = logging.getLogger(__name__)

ENGLISH = "en"
# Below this probability the answer stays English. The figure comes from cross-validation
# on the examples (``python -m bot.language``): above it, wrong languages are rare.
MIN_CONFIDENCE = 0.6
MIN_LETTERS = 12  # "outlook 2010?" says nothing about a language
GRAMS = (1, 4)  # character n-gram lengths
SMOOTHING = 0.1  # additive (Lidstone) smoothing of the n-gram counts
CACHE_FORMAT = 1  # bump when the model changes, to retire cached counts
_SLACK_MARKUP = re.compile(r"<[^>\s]*>|```.*?```|`[^`]*`|https?://\S+|[@#]\S+", re.DOTALL)
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)


@dataclass(frozen=True)
class Guess:
    language: str  # the answer's language (English when unsure)
    best: str  # the most likely language, sure or not
    confidence: float


def clean(text: str) -> str:
    """The words a person wrote: no Slack mentions, links, code or channel names."""
    return " ".join(_SLACK_MARKUP.sub(" ", text or "").split())


def example_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"*{EXAMPLES_SUFFIX}"))


def training_lines(folder: str | Path | None = None) -> tuple[list[str], list[str]]:
    """Every example line that names its language, and that language."""
    folder = Path(folder or default_knowledge_dir())
    examples: list[Example] = load_examples(example_files(folder)).examples
    seen: set[str] = set()
    texts, langs = [], []
    for example in examples:
        text = clean(example.text)
        if example.lang and text and text not in seen:
            seen.add(text)
            texts.append(text)
            langs.append(example.lang)
    return texts, langs


@dataclass(frozen=True)
class LanguageModel:
    """Multinomial naive Bayes over character n-grams, as plain arrays."""

    languages: list[str]
    columns: dict[str, int]  # n-gram -> column
    log_likelihood: np.ndarray  # (languages, columns): log P(gram | language)
    log_prior: np.ndarray  # (languages,): log P(language)

    @classmethod
    def fit(cls, texts: Sequence[str], langs: Sequence[str]) -> LanguageModel:
        languages = sorted(set(langs))
        row = {lang: i for i, lang in enumerate(languages)}
        counts: list[Counter[str]] = [Counter() for _ in languages]
        for text, lang in zip(texts, langs, strict=True):
            counts[row[lang]].update(char_wb_grams(text, *GRAMS))
        grams = sorted(set().union(*counts))
        columns = {gram: i for i, gram in enumerate(grams)}
        table = np.full((len(languages), len(grams)), SMOOTHING)
        for i, counted in enumerate(counts):
            table[i, [columns[g] for g in counted]] += list(counted.values())
        log_likelihood = np.log(table) - np.log(table.sum(axis=1, keepdims=True))
        lines = np.array([sum(lang == one for lang in langs) for one in languages], float)
        return cls(languages, columns, log_likelihood, np.log(lines / lines.sum()))

    def probabilities(self, text: str) -> np.ndarray:
        """P(language | text), in ``languages`` order; n-grams never seen are ignored."""
        counted = Counter(g for g in char_wb_grams(text, *GRAMS) if g in self.columns)
        joint = self.log_prior.copy()
        if counted:
            cols = [self.columns[g] for g in counted]
            joint += self.log_likelihood[:, cols] @ np.array(list(counted.values()), float)
        joint -= joint.max()
        odds = np.exp(joint)
        return np.asarray(odds / odds.sum())

    def save(self, path: Path) -> None:
        """Atomically, as arrays only (``np.load`` never unpickles it)."""
        partial = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
        with partial.open("wb") as handle:
            np.savez(handle, languages=np.array(self.languages),
                     grams=np.array(list(self.columns)), log_likelihood=self.log_likelihood,
                     log_prior=self.log_prior)  # fmt: skip
        partial.replace(path)

    @classmethod
    def load(cls, path: Path) -> LanguageModel:
        with np.load(path, allow_pickle=False) as saved:
            grams = [str(g) for g in saved["grams"]]
            return cls([str(x) for x in saved["languages"]],
                       {gram: i for i, gram in enumerate(grams)},
                       saved["log_likelihood"], saved["log_prior"])  # fmt: skip


def cache_key(files: Sequence[Path]) -> str:
    """A hash of the examples files' bytes: a cached model is found without parsing them."""
    digest = hashlib.sha256(f"{CACHE_FORMAT} {GRAMS} {SMOOTHING}".encode())
    for path in files:
        digest.update(path.name.encode() + b"\x00" + path.read_bytes() + b"\x01")
    return digest.hexdigest()[:24]


def cached_model(folder: Path, cache_dir: Path | None) -> LanguageModel | None:
    """The model from the disk cache, else fitted on ``folder``'s examples and cached.

    None when the examples name fewer than two languages.
    """
    files = example_files(folder)
    path = cache_dir / f"language-{cache_key(files)}.npz" if cache_dir else None
    if path is not None and path.exists():
        try:
            return LanguageModel.load(path)
        except Exception as exc:  # a damaged cache only costs a refit
            logger.warning("language model cache %s unreadable (%s): fitting again",
                           path.name, type(exc).__name__)  # fmt: skip
    texts, langs = training_lines(folder)
    if len(set(langs)) < 2:
        return None
    model = LanguageModel.fit(texts, langs)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            model.save(path)
        except OSError as exc:
            logger.warning("language model cache %s not written (%s)", path, exc)
    return model


_TRAINING = threading.Lock()


def _model() -> LanguageModel | None:
    """The model, loaded or trained once per process; a second caller waits for the first."""
    with _TRAINING:
        return _trained()


@lru_cache(maxsize=1)
def _trained() -> LanguageModel | None:
    from bot.training import default_cache_dir  # numpy only: no scikit-learn

    return cached_model(Path(default_knowledge_dir()), default_cache_dir())


def warm_up() -> threading.Thread:
    """Load (or on a first start, train: about a second) in the background now, so the first
    question does not wait: a slash command's reply goes back in its 3-second ack."""
    thread = threading.Thread(target=_model, name="language-model", daemon=True)
    thread.start()
    return thread


def guess_language(text: str, model: LanguageModel | None = None) -> Guess:
    """The question's language with how sure the model is; English when unsure or too short."""
    words = clean(text)
    model = model if model is not None else _model()
    if model is None or len(_LETTERS.findall(words)) < MIN_LETTERS:
        return Guess(ENGLISH, ENGLISH, 0.0)
    probabilities = model.probabilities(words)
    best = int(probabilities.argmax())
    language, confidence = model.languages[best], float(probabilities[best])
    sure = language if confidence >= MIN_CONFIDENCE else ENGLISH
    return Guess(sure, language, confidence)


def detect_language(text: str) -> str:
    """The language to answer ``text`` in."""
    return guess_language(text).language if text else ENGLISH


@dataclass(frozen=True)
class LanguageScore:
    """How often the answer's language is the line's own, on lines not in English."""

    right: int = 0
    lines: int = 0

    @property
    def accuracy(self) -> float | None:
        return self.right / self.lines if self.lines else None


def language_score(lines: Iterable[tuple[str, str]]) -> LanguageScore:
    """Score ``(text, language)`` pairs; English and unlabelled lines are left out."""
    checked = [(text, lang) for text, lang in lines if lang not in (ENGLISH, "", "?")]
    right = sum(detect_language(text) == lang for text, lang in checked)
    return LanguageScore(right, len(checked))


def main() -> None:
    """Cross-validated accuracy on the examples, overall, per language and on short lines."""
    from sklearn.model_selection import StratifiedKFold

    texts, langs = training_lines(sys.argv[1] if len(sys.argv) > 1 else None)
    right: dict[str, list[int]] = {}
    short: list[int] = []
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    for train, test in folds.split(texts, langs):
        model = LanguageModel.fit([texts[i] for i in train], [langs[i] for i in train])
        for i in test:
            ok = int(guess_language(texts[i], model).language == langs[i])
            right.setdefault(langs[i], []).append(ok)
            if len(texts[i].split()) <= 8:
                short.append(ok)
    total = [ok for oks in right.values() for ok in oks]
    non_english = [ok for lang, oks in right.items() if lang != ENGLISH for ok in oks]
    print(f"non-English lines {len(non_english)}: {sum(non_english) / len(non_english):.3f}")
    short_accuracy = sum(short) / max(len(short), 1)
    print(f"lines {len(total)}  accuracy {sum(total) / len(total):.3f}  "
          f"(short lines, <= 8 words: {len(short)}, {short_accuracy:.3f})")  # fmt: skip
    for lang, oks in sorted(right.items()):
        print(f"  {lang}  {len(oks):>5}  {sum(oks) / len(oks):.3f}")


if __name__ == "__main__":
    main()
