"""Which language a question is written in, offline: en, fr, de, es, nl, pt or it.

The matcher already learns from labelled examples that each name their language
(``knowledge/*.examples.yaml``, ``lang:``); the same lines teach a small language model:
character n-grams inside word boundaries (what makes "Öffnungen", "ouvertures" and
"aperturas" tell their language apart, typos and all) counted into a multinomial naive
Bayes from scikit-learn, which the bot already depends on: the classic language-id model,
trained in under a second. (A logistic regression on TF-IDF of the same n-grams was
measured too: 0.964 on non-English lines against 0.998, and five times slower.) No model
file to ship, no new dependency. A question it is not sure about is English, the bot's own language:
a wrong language costs more than an English answer to a short "outlook 2010?".
``python -m bot.language`` prints its cross-validated accuracy on those examples.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sklearn.feature_extraction.text import CountVectorizer
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import Pipeline, make_pipeline

from bot.examples import Example, load_examples
from bot.knowledge import EXAMPLES_SUFFIX, default_knowledge_dir

ENGLISH = "en"
# Below this probability the answer stays English. The figure comes from cross-validation
# on the examples (``python -m bot.language``): above it, wrong languages are rare.
MIN_CONFIDENCE = 0.6
MIN_LETTERS = 12  # "outlook 2010?" says nothing about a language
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


def build_model() -> Pipeline:
    return make_pipeline(
        CountVectorizer(analyzer="char_wb", ngram_range=(1, 4)), MultinomialNB(alpha=0.1)
    )


def training_lines(folder: str | Path | None = None) -> tuple[list[str], list[str]]:
    """Every example line that names its language, and that language."""
    folder = Path(folder or default_knowledge_dir())
    examples: list[Example] = load_examples(sorted(folder.glob(f"*{EXAMPLES_SUFFIX}"))).examples
    seen: set[str] = set()
    texts, langs = [], []
    for example in examples:
        text = clean(example.text)
        if example.lang and text and text not in seen:
            seen.add(text)
            texts.append(text)
            langs.append(example.lang)
    return texts, langs


_TRAINING = threading.Lock()


def _model() -> Pipeline | None:
    """The model, trained once per process; a second caller waits for the first."""
    with _TRAINING:
        return _trained()


@lru_cache(maxsize=1)
def _trained() -> Pipeline | None:
    texts, langs = training_lines()
    if len(set(langs)) < 2:
        return None
    return build_model().fit(texts, langs)


def warm_up() -> threading.Thread:
    """Train in the background now (about two seconds), so the first question does not wait:
    a slash command's reply goes back in its 3-second ack."""
    thread = threading.Thread(target=_model, name="language-model", daemon=True)
    thread.start()
    return thread


def guess_language(text: str, model: Pipeline | None = None) -> Guess:
    """The question's language with how sure the model is; English when unsure or too short."""
    words = clean(text)
    model = model if model is not None else _model()
    if model is None or len(_LETTERS.findall(words)) < MIN_LETTERS:
        return Guess(ENGLISH, ENGLISH, 0.0)
    probabilities = model.predict_proba([words])[0]
    best = int(probabilities.argmax())
    language, confidence = str(model.classes_[best]), float(probabilities[best])
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
        model = build_model().fit([texts[i] for i in train], [langs[i] for i in train])
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
